import { foldForMatching } from '../text';
import { toPlainText as toPlain } from '../render';
import type { Check } from './context';
import { Lru } from '../lru';

/**
 * Compiled word lists, one per list in use (about one per site): at most 256 lists and 8 MiB of their text,
 * counted twice for the regex built from it. A list is at most 1,000 words of 100 characters.
 */
const cache = new Lru<string, RegExp | null>({ maxEntries: 256, maxBytes: 8 * 1024 * 1024, sizeOf: (_re, key) => key.length * 4 });

/** One regex per word list: whole words, case- and accent-insensitive. */
function matcher(words: string[]): RegExp | null {
  const key = words.join('\n');
  let re = cache.get(key);
  if (re === undefined) {
    const alternatives = words
      .map((w) => foldForMatching(w.trim()))
      .filter(Boolean)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
    re = alternatives.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'u') : null;
    cache.set(key, re);
  }
  return re;
}

/** Word lists compiled and kept (for tests of the bound). */
export const rememberedWordLists = () => cache.size;

/** Link targets of the rendered body: where a reader is sent counts as much as what they read. */
const linkTargets = (html: string) => [...html.matchAll(/<a\s[^>]*href="([^"]*)"/g)].map((m) => toPlain(m[1])).join('\n');

/** Everything of the comment a reader sees or is sent to: the name, the website, the text and its links. */
export const holdBlockedWords: Check = ({ settings, name, website, bodyHtml }) => {
  const re = matcher(settings.blockedWords);
  if (!re) return null;
  // Hrefs too: otherwise "[nice post](https://casino.example)" hides a blocked word behind harmless link text.
  const found = foldForMatching(`${name}\n${website ?? ''}\n${toPlain(bodyHtml)}\n${linkTargets(bodyHtml)}`).match(re);
  return found ? { status: 'pending', reason: { code: 'blocked_word', detail: `Contains the blocked word "${found[0]}".` } } : null;
};
