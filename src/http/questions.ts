// HTTP: a public read's query parsed and validated into the question it asks, with one cache key per question
// however it is spelled (parameter order, defaults given or left out, unknown parameters, repeated pages).
import { canonicalCursor } from '../domain/comments';
import { countsQuery, feedQuery, listQuery } from './schemas';

// Parts are joined with NUL, which no validated part can hold (text fields refuse control characters).
const SEP = '\0';

export function threadQuestion(query: unknown) {
  const q = listQuery.parse(query);
  const cursor = q.cursor === undefined ? undefined : canonicalCursor(q.cursor);
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
