// The write path after its profile-led changes: what insert returns is what is stored; bans are found by one or
// more values alike; secrets, ids and IVs drawn from the random pool never repeat.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store';
import { deriveKeys, Privacy } from '../../src/domain/privacy';
import { buildServices } from '../../src/app';
import { secureRandomBytes, newSecret, newCommentId } from '../../src/domain/ids';
import type { Repositories } from '../../src/domain/ports';
import { isInvisible } from '../../src/domain/text';
import { renderBody, renderLiteral, renderMarkdown, toPlainText } from '../../src/domain/render';

let dir: string;
let repos: Repositories;
let services: ReturnType<typeof buildServices>;
const privacy = new Privacy(deriveKeys(Buffer.alloc(32, 3).toString('base64')));
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-write-'));
  repos = openStore(path.join(dir, 'db.sqlite'));
  services = buildServices({ repos, privacy });
  const { site } = await services.sites.ensureDemo(Date.now());
  await repos.sites.update('demo', { settings: { ...site.settings, minSubmitSeconds: 0, floodSeconds: 0, moderation: 'none', blockedWords: ['casino'] } });
});
afterEach(async () => {
  await repos.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const meta = { ip: '198.51.100.7', userAgent: 'test' };
const post = (over: Record<string, unknown> = {}) =>
  services.comments.post('demo', { page: '/p', name: 'Ada', email: 'ada@example.com', body: 'Hello *there*', ...over } as never, meta, Date.now());

describe('the write path', () => {
  it('returns from insert exactly the comment that was stored: top-level, reply and held', async () => {
    const top = await post();
    const reply = await post({ parentId: top.comment.id, body: 'A reply', pageUrl: 'http://localhost:3000/p', pageTitle: 'P' });
    const held = await post({ body: 'Visit the casino', email: 'bob@example.com', name: 'Bob' });
    expect(held.comment.status).toBe('pending');
    expect(held.comment.reasons.map((r) => r.code)).toEqual(['blocked_word']);
    expect(reply.comment.depth).toBe(1);
    for (const { comment } of [top, reply, held]) expect(comment).toEqual(await repos.comments.get(comment.id));
  });

  it('finds a ban by e-mail, by address, or among more values', async () => {
    const c = (await post()).comment;
    const now = Date.now();
    const ban = (id: string, kind: 'email' | 'ip', valueHmac: string, expiresAt: number | null = null) => ({
      id, siteId: 'demo', kind, valueHmac, emailEnc: null, reason: null, commentId: null, expiresAt, createdAt: now, createdBy: null,
    });
    await repos.bans.create([ban('ban_1', 'ip', c.ipHmac!), ban('ban_2', 'email', 'expired-hmac', now - 1)]);
    expect((await repos.bans.findActive('demo', [c.ipHmac!], now))?.id).toBe('ban_1');
    expect((await repos.bans.findActive('demo', [c.emailHmac, c.ipHmac!], now))?.id).toBe('ban_1');
    expect((await repos.bans.findActive('demo', ['x', 'y', c.ipHmac!], now))?.id).toBe('ban_1');
    expect(await repos.bans.findActive('demo', [c.emailHmac], now)).toBeNull();
    expect(await repos.bans.findActive('demo', ['expired-hmac'], now)).toBeNull();
    expect(await repos.bans.findActive('other', [c.ipHmac!], now)).toBeNull();
    await expect(post()).rejects.toMatchObject({ code: 'banned' });
  });

  it('never hands out the same random bytes twice, across refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const b = secureRandomBytes(12);
      expect(b).toHaveLength(12);
      seen.add(b.toString('hex'));
    }
    expect(seen.size).toBe(3000);
    const secrets = new Set(Array.from({ length: 1000 }, () => newSecret('et')));
    expect(secrets.size).toBe(1000);
    expect(secureRandomBytes(5000)).toHaveLength(5000);
    // The same e-mail encrypts differently each time (a fresh IV), and still decrypts.
    const blobs = Array.from({ length: 500 }, () => privacy.encryptEmail('ada@example.com'));
    expect(new Set(blobs.map((b) => b.subarray(0, 12).toString('hex'))).size).toBe(500);
    expect(privacy.decryptEmail(blobs[499])).toBe('ada@example.com');
    const ids = Array.from({ length: 1000 }, () => newCommentId());
    expect([...ids].sort()).toEqual(ids);
  });

  it('shows the typed characters of a body that renders to nothing, as the full plain-text pass decided', () => {
    const bodies = [
      '-', '*', '1.', '>', '[]()', '[](https://example.com)', '**', '&#8203;', '\u200b', '- \u200b', '&nbsp;', '&amp;',
      '<b></b>', '<script>alert(1)</script>', '[x](javascript:alert(1))', '`` ` ``', '"', '&lt;&gt;', '> -',
      'Hello *there*', '<img src=x onerror=alert(1)>', '[<>](https://e.x/?a=<b>)', '\\<', '***', '1. 2.', '- [ ]',
    ];
    for (const body of bodies) {
      const html = renderMarkdown(body);
      const expected = isInvisible(toPlainText(html)) ? renderLiteral(body) : html;
      expect(renderBody(body)).toBe(expected);
    }
  });
});
