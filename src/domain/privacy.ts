// Privacy: e-mail encryption, keyed hashes for matching, token hashing. Keys are derived from SECRET_KEY.
import crypto from 'node:crypto';
import { secureRandomBytes } from './ids';

export interface Keys {
  encryption: Buffer;
  hmac: Buffer;
  formToken: Buffer;
  links: Buffer;
}

export function deriveKeys(secretKeyBase64: string): Keys {
  const ikm = Buffer.from(secretKeyBase64, 'base64');
  const derive = (info: string) => Buffer.from(crypto.hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32));
  return { encryption: derive('marginalia email aes-256-gcm'), hmac: derive('marginalia hmac'), formToken: derive('marginalia form token'), links: derive('marginalia signed links') };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class Privacy {
  constructor(private readonly keys: Keys) {}

  encryptEmail(email: string): Buffer {
    const iv = secureRandomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys.encryption, iv);
    const body = Buffer.concat([cipher.update(email, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  decryptEmail(blob: Buffer): string {
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.keys.encryption, blob.subarray(0, 12));
    decipher.setAuthTag(blob.subarray(12, 28));
    return Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]).toString('utf8');
  }

  /** Keyed per site, so the same person cannot be linked across sites from what one site stores. */
  private siteHmac(kind: string, siteId: string, value: string): string {
    return crypto.createHmac('sha256', this.keys.hmac).update(`${kind}\0${siteId}\0${value}`).digest('hex');
  }

  emailHmac(siteId: string, email: string): string {
    return this.siteHmac('email', siteId, normaliseEmail(email));
  }

  ipHmac(siteId: string, ip: string): string {
    return this.siteHmac('ip', siteId, ip);
  }

  /** A voter, by the random key their widget keeps: the key itself is never stored. */
  voterHmac(siteId: string, key: string): string {
    return this.siteHmac('voter', siteId, key);
  }

  /** Avatar key: 20 hex characters, unrelated to any public hash of the e-mail. */
  avatarHash(siteId: string, email: string): string {
    return this.siteHmac('avatar', siteId, normaliseEmail(email)).slice(0, 20);
  }

  signFormToken(siteId: string, issuedAt: number): string {
    const payload = `${siteId}.${issuedAt}`;
    const mac = crypto.createHmac('sha256', this.keys.formToken).update(payload).digest('base64url');
    return `${issuedAt.toString(36)}.${mac}`;
  }

  /** A token for a link in a mail: the claims in base64url JSON and their HMAC. Anyone may read it; nobody can alter it. */
  signLink(claims: LinkClaims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${crypto.createHmac('sha256', this.keys.links).update(body).digest('base64url')}`;
  }

  /** The claims of a link this service signed for `purpose`, or null when forged, altered, expired or for another use. */
  verifyLink(token: unknown, purpose: string, now: number): LinkClaims | null {
    if (typeof token !== 'string' || token.length > 2000) return null;
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return null;
    const expected = Buffer.from(crypto.createHmac('sha256', this.keys.links).update(body).digest('base64url'));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
    let claims: LinkClaims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (!claims || claims.p !== purpose || typeof claims.exp !== 'number' || claims.exp <= now) return null;
    return claims;
  }

  /** The time the token was issued for this site, or null when it is missing or forged. */
  verifyFormToken(siteId: string, token: string | undefined): number | null {
    if (!token) return null;
    const [t, mac] = token.split('.');
    const issuedAt = parseInt(t ?? '', 36);
    if (!Number.isSafeInteger(issuedAt) || !mac) return null;
    // Compared as text: base64url's last character has spare bits, so decoding would accept altered tokens.
    const expected = Buffer.from(crypto.createHmac('sha256', this.keys.formToken).update(`${siteId}.${issuedAt}`).digest('base64url'));
    const given = Buffer.from(mac);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected) && t === issuedAt.toString(36) ? issuedAt : null;
  }
}

/** What a signed link in a mail carries: its purpose, its fields, and when it stops working. */
export type LinkClaims = { p: string; exp: number } & Record<string, string | number>;

export function sha256Hex(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}
