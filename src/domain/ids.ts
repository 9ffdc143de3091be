// Time-ordered ids (ULID layout: 48-bit time, 80 random bits, Crockford base32), so id order is creation order.
import crypto from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes drawn from the CSPRNG 4 KiB at a time and handed out once each: a post needs three small draws
// (id, edit token, e-mail IV), and one call into OpenSSL per draw costs more than the bytes.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `n` (≤ 4096) fresh cryptographically secure random bytes, never handed out before. */
export function secureRandomBytes(n: number): Buffer {
  if (n > POOL_SIZE) return crypto.randomBytes(n);
  if (poolOffset + n > POOL_SIZE) {
    crypto.randomFillSync(pool);
    poolOffset = 0;
  }
  // A copy: the pool is refilled in place.
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}
let lastTime = -1;
let lastRandom = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 characters.
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** Monotonic within one process: ids made in the same millisecond still sort in creation order. */
export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    const next = new Uint8Array(lastRandom);
    for (let i = next.length - 1; i >= 0; i--) {
      if (next[i] < 255) {
        next[i]++;
        break;
      }
      next[i] = 0;
    }
    lastRandom = next;
    now = lastTime;
  } else {
    lastRandom = new Uint8Array(secureRandomBytes(10));
    lastTime = now;
  }
  return encodeTime(now) + encodeRandom(lastRandom);
}

export const newCommentId = (now?: number) => `c_${ulid(now)}`;
/**
 * An id for a comment imported with its original time: the time part is that time, so it sorts among the others
 * by when it was written. It leaves the monotonic sequence of new ids alone.
 */
export const importedCommentId = (createdAt: number) => `c_${encodeTime(Math.max(0, Math.floor(createdAt)))}${encodeRandom(secureRandomBytes(10))}`;
export const newTokenId = () => `tok_${ulid()}`;
export const newBanId = () => `ban_${ulid()}`;

/** A secret shown once: 32 random bytes, base64url, with a prefix that says what it is. */
export const newSecret = (prefix: string) => `${prefix}_${secureRandomBytes(32).toString('base64url')}`;
