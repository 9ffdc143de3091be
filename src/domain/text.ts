// Text rules shared by every field a reader sends: NFC, no control characters but newline and tab.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u;
/** U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: text, not controls, but no renderer treats them alike. */
const SEPARATORS = /[\u2028\u2029]/g;

export function hasControlCharacters(s: string): boolean {
  return CONTROL.test(s);
}

/**
 * NFC-normalises and turns CRLF into LF, as textareas differ in what they send. The Unicode line and
 * paragraph separators become a newline where the field has lines, else a space.
 */
export function normaliseText(s: string, multiline = false): string {
  return s.replace(/\r\n/g, '\n').replace(SEPARATORS, multiline ? '\n' : ' ').normalize('NFC');
}

/** Line breaks of any kind, for fields such as URLs that must stay on one line. */
export function hasLineBreaks(s: string): boolean {
  return /[\n\t\u2028\u2029]/.test(s);
}

/** Case- and accent-insensitive form for matching words. */
export function foldForMatching(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** Length in user-visible code points, so an emoji is not counted as two. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Half of a UTF-16 pair cannot be stored or shown as text. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** Direction overrides and isolates let a name display as something else (U+202E "evil" tricks). */
export function hasBidiControls(s: string): boolean {
  return /[\u202A-\u202E\u2066-\u2069]/.test(s);
}

/** True when nothing would show: only spaces, zero-width and other format characters. */
export function isInvisible(s: string): boolean {
  return s.replace(/[\p{Cf}\p{Z}\s]/gu, '') === '';
}
