import { foldForMatching } from '../text';
import { toPlainText as toPlain } from '../render';
import type { Check } from './context';

const cache = new Map<string, RegExp | null>();

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
    if (cache.size > 1000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

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
