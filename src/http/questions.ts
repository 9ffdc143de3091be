// HTTP: a public read's query parsed and validated into the question it asks, with one cache key per question
// however it is spelled (parameter order, defaults given or left out, unknown parameters, repeated pages).
import { canonicalCursor } from '../domain/comments';
import { Lru } from '../domain/lru';
import { countsQuery, feedQuery, listQuery } from './schemas';

// Parts are joined with NUL, which no validated part can hold (text fields refuse control characters).
const SEP = '\0';

export function threadQuestion(query: unknown) {
  const q = listQuery.parse(query);
  const cursor = q.cursor === undefined ? undefined : canonicalCursor(q.cursor, q.sort);
  return { key: ['list', q.page, q.sort, q.limit, cursor ?? ''].join(SEP), query: { ...q, cursor } };
}

export function countsQuestion(query: unknown) {
  // The answer lists each page once, in one order, whatever the request's order and repeats.
  const pages = [...new Set(countsQuery.parse(query).page)].sort();
  return { key: ['counts', ...pages].join(SEP), pages };
}

export function feedQuestion(query: unknown) {
  const { page } = feedQuery.parse(query);
  return { key: page === undefined ? `feed${SEP}${SEP}` : ['feed', page].join(SEP), page: page ?? null };
}

/** Questions already asked, by their raw query: at most 2,000 and about 1 MiB of query text (docs/memory.md). */
const asked = new Lru<string, object>({ maxEntries: 2_000, maxBytes: 1024 * 1024, sizeOf: (_q, raw) => raw.length * 2 + 256 });

/**
 * The question a raw query asks, parsed once: a repeated read (a cache hit, mostly) skips the query parser and
 * validation. Only a query that validated is remembered; a bad one throws from `parse` every time.
 */
export function remembered<Q extends object>(kind: string, rawQuery: string, parse: () => Q): Q {
  const key = `${kind}?${rawQuery}`;
  let q = asked.get(key) as Q | undefined;
  if (q === undefined) {
    q = Object.freeze(parse());
    asked.set(key, q);
  }
  return q;
}

/** Questions remembered now (for tests of the bound). */
export const rememberedQuestions = () => asked.size;
