// The sites API: an all-sites owner creates sites with the CLI's rules; every token sees only the sites it covers.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, fastPosting } from '../helpers/api';
import { createToken, expectProblem, openDb, rawQuery } from '../helpers/moderation';
import { REQUEST_BODY_LIMIT } from '../../src/http/body-limits';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
});
afterAll(() => server.stop());

let n = 0;
/** A fresh site id per test: one server serves the whole file. */
const nextId = () => `site-${++n}`;
const create = (body: unknown, token = server.ownerToken) => call(server, 'POST', '/api/v1/sites', { token, body });
const list = (token = server.ownerToken) => call(server, 'GET', '/api/v1/sites', { token });
const postAs = (site: string, origin: string, body: unknown) => call(server, 'POST', `/api/v1/sites/${site}/comments`, { origin, body });
const ids = async (token?: string) => (await list(token)).body.items.map((s: { id: string }) => s.id);

describe('creating a site', () => {
  it('creates a site with name, origins and policy; it is listed with zero counts and no activity yet', async () => {
    const id = nextId();
    const r = await create({ id, name: '  The Blog ', origins: ['https://blog.example', 'https://www.blog.example/'], moderation: 'all' });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`/api/v1/sites/${id}`);
    expect(r.body.site).toEqual({
      id,
      name: 'The Blog',
      origins: ['https://blog.example', 'https://www.blog.example'],
      moderation: 'all',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      counts: { pending: 0, approved: 0, rejected: 0, spam: 0, deleted: 0, reported: 0 },
      lastActivityAt: null,
      install: { seen: [] },
    });
    const listed = (await list()).body.items.find((s: { id: string }) => s.id === id);
    expect(listed).toEqual(r.body.site);
    // The new site works at once for its origin.
    const posted = await postAs(id, 'https://blog.example', commentInput());
    expect(posted.status).toBe(201);
  });

  it('defaults the name to the id and the policy to first-time, as the CLI does', async () => {
    const id = nextId();
    const r = await create({ id });
    expect(r.status).toBe(201);
    expect(r.body.site).toMatchObject({ id, name: id, origins: [], moderation: 'first-time' });
    const settings = await call(server, 'GET', `/api/v1/sites/${id}/settings`, { token: server.ownerToken });
    expect(settings.body.settings).toMatchObject({ maxLinks: 2, minSubmitSeconds: 3 });
  });

  it('names every invalid field at once, with a reason, and creates nothing', async () => {
    const before = await ids();
    const r = await create({
      id: 'Not A Slug!',
      name: 'Bad\u0007name',
      origins: ['https://ok.example', 'blog.example', 'https://blog.example/path', 'javascript:alert(1)'],
      moderation: 'sometimes',
      colour: 'red',
    });
    expectProblem(r, 400);
    const byPath = Object.fromEntries(r.body.errors.map((e: { path: string; message: string }) => [e.path, e.message]));
    expect(Object.keys(byPath).sort()).toEqual(['colour', 'id', 'moderation', 'name', 'origins.1', 'origins.2', 'origins.3']);
    expect(byPath.id).toMatch(/a–z, 0–9 and -/);
    expect(byPath['origins.1']).toMatch(/must be an origin like https:\/\/blog\.example/);
    expect(byPath.moderation).toMatch(/all, first-time, none/);
    expect(byPath.colour).toBe('is not an accepted field');
    expect(await ids()).toEqual(before);
  });

  it.each([
    ['an empty name', { name: '   ' }, 'name'],
    ['a name of 101 characters', { name: 'x'.repeat(101) }, 'name'],
    ['a right-to-left override in the name', { name: 'evil\u202Egnp.exe' }, 'name'],
    ['origins that are not a list', { origins: 'https://blog.example' }, 'origins'],
    ['51 origins', { origins: Array.from({ length: 51 }, (_, i) => `https://s${i}.example`) }, 'origins'],
    ['an origin longer than 255 characters', { origins: [`https://${'a'.repeat(250)}.example`] }, 'origins.0'],
    ['a one-character id', { id: 'a' }, 'id'],
    ["an id with SQL in it", { id: "x'; DROP TABLE sites;--" }, 'id'],
  ])('refuses %s, naming the field', async (_what, over, path) => {
    const r = await create({ id: nextId(), ...over });
    expectProblem(r, 400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
  });

  it('refuses a body that is not an object, not JSON, or too large', async () => {
    expectProblem(await create([{ id: nextId() }]), 400);
    expectProblem(await call(server, 'POST', '/api/v1/sites', { token: server.ownerToken, body: '{"id":', headers: { 'content-type': 'application/json' } }), 400);
    expectProblem(await call(server, 'POST', '/api/v1/sites', { token: server.ownerToken, body: 'id=x', headers: { 'content-type': 'text/plain' } }), 415);
    expectProblem(await create({ id: nextId(), name: 'x'.repeat(REQUEST_BODY_LIMIT) }), 413);
  });

  it('refuses a duplicate id with 409 and leaves the first site as it was', async () => {
    const id = nextId();
    expect((await create({ id, name: 'First', origins: ['https://first.example'] })).status).toBe(201);
    const again = await create({ id, name: 'Second', origins: ['https://second.example'] });
    expectProblem(again, 409);
    expect(again.body.type).toBe('urn:marginalia:problem:site-exists');
    const site = await call(server, 'GET', `/api/v1/sites/${id}`, { token: server.ownerToken });
    expect(site.body.site).toMatchObject({ name: 'First', origins: ['https://first.example'] });
    expectProblem(await create({ id: 'demo' }), 409);
  });
});

describe('who sees and creates sites', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    a = nextId();
    b = nextId();
    for (const id of [a, b]) expect((await create({ id })).status).toBe(201);
  });

  it('an all-sites owner and an all-sites moderator list every site', async () => {
    const mod = await createToken(server, { role: 'moderator', site: null });
    expect(await ids()).toEqual(expect.arrayContaining(['demo', a, b]));
    expect(await ids(mod.secret)).toEqual(await ids());
  });

  it.each(['owner', 'moderator'] as const)('a %s scoped to one site lists only that site and cannot see another', async (role) => {
    const scoped = await createToken(server, { role, site: a });
    expect(await ids(scoped.secret)).toEqual([a]);
    expect((await call(server, 'GET', `/api/v1/sites/${a}`, { token: scoped.secret })).body.site.id).toBe(a);
    // Another site answers as if it did not exist.
    expectProblem(await call(server, 'GET', `/api/v1/sites/${b}`, { token: scoped.secret }), 404);
  });

  it.each([
    ['a site-scoped owner', { role: 'owner' as const, site: 'demo' }],
    ['an all-sites moderator', { role: 'moderator' as const, site: null }],
    ['a site-scoped moderator', { role: 'moderator' as const, site: 'demo' }],
  ])('%s cannot create a site, even with a valid body, and learns nothing from an invalid one', async (_who, scope) => {
    const t = await createToken(server, scope);
    const id = nextId();
    const r = await create({ id }, t.secret);
    expectProblem(r, 403);
    expect(r.body.type).toBe('urn:marginalia:problem:all-sites-owner-only');
    expectProblem(await create({ id: 'NOT VALID', origins: 'x' }, t.secret), 403);
    expect(await ids()).not.toContain(id);
  });

  it('no token, a forged token or a revoked one gets 401 on every sites route', async () => {
    const revoked = await createToken(server, { role: 'owner', site: null });
    await call(server, 'DELETE', `/api/v1/tokens/${revoked.id}`, { token: server.ownerToken });
    for (const token of [undefined, 'mt_forged', revoked.secret]) {
      expectProblem(await call(server, 'GET', '/api/v1/sites', { token }), 401);
      expectProblem(await call(server, 'GET', `/api/v1/sites/${a}`, { token }), 401);
      expectProblem(await call(server, 'POST', '/api/v1/sites', { token, body: { id: nextId() } }), 401);
    }
  });
});

describe('a site overview', () => {
  it('counts comments by status and dates the last activity', async () => {
    const id = nextId();
    await server.services.sites.create({ id, origins: ['https://blog.example'], settings: { ...fastPosting, moderation: 'all' } }, Date.now());
    const before = Date.now();
    for (let i = 0; i < 3; i++) expect((await postAs(id, 'https://blog.example', commentInput())).status).toBe(201);
    const r = await call(server, 'GET', `/api/v1/sites/${id}`, { token: server.ownerToken });
    expect(r.body.site.counts).toEqual({ pending: 3, approved: 0, rejected: 0, spam: 0, deleted: 0, reported: 0 });
    expect(Date.parse(r.body.site.lastActivityAt)).toBeGreaterThanOrEqual(before - 1);
  });
});

describe('the install check', () => {
  let id: string;
  beforeEach(async () => {
    id = nextId();
    await server.services.sites.create({ id, origins: ['https://blog.example'] }, Date.now());
  });
  const read = (origin: string | null, site = id) => call(server, 'GET', `/api/v1/sites/${site}/comments?page=/post`, { origin });
  const seen = async () => (await call(server, 'GET', `/api/v1/sites/${id}`, { token: server.ownerToken })).body.site.install.seen;
  /** Polls until the sightings match (the note is written once the answer has gone out). */
  async function seenEventually(want: unknown): Promise<void> {
    for (let i = 0; i < 50; i++) {
      try {
        expect(await seen()).toEqual(want);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(await seen()).toEqual(want);
  }

  it('notes the first and last load per origin, listed or not, and says which are allowed', async () => {
    expect(await seen()).toEqual([]);
    const t0 = Date.now();
    expect((await read('https://blog.example')).status).toBe(200);
    expect((await read('https://staging.blog.example')).status).toBe(200);
    await seenEventually([
      expect.objectContaining({ origin: 'https://staging.blog.example', allowed: false }),
      expect.objectContaining({ origin: 'https://blog.example', allowed: true }),
    ]);
    const row = (await seen()).find((s: { origin: string }) => s.origin === 'https://blog.example');
    expect(Date.parse(row.firstSeenAt)).toBeGreaterThanOrEqual(t0 - 1);
    expect(row.lastSeenAt).toBe(row.firstSeenAt);
    // Adding the origin to the list makes it allowed at once.
    await call(server, 'PATCH', `/api/v1/sites/${id}/settings`, { token: server.ownerToken, body: { origins: ['https://blog.example', 'https://staging.blog.example'] } });
    expect((await seen()).map((s: { allowed: boolean }) => s.allowed)).toEqual([true, true]);
  });

  it('counts revalidated reads (304) as loads, and writes at most once a minute per site and origin', async () => {
    const first = await read('https://blog.example');
    await seenEventually([expect.objectContaining({ origin: 'https://blog.example' })]);
    const [before] = await seen();
    // SQLite: data_version moves whenever another connection commits to the file. PostgreSQL: a row's xmin names
    // the transaction that last wrote it.
    const db = server.databaseUrl ? null : openDb(server);
    const version = async () =>
      db ? db.pragma('data_version', { simple: true }) : JSON.stringify(await rawQuery(server, 'SELECT origin, xmin::text AS x FROM site_installs ORDER BY origin'));
    try {
      const v0 = await version();
      await new Promise((r) => setTimeout(r, 5));
      // Reads within the minute: answered, not written (the stored times do not move).
      for (let i = 0; i < 20; i++) {
        const again = await call(server, 'GET', `/api/v1/sites/${id}/comments?page=/post`, { origin: 'https://blog.example', headers: { 'if-none-match': first.headers.get('etag')! } });
        expect(again.status).toBe(304);
      }
      expect(await seen()).toEqual([before]);
      expect(await version()).toBe(v0);
    } finally {
      db?.close();
    }
  });

  it('does not note the service itself, an unknown site, a failed read, or an Origin that is not an origin', async () => {
    await read(server.baseUrl); // the demo page and the console's preview are the service's own pages
    await read(null);
    expect((await read('https://blog.example', 'no-such-site')).status).toBe(404);
    expect((await call(server, 'GET', `/api/v1/sites/${id}/comments`, { origin: 'https://bad-query.example' })).status).toBe(400);
    for (const origin of ['null', 'javascript:alert(1)', 'https://blog.example/path', `https://${'a'.repeat(300)}.example`])
      await read(origin);
    // Only a POST: not a widget load.
    await call(server, 'POST', `/api/v1/sites/${id}/form-token`, { origin: 'https://blog.example' });
    await read('https://marker.example'); // a valid one last: once it shows, the others had their chance
    await seenEventually([expect.objectContaining({ origin: 'https://marker.example', allowed: false })]);
  });

  it('keeps only the 20 most recently seen origins that the site does not list, and every listed one', async () => {
    await read('https://blog.example');
    for (let i = 0; i < 30; i++) await read(`https://forged-${i}.example`);
    // The notes are written after the answers: wait until the last one is in.
    let origins: string[] = [];
    for (let i = 0; i < 50 && !origins.includes('https://forged-29.example'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      origins = (await seen()).map((s: { origin: string }) => s.origin);
    }
    expect(origins).toHaveLength(21);
    expect(origins).toContain('https://blog.example');
    expect(origins).toContain('https://forged-29.example');
    expect(origins).not.toContain('https://forged-9.example');
  });

  it('stores the origin and two times, nothing about the reader', async () => {
    await call(server, 'GET', `/api/v1/sites/${id}/comments?page=/secret-page`, { origin: 'https://blog.example', headers: { 'user-agent': 'ReaderAgent/1.0', 'x-forwarded-for': '203.0.113.9' } });
    await seenEventually([expect.objectContaining({ origin: 'https://blog.example' })]);
    const rows = await rawQuery(server, 'SELECT * FROM site_installs WHERE site_id = ?', [id]);
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]).sort()).toEqual(['allowed', 'first_seen_at', 'last_seen_at', 'origin', 'site_id']);
    expect(JSON.stringify(rows)).not.toMatch(/ReaderAgent|203\.0\.113|secret-page|127\.0\.0\.1/);
  });
});

describe("the console's preview", () => {
  let id: string;
  beforeAll(async () => {
    id = nextId();
    await server.services.sites.create({ id, origins: ['https://blog.example'], settings: fastPosting }, Date.now());
  });
  const postFrom = (origin: string, page: string) => postAs(id, origin, commentInput({ page }));

  it('may post from the service origin to the preview page only, so its comments stay off the real pages', async () => {
    expect((await call(server, 'POST', `/api/v1/sites/${id}/form-token`, { origin: server.baseUrl })).status).toBe(200);
    const r = await postFrom(server.baseUrl, 'marginalia:preview');
    expect(r.status).toBe(201);
    // Edit and delete within the window with the comment's edit token, as the widget does.
    const edited = await call(server, 'PATCH', `/api/v1/comments/${r.body.comment.id}`, { origin: server.baseUrl, token: r.body.editToken, body: { body: 'Edited in the preview' } });
    expect(edited.status).toBe(200);
    // Reports name no page either; a report needs a public comment.
    await call(server, 'POST', `/api/v1/sites/${id}/moderation/actions`, { token: server.ownerToken, body: { action: 'approve', ids: [r.body.comment.id] } });
    expect((await call(server, 'POST', `/api/v1/comments/${r.body.comment.id}/reports`, { origin: server.baseUrl, body: { reason: 'other' } })).status).toBe(202);
    const removed = await call(server, 'DELETE', `/api/v1/comments/${r.body.comment.id}`, { origin: server.baseUrl, token: r.body.editToken });
    expect(removed.status).toBe(204);
    expectProblem(await postFrom(server.baseUrl, '/2026/real-article'), 403);
    expectProblem(await postFrom('https://evil.example', 'marginalia:preview'), 403);
    expect((await postFrom('https://blog.example', '/2026/real-article')).status).toBe(201);
  });
});

test('the OpenAPI document describes the sites API from its schemas', async () => {
  const doc = (await call(server, 'GET', '/api/v1/openapi.json')).body;
  expect(Object.keys(doc.paths['/sites']).sort()).toEqual(['get', 'post']);
  expect(doc.paths['/sites/{site}'].get.responses['200']).toBeDefined();
  const body = doc.paths['/sites'].post.requestBody.content['application/json'].schema;
  expect(body.required).toEqual(['id']);
  expect(Object.keys(body.properties).sort()).toEqual(['id', 'moderation', 'name', 'origins']);
  expect(body.properties.moderation.enum).toEqual(['all', 'first-time', 'none']);
  expect(doc.paths['/sites'].post.responses['409']).toBeDefined();
});
