// The longest JSON encodings of text: every UTF-16 code unit as a \uXXXX escape, keys included.

/** Bytes of `s` written with every code unit escaped. */
export const escapedLength = (s: string) => s.length * 6;

/** A JSON string literal of `s` with every code unit escaped. */
export const escapeString = (s: string) =>
  '"' + Array.from({ length: s.length }, (_, i) => '\\u' + s.charCodeAt(i).toString(16).padStart(4, '0')).join('') + '"';

/** JSON text of a plain value with every character of every string (and key) escaped. */
export function escapeJson(v: unknown): string {
  if (typeof v === 'string') return escapeString(v);
  if (Array.isArray(v)) return '[' + v.map(escapeJson).join(',') + ']';
  if (v && typeof v === 'object') return '{' + Object.entries(v).map(([k, x]) => `${escapeString(k)}:${escapeJson(x)}`).join(',') + '}';
  return JSON.stringify(v);
}

let worst: { char: string; input: string; bytes: number } | undefined;

/**
 * The character (in NFC, as the service stores and counts it) whose longest canonically equivalent input is
 * longest once escaped: each code point of its decomposition may arrive as any character that decomposes to
 * it alone (a singleton such as U+2F800 → U+4E3D), each escaped.
 */
export function worstCharacter(): { char: string; input: string; bytes: number } {
  if (worst) return worst;
  const longestFor = new Map<string, string>();
  const all: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    all.push(c);
    const d = c.normalize('NFD');
    if ([...d].length === 1 && c.length > (longestFor.get(d) ?? d).length) longestFor.set(d, c);
  }
  worst = { char: 'a', input: 'a', bytes: 6 };
  for (const c of all) {
    if (c.normalize('NFC') !== c) continue;
    const input = [...c.normalize('NFD')].map((p) => longestFor.get(p) ?? p).join('');
    if (escapedLength(input) > worst.bytes) worst = { char: c, input, bytes: escapedLength(input) };
  }
  return worst;
}
