// /count.js: every [data-marginalia-count="<page key>"] on the page gets "1 Comment" / "N Comments", from one counts
// request (per 100 pages). A second small script beside embed.js for article lists; no cookies, nothing else loaded.

/** "{n} Comment" / "{n} Comments" of every catalogue in embed/i18n/ (set by scripts/build-embed.js). */
declare const __MG_COUNT_WORDS__: Record<string, [string, string]>;

((script: HTMLScriptElement | null) => {
  const site = script && script.dataset.site;
  if (!site) return;
  const base = new URL(script.src, location.href).origin;
  const lang = (script.dataset.lang || document.documentElement.lang || 'en').toLowerCase().split('-')[0];
  const words = __MG_COUNT_WORDS__[lang] || __MG_COUNT_WORDS__.en;
  const rules = new Intl.PluralRules(words == __MG_COUNT_WORDS__.en ? 'en' : lang);

  const fill = () => {
    const els = Array.from(document.querySelectorAll<HTMLElement>('[data-marginalia-count]'));
    const keys = Array.from(new Set(els.map((el) => el.dataset.marginaliaCount!).filter(Boolean)));
    // The counts API takes up to 100 pages a request.
    for (let i = 0; i < keys.length; i += 100) {
      const q = new URLSearchParams(keys.slice(i, i + 100).map((k) => ['page', k]));
      fetch(`${base}/api/v1/sites/${encodeURIComponent(site)}/counts?${q}`, { credentials: 'omit' })
        .then((r) => (r.ok ? r.json() : null))
        .then((d: { counts?: Record<string, number> } | null) => {
          const counts = (d && d.counts) || {};
          for (const el of els) {
            const n = counts[el.dataset.marginaliaCount!];
            if (typeof n == 'number') el.textContent = words[rules.select(n) == 'one' ? 0 : 1].replace('{n}', String(n));
          }
        })
        .catch(() => {
          /* the links keep their own text */
        });
    }
  };
  if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', fill, { once: true });
  else fill();
})(document.currentScript as HTMLScriptElement | null);
