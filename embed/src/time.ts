// Relative times ("3 hours ago") with the full date for the title attribute, through Intl.
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 31536e3], ['month', 2592e3], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60],
];

export function ago(iso: string, lang: string, now = Date.now()): string {
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const s = (Date.parse(iso) - now) / 1000;
  for (const [unit, n] of UNITS) if (Math.abs(s) >= n) return rtf.format(Math.trunc(s / n), unit);
  return rtf.format(0, 'second');
}

export const fullDate = (iso: string, lang: string) =>
  new Date(iso).toLocaleString(lang, { dateStyle: 'full', timeStyle: 'short' });
