// Does this Accept-Encoding header (RFC 9110 §12.5.3) accept gzip? Read on every cached answer, so remembered.

const memo = new Map<string, boolean>();
/** Browsers send a handful of distinct values; a client cycling through made-up ones only resets the memo. */
const MEMO_LIMIT = 64;
/** Longer headers are parsed each time rather than kept. */
const MEMO_KEY_LIMIT = 256;

export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined || header === '') return false;
  const known = memo.get(header);
  if (known !== undefined) return known;
  const answer = parse(header);
  if (header.length <= MEMO_KEY_LIMIT) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(header, answer);
  }
  return answer;
}

/** gzip (or its old alias x-gzip) with a non-zero weight, or `*` with one when gzip is not named. */
function parse(header: string): boolean {
  let named: boolean | null = null;
  let star = false;
  for (const part of header.split(',')) {
    const [codingRaw, ...params] = part.split(';');
    const coding = codingRaw.trim().toLowerCase();
    if (coding === '') continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim().toLowerCase() === 'q') {
        const n = Number(v?.trim());
        q = Number.isFinite(n) ? n : 0;
      }
    }
    if (coding === 'gzip' || coding === 'x-gzip') named = named === true || q > 0;
    else if (coding === '*') star = q > 0;
  }
  return named ?? star;
}
