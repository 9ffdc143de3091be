// The widget's strings. English is in the bundle; every other language is a JSON catalogue in embed/i18n/,
// fetched from the service only when the page asks for it (data-lang or <html lang>), so a language costs
// the bundle nothing.
import en from '../i18n/en.json';

export type Strings = typeof en;

/** The languages embed/i18n/ has besides English (set by scripts/build-embed.js). */
declare const __MG_LANGS__: string[];

/** The language tag in use and its strings; a language without a catalogue, or one that fails to load, is English. */
export async function strings(base: string, lang: string | undefined, signal: AbortSignal): Promise<[string, Strings]> {
  const tag = (lang || document.documentElement.lang || 'en').toLowerCase().split('-')[0];
  if (__MG_LANGS__.includes(tag)) {
    try {
      const r = await fetch(`${base}/embed/i18n/${tag}.json`, { credentials: 'omit', signal });
      // A key the catalogue lacks (an older file in a cache) shows in English rather than as nothing.
      if (r.ok) return [tag, { ...en, ...(await r.json()) }];
    } catch {
      /* network error: English */
    }
  }
  return ['en', en];
}

/** fill('{n} Comments', {n: 3}) */
export const fill = (s: string, v: Record<string, string | number>) => s.replace(/\{(\w+)\}/g, (_, k) => String(v[k]));
