// Client-side checks mirroring the server's limits (SPEC §3), so most mistakes never make a round trip.
import { fill, type Strings } from './i18n';

export interface Draft {
  body: string;
  name: string;
  email: string;
  website: string;
}
export type Field = keyof Draft;
export type FieldErrors = [Field, string][];

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
/** Length in characters (code points), as the server counts: an emoji is one. */
const len = (s: string) => [...s].length;

/** A bare "ada.example" becomes "https://ada.example"; anything with a scheme is left for the check. */
export const normaliseWebsite = (v: string) => (v && !/^[a-z][\w+.-]*:/i.test(v) ? 'https://' + v : v);

function isWebUrl(v: string): boolean {
  try {
    return /^https?:$/.test(new URL(v).protocol) && /^https?:\/\/[^/]/i.test(v);
  } catch {
    return false;
  }
}

export function checkBody(body: string, t: Strings): string | null {
  const b = body.trim();
  return !b ? t.required : len(b) > 10000 ? fill(t.tooLong, { n: 10000 }) : null;
}

/** Every problem of a draft, in form order; expects trimmed fields and a normalised website. */
export function checkDraft(d: Draft, t: Strings): FieldErrors {
  const out: FieldErrors = [];
  const add = (f: Field, m: string | null) => m && out.push([f, m]);
  add('body', checkBody(d.body, t));
  add('name', !d.name ? t.required : len(d.name) > 100 ? fill(t.tooLong, { n: 100 }) : null);
  add('email', !d.email ? t.required : d.email.length > 254 || !EMAIL.test(d.email) ? t.badEmail : null);
  add('website', d.website && (d.website.length > 2048 || !isWebUrl(d.website)) ? t.badUrl : null);
  return out;
}
