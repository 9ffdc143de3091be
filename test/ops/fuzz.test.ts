// Property-based fuzzing with fast-check over every public and moderator endpoint: random and hostile JSON, headers,
// query strings and path segments. Never a 5xx, never a stack trace or SQL in a body, always problem+json on an
// error, no e-mail in an answer to a caller without a token, and nothing stored changes on a refused request.
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';

// Runs are split between the properties; FUZZ_RUNS raises them for a longer search outside `npm test`.
const RUNS = Number(process.env.FUZZ_RUNS ?? 700);

let s: TestServer;
let db: Database.Database;
const known = { comment: '', pending: '', editToken: '', banId: '', tokenId: '', modToken: '' };
/** Where the server runs, for fields that must name it (a page URL on the site). */
let base = '';

beforeAll(async () => {
  s = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(s, { ...fastPosting, moderation: 'first-time' });
  const post = (body: Record<string, unknown>) => call(s, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/fuzz', ...body } });
  const a = await post({ name: 'Seed One', email: 'seed.one@seed.example', body: 'First seeded comment.' });
  await call(s, 'POST', '/api/v1/sites/demo/moderation/actions', { token: s.ownerToken, body: { action: 'approve', ids: [a.body.comment.id] } });
  const b = await post({ name: 'Seed Two', email: 'seed.two@seed.example', body: 'Second seeded comment, held.' });
  known.comment = a.body.comment.id;
  known.pending = b.body.comment.id;
  known.editToken = b.body.editToken;
  const ban = await call(s, 'POST', '/api/v1/sites/demo/moderation/bans', { token: s.ownerToken, body: { email: 'banned@seed.example' } });
  known.banId = ban.body.bans[0].id;
  const tok = await call(s, 'POST', '/api/v1/tokens', { token: s.ownerToken, body: { role: 'moderator', site: 'demo', label: 'fuzz' } });
  known.modToken = tok.body.token;
  // A second one for DELETE /tokens/:id to aim at, so the fuzzer does not revoke the token it signs in with.
  const target = await call(s, 'POST', '/api/v1/tokens', { token: s.ownerToken, body: { role: 'moderator', site: 'demo', label: 'target' } });
  known.tokenId = target.body.item.id;
  base = s.baseUrl;
  db = new Database(path.join(s.dataDir, 'marginalia.db'), { readonly: true });
}, 30_000);

afterAll(async () => {
  db?.close();
  await s?.stop();
});

/** A hash of everything stored, less bookkeeping a read may touch: a token's last-used time and widget sightings. */
function snapshot(): string {
  const h = crypto.createHash('sha256');
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('site_installs') ORDER BY name`).all() as { name: string }[];
  for (const { name } of tables) {
    const rows = (db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]).map((row) => {
      if (name === 'tokens') delete row.last_used_at;
      return JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
    });
    h.update(name).update(rows.sort().join('\n'));
  }
  return h.digest('hex');
}

/** Lone surrogates replaced: a URL cannot carry them (the JSON bodies still do). */
const wellFormed = (t: string) => (t as unknown as { toWellFormed(): string }).toWellFormed();

// Hostile text: SQL, markup, path tricks, odd Unicode, numbers-as-strings, and long runs.
const hostile = fc.constantFrom(
  "' OR 1=1 --",
  '"; DROP TABLE comments; --',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\u202e\u2066evil',
  '\ud800',
  'e\u0301\u0301\u0301',
  '🧑‍🤝‍🧑'.repeat(50),
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(40),
  'x'.repeat(10_001),
  '',
  ' ',
);
const text = fc.oneof(hostile, fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ maxLength: 20 }));
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, [], {}, [null], { $gt: '' }) },
);

/** A path segment: a real id or site, or something hostile, percent-encoded (or raw, broken percent-encoding). */
const segment = (...real: (() => string)[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...real).map((f) => f()) },
    { weight: 2, arbitrary: text.map((t) => encodeURIComponent(wellFormed(t)).slice(0, 600) || '%20') },
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%C0%AE%C0%AE', '%2e%2e', '..', '%FF', 'c_%00') },
  );

const site = segment(() => 'demo', () => 'no-such-site');
const comment = segment(() => known.comment, () => known.pending, () => 'c_01J0000000000000000000000');

/** A body from the route's field names with hostile values, a valid one with one field changed, or not JSON at all. */
function body(valid: () => Record<string, unknown>) {
  const names = Object.keys(valid());
  // Built when generated (after the server started), with a fresh suffix so a valid post is not a duplicate.
  const fields = fc.integer({ min: 0, max: 1e9 }).map((n) => {
    const f = valid();
    if (typeof f.body === 'string') f.body = `${f.body} ${n}`;
    return f;
  });
  const mutated = fc
    .tuple(fields, fc.constantFrom(...names, 'extra', '__proto__'), anyJson, fc.boolean())
    .map(([b, k, v, drop]) => {
      if (drop) delete b[k];
      else b[k] = v;
      return JSON.stringify(b);
    });
  const random = fc.dictionary(fc.constantFrom(...names, 'x'), anyJson, { maxKeys: names.length + 1 }).map((o) => JSON.stringify(o));
  const broken = fc.oneof(fc.constantFrom('{', '{"a":', 'null', '[]', '"x"', '1', '{"body": "x"}}', '\u0000', 'a'.repeat(70_000)), fc.string({ maxLength: 40 }));
  return fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 2, arbitrary: random }, { weight: 1, arbitrary: broken }, { weight: 3, arbitrary: fields.map((f) => JSON.stringify(f)) });
}

/** A valid query with a hostile pair or two added, or random pairs only. */
const queryOf = (keys: string[], valid = '') =>
  fc.oneof(
    { weight: 2, arbitrary: randomQuery(keys).map((q) => (valid ? `?${valid}${q ? '&' + q.slice(1) : ''}` : q)) },
    { weight: 1, arbitrary: randomQuery(keys) },
  );
const randomQuery = (keys: string[]) =>
  fc
    .array(fc.tuple(fc.constantFrom(...keys, 'x', 'page[]'), fc.oneof(text, fc.constantFrom('oldest', 'newest', 'pending', 'all', '0', '201', '-5', '1.5'))), { maxLength: 4 })
    .map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(wellFormed(v)).slice(0, 800)}`).join('&') : ''));

type Req = { method: string; path: string; body?: string };
const req = (method: string, pathArb: fc.Arbitrary<string>, bodyArb?: fc.Arbitrary<string>): fc.Arbitrary<Req> =>
  bodyArb ? fc.tuple(pathArb, bodyArb).map(([p, b]) => ({ method, path: p, body: b })) : pathArb.map((p) => ({ method, path: p }));
const p = (strings: TemplateStringsArray, ...parts: fc.Arbitrary<string>[]) =>
  fc.tuple(...parts).map((vals) => strings.reduce((acc, str, i) => acc + str + (i < vals.length ? vals[i] : ''), ''));

const commentFields = () => ({ page: '/fuzz', name: 'Fuzz Reader', email: 'fuzz@reader.example', body: 'A fuzzed comment.', website: 'https://r.example', pageUrl: `${base}/fuzz`, pageTitle: 'Fuzz', parentId: known.comment });

const publicRequests = fc.oneof(
  req('GET', p`/api/v1/sites/${site}/comments${queryOf(['page', 'sort', 'limit', 'cursor'], 'page=%2Ffuzz')}`),
  req('POST', p`/api/v1/sites/${site}/comments`, body(commentFields)),
  req('PATCH', p`/api/v1/comments/${comment}`, body(() => ({ body: 'Edited text.' }))),
  req('DELETE', p`/api/v1/comments/${comment}`),
  req('POST', p`/api/v1/sites/${site}/form-token`, body(() => ({}))),
  req('GET', p`/api/v1/sites/${site}/counts${queryOf(['page'], 'page=%2Ffuzz')}`),
  req('POST', p`/api/v1/comments/${comment}/reports`, body(() => ({ reason: 'spam', note: 'a note' }))),
  req('GET', p`/api/v1/sites/${site}/feed.atom${queryOf(['page'])}`),
  req('GET', p`/api/v1/avatars/${segment(() => '0123456789abcdef0123.svg')}`),
  req('OPTIONS', p`/api/v1/sites/${site}/comments`),
);

const banId = segment(() => known.banId);
const tokenId = segment(() => known.tokenId);
const moderatorRequests = fc.oneof(
  req('GET', fc.constant('/api/v1/me')),
  req('GET', p`/api/v1/sites/${site}/moderation/comments${queryOf(['status', 'page', 'q', 'email', 'cursor', 'limit'], 'status=all')}`),
  req('POST', p`/api/v1/sites/${site}/moderation/actions`, body(() => ({ action: 'reject', ids: [known.pending], reason: 'why' }))),
  req('GET', p`/api/v1/sites/${site}/moderation/pages${queryOf(['cursor', 'q', 'limit'])}`),
  req('PATCH', p`/api/v1/sites/${site}/moderation/pages`, body(() => ({ page: '/fuzz-other', closed: false, title: 'T', url: `${base}/x` }))),
  req('GET', p`/api/v1/sites/${site}/moderation/bans`),
  req('POST', p`/api/v1/sites/${site}/moderation/bans`, body(() => ({ email: 'x@y.example', reason: 'r', expiresAt: '2030-01-01T00:00:00Z' }))),
  req('DELETE', p`/api/v1/sites/${site}/moderation/bans/${banId}`),
  req('GET', p`/api/v1/sites/${site}/moderation/log${queryOf(['cursor', 'commentId', 'limit'])}`),
  req('GET', p`/api/v1/sites/${site}/settings`),
  req('PATCH', p`/api/v1/sites/${site}/settings`, body(() => ({ maxLinks: 3, blockedWords: ['fuzzword'] }))),
  req('GET', fc.constant('/api/v1/tokens')),
  req('POST', fc.constant('/api/v1/tokens'), body(() => ({ role: 'moderator', site: 'demo', label: 'l' }))),
  req('DELETE', p`/api/v1/tokens/${tokenId}`),
  req('GET', fc.constant('/api/v1/sites')),
  req('POST', fc.constant('/api/v1/sites'), body(() => ({ id: 'new-site', name: 'N', origins: ['https://n.example'], moderation: 'all' }))),
  req('GET', p`/api/v1/sites/${site}`),
);

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
// Mostly well-formed, so requests get past the first checks and reach the services; hostile the rest of the time.
const often = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad });
const headers = fc
  .record(
    {
      authorization: often(
        fc.constantFrom('owner', 'moderator', 'none'),
        fc.oneof(printable.map((t) => `Bearer ${t}`), fc.constantFrom('Basic Zm9vOmJhcg==', 'Bearer', 'bearer  ' + 'a'.repeat(64), 'Bearer edit')),
      ),
      origin: often(fc.constantFrom('self', 'none'), fc.oneof(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1', 'file://'), printable)),
      'content-type': often(
        fc.constantFrom('application/json', 'application/json; charset=utf-8'),
        fc.constantFrom('application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'application/merge-patch+json', 'multipart/form-data; boundary=x'),
      ),
      'if-none-match': printable,
      'x-request-id': printable,
      'x-forwarded-for': fc.constantFrom('203.0.113.5', '::1', 'garbage', '1.1.1.1, 2.2.2.2'),
      'content-encoding': often(fc.constant('identity'), fc.constantFrom('gzip', 'br', 'x-unknown')),
      'accept-language': printable,
    },
    { requiredKeys: ['authorization', 'origin', 'content-type'] },
  )
  .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== 'none')) as Record<string, string>);

const SECRETS_IN_BODY = /\n\s+at |SQLITE|SqliteError|SELECT |INSERT |UPDATE |node_modules|\.ts:\d/;

async function check(r: Req, h: Record<string, string>): Promise<void> {
  const sent: Record<string, string> = { ...h };
  let withToken = false;
  if (h.authorization === 'owner' || h.authorization === 'moderator') {
    sent.authorization = `Bearer ${h.authorization === 'owner' ? s.ownerToken : known.modToken}`;
    withToken = true;
  }
  if (h.authorization === 'Bearer edit') sent.authorization = `Bearer ${known.editToken}`;
  if (h.origin === 'self') sent.origin = s.baseUrl;
  if (r.body === undefined) delete sent['content-type'];
  const before = snapshot();
  const res = await call(s, r.method, r.path, { body: r.body, headers: sent, origin: null });
  const ctx = `${r.method} ${r.path} → ${res.status} ${res.text.slice(0, 300)}`;
  expect({ ctx, serverError: res.status >= 500 }).toEqual({ ctx, serverError: false });
  expect({ ctx, leaks: SECRETS_IN_BODY.test(res.text) }).toEqual({ ctx, leaks: false });
  if (!withToken) expect({ ctx, email: /@seed\.example|@reader\.example/.test(res.text) }).toEqual({ ctx, email: false });
  if (res.status >= 400) {
    expect({ ctx, type: res.headers.get('content-type') }).toEqual({ ctx, type: 'application/problem+json; charset=utf-8' });
    expect(res.body).toMatchObject({ status: res.status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    // A refused request leaves everything stored as it was.
    expect({ ctx, changed: snapshot() !== before }).toEqual({ ctx, changed: false });
  }
}

describe('fuzzing every endpoint', () => {
  it('public endpoints: no 5xx, no leaks, problem+json on errors, nothing changed by a refusal', async () => {
    await fc.assert(fc.asyncProperty(publicRequests, headers, (r, h) => check(r, h)), { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined });
  }, 60_000);

  it('moderator endpoints: no 5xx, no leaks, problem+json on errors, nothing changed by a refusal', async () => {
    await fc.assert(fc.asyncProperty(moderatorRequests, headers, (r, h) => check(r, h)), { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined });
  }, 60_000);
});
