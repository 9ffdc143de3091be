import { deriveKeys, Privacy } from '../../src/domain/privacy';

const privacy = new Privacy(deriveKeys(Buffer.alloc(32, 9).toString('base64')));

describe('form tokens', () => {
  it('gives back the issue time of a token it signed for the same site', () => {
    const token = privacy.signFormToken('demo', 1_790_000_000_000);
    expect(privacy.verifyFormToken('demo', token)).toBe(1_790_000_000_000);
    expect(privacy.verifyFormToken('other', token)).toBeNull();
  });

  it('refuses every single-character alteration, including the spare bits of the last base64url character', () => {
    const token = privacy.signFormToken('demo', 1_790_000_000_000);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i] || token[i] === '.') continue;
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        expect(privacy.verifyFormToken('demo', altered)).toBeNull();
      }
    }
  });

  it('refuses missing and malformed tokens', () => {
    for (const t of [undefined, '', '.', 'abc', 'zz.zz', '1.2.3']) expect(privacy.verifyFormToken('demo', t)).toBeNull();
  });
});

describe('e-mail encryption', () => {
  it('round-trips and never produces the same ciphertext twice', () => {
    const a = privacy.encryptEmail('ada@example.com');
    const b = privacy.encryptEmail('ada@example.com');
    expect(a.equals(b)).toBe(false);
    expect(privacy.decryptEmail(a)).toBe('ada@example.com');
  });

  it('keys hashes by site', () => {
    expect(privacy.emailHmac('a', 'Ada@Example.com ')).toBe(privacy.emailHmac('a', 'ada@example.com'));
    expect(privacy.emailHmac('a', 'ada@example.com')).not.toBe(privacy.emailHmac('b', 'ada@example.com'));
    expect(privacy.avatarHash('a', 'ada@example.com')).not.toBe(privacy.avatarHash('b', 'ada@example.com'));
  });
});
