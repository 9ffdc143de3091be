// HTTP: how large a JSON request body may be — the longest encoding of the largest valid request, no more.
//
// JSON lets a client write any character as a \uXXXX escape, so the same request can take up to six bytes
// per UTF-16 code unit. Fields the service counts in characters are worse: it counts them after NFC
// normalisation, so one character may arrive as its canonical decomposition (up to three astral code points
// in Unicode 17, e.g. U+16126), each written as a surrogate pair of escapes — 36 bytes for one character.
// test/unit/body-limits.test.ts checks both figures against the running Unicode data and posts the
// largest valid requests in that encoding. Not counted, because nothing bounds them and no client needs
// them: whitespace trimmed from the ends of a field, whitespace between JSON tokens beyond the usual
// indentation, and numbers written longer than their shortest form.

/** Bytes of one character of a field measured in characters (NFC code points), at worst. */
export const BYTES_PER_CHARACTER = 36;
/** Bytes of one UTF-16 code unit of a field measured with zod's .max(), at worst (\uXXXX). */
export const BYTES_PER_UNIT = 6;
/** The longest shortest form of a JSON number (a double such as -1.2345678901234567e-308). */
const NUMBER = 24;
/** Whitespace a pretty-printer puts around one member or element (newline and indentation). */
const INDENT = 16;

const characters = (n: number) => 2 + n * BYTES_PER_CHARACTER;
const units = (n: number) => 2 + n * BYTES_PER_UNIT;
const key = (name: string) => units(name.length) + 1 + INDENT;

function object(members: Record<string, number>): number {
  const entries = Object.entries(members);
  return 2 + INDENT + entries.reduce((n, [name, value]) => n + key(name) + value, 0) + entries.length - 1;
}
const array = (items: number, each: number) => 2 + INDENT + items * (each + 1 + INDENT);

// Each figure follows the limits in src/http/schemas.ts and src/domain/settings.ts.

/** POST /sites/:site/comments: the largest body of the public API (edits, reports and the rest are smaller). */
const postComment = object({
  page: characters(512),
  pageUrl: units(2048),
  pageTitle: characters(300),
  parentId: units(28),
  name: characters(100),
  email: units(254),
  website: units(2048),
  body: characters(10_000),
  hp: units(1000),
  formToken: units(200),
  notify: 5,
});

/** POST /sites/:site/moderation/actions: the largest moderation body apart from settings. */
const moderationAction = object({ action: units(10), ids: array(200, units(28)), reason: characters(500), trustAuthor: 5 });

/** PATCH /sites/:site/settings: a thousand blocked words and fifty origins make it the largest of all. */
const settingsPatch = object({
  origins: array(50, units(255)),
  moderation: units(10),
  maxDepth: NUMBER,
  editWindowMinutes: NUMBER,
  minSubmitSeconds: NUMBER,
  maxLinks: NUMBER,
  blockedWords: array(1000, units(100)),
  floodSeconds: NUMBER,
  closeAfterDays: NUMBER,
  reportThreshold: NUMBER,
  votes: units(6),
  limits: object({ nameMax: NUMBER, bodyMax: NUMBER }),
  rateLimits: object({ postsPerMinute: NUMBER, reportsPerHour: NUMBER, readsPerMinute: NUMBER, moderationPerMinute: NUMBER, votesPerMinute: NUMBER }),
  notifications: object({ moderators: array(20, object({ email: units(254), on: units(8) })), digestMinutes: NUMBER }),
  webhooks: array(10, object({ url: units(2048), events: array(6, units(22)), secret: units(200) })),
  language: units(2),
  requireVerifiedEmail: 5,
});

/** Every JSON body of the API except site settings. */
export const REQUEST_BODY_LIMIT = Math.max(postComment, moderationAction);
/** The owner's settings edit. */
export const SETTINGS_BODY_LIMIT = settingsPatch;
