import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';

let server: TestServer;
afterEach(() => server.stop());

const post = (input: Record<string, unknown>, opts: { origin?: string | null; headers?: Record<string, string> } = {}) =>
  call(server, 'POST', '/api/v1/sites/demo/comments', { body: input, ...opts });
const list = (query: string, headers?: Record<string, string>) => call(server, 'GET', `/api/v1/sites/demo/comments?${query}`, { headers });

describe('with an open site', () => {
  beforeEach(async () => {
    server = await startTestServer();
    // Pages of these tests live on blog.example; the requests come from the service's own origin, as the demo's do.
    await configure(server, { ...fastPosting, moderation: 'none', origins: ['https://blog.example'] });
  });

  describe('GET comments', () => {
    it('lists each top-level comment followed by its replies, in reply order', async () => {
      const a = (await post(commentInput({ body: 'A' }))).body.comment;
      const b = (await post(commentInput({ body: 'B' }))).body.comment;
      const a1 = (await post(commentInput({ body: 'A1', parentId: a.id }))).body.comment;
      const b1 = (await post(commentInput({ body: 'B1', parentId: b.id }))).body.comment;
      const a11 = (await post(commentInput({ body: 'A11', parentId: a1.id }))).body.comment;
      const a2 = (await post(commentInput({ body: 'A2', parentId: a.id }))).body.comment;
      const r = await list('page=/post');
      expect(r.status).toBe(200);
      expect(r.body.comments.map((c: any) => c.id)).toEqual([a.id, a1.id, a11.id, a2.id, b.id, b1.id]);
      expect(r.body.comments.map((c: any) => c.depth)).toEqual([0, 1, 2, 1, 0, 1]);
      expect(r.body.page).toEqual({ key: '/post', title: null, url: null, closed: false, commentCount: 6 });
      const newest = await list('page=/post&sort=newest');
      expect(newest.body.comments.map((c: any) => c.id)).toEqual([b.id, b1.id, a.id, a1.id, a11.id, a2.id]);
    });

    it('pages over top-level comments with a cursor, replies travelling with their parent', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await post(commentInput({ body: `top ${i}` }))).body.comment.id);
      const reply = (await post(commentInput({ body: 'reply to 1', parentId: ids[1] }))).body.comment.id;
      const p1 = await list('page=/post&limit=2');
      expect(p1.body.comments.map((c: any) => c.id)).toEqual([ids[0], ids[1], reply]);
      const p2 = await list(`page=/post&limit=2&cursor=${p1.body.nextCursor}`);
      expect(p2.body.comments.map((c: any) => c.id)).toEqual([ids[2], ids[3]]);
      const p3 = await list(`page=/post&limit=2&cursor=${p2.body.nextCursor}`);
      expect(p3.body.comments.map((c: any) => c.id)).toEqual([ids[4]]);
      expect(p3.body.nextCursor).toBeNull();
      const n1 = await list('page=/post&limit=3&sort=newest');
      const n2 = await list(`page=/post&limit=3&sort=newest&cursor=${n1.body.nextCursor}`);
      expect([...n1.body.comments, ...n2.body.comments].filter((c: any) => c.depth === 0).map((c: any) => c.id)).toEqual([...ids].reverse());
    });

    it('answers If-None-Match with 304 until the thread changes', async () => {
      await post(commentInput());
      const first = await list('page=/post');
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);
      expect(first.headers.get('cache-control')).toBe('public, max-age=10');
      expect((await list('page=/post', { 'if-none-match': etag })).status).toBe(304);
      await post(commentInput());
      const changed = await list('page=/post', { 'if-none-match': etag });
      expect(changed.status).toBe(200);
      expect(changed.body.comments).toHaveLength(2);
    });

    it('keeps a deleted comment with replies as a placeholder without author or body', async () => {
      const parent = (await post(commentInput({ body: 'parent' }))).body;
      const child = (await post(commentInput({ body: 'child', parentId: parent.comment.id }))).body.comment;
      const lonely = (await post(commentInput({ body: 'lonely' }))).body;
      for (const c of [parent, lonely])
        expect((await call(server, 'DELETE', `/api/v1/comments/${c.comment.id}`, { token: c.editToken })).status).toBe(204);
      const r = await list('page=/post');
      expect(r.body.comments).toEqual([
        expect.objectContaining({ id: parent.comment.id, deleted: true, author: null, html: null }),
        expect.objectContaining({ id: child.id, deleted: false }),
      ]);
      expect(r.body.page.commentCount).toBe(1);
    });

    it('caps the depth it reports at the site maxDepth', async () => {
      await configure(server, { maxDepth: 2 });
      let parentId: string | undefined;
      for (let i = 0; i < 4; i++) parentId = (await post(commentInput({ body: `level ${i}`, parentId }))).body.comment.id;
      expect((await list('page=/post')).body.comments.map((c: any) => c.depth)).toEqual([0, 1, 2, 2]);
    });

    it('gives an empty thread for a page nobody has commented on', async () => {
      const r = await list('page=/never-commented');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ comments: [], nextCursor: null, page: { key: '/never-commented', title: null, url: null, closed: false, commentCount: 0 }, maxDepth: 5, votes: 'up' });
    });

    it.each([
      ['no page', 'sort=oldest', 'page'],
      ['a bad sort', 'page=/p&sort=sideways', 'sort'],
      ['a limit over 200', 'page=/p&limit=201', 'limit'],
      ['a forged cursor', 'page=/p&cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ])('refuses %s with 400 naming the field', async (_what, query, field) => {
      await post(commentInput({ page: '/p' }));
      const r = await list(query);
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: any) => e.path)).toContain(field);
    });
  });

  describe('POST comments', () => {
    it('returns the comment, its status, an edit token and when editing ends', async () => {
      const before = Date.now();
      const r = await post(commentInput({ website: 'https://ada.example', pageTitle: 'A post', pageUrl: 'https://blog.example/post' }));
      expect(r.status).toBe(201);
      expect(r.body.status).toBe('approved');
      expect(r.body.comment).toMatchObject({ parentId: null, depth: 0, deleted: false, editedAt: null, author: { website: 'https://ada.example' } });
      expect(r.body.comment.author.avatar).toMatch(/^\/api\/v1\/avatars\/[0-9a-f]{20}\.svg$/);
      expect(Date.parse(r.body.editableUntil) - before).toBeGreaterThanOrEqual(15 * 60_000 - 1000);
      expect((await list('page=/post')).body.page).toMatchObject({ title: 'A post', url: 'https://blog.example/post' });
    });

    it('refuses a reply to an unknown comment or to a comment on another page with 404', async () => {
      const other = (await post(commentInput({ page: '/other' }))).body.comment;
      expect((await post(commentInput({ parentId: 'c_01M8HD66P9NNTND3SZ330QDVSX' }))).status).toBe(404);
      expect((await post(commentInput({ parentId: other.id }))).status).toBe(404);
    });

    it('refuses writes without an Origin or from an origin the site does not list', async () => {
      const none = await post(commentInput(), { origin: null });
      expect(none.status).toBe(403);
      expect(none.body.type).toMatch(/origin-not-allowed/);
      expect((await post(commentInput(), { origin: 'https://evil.example' })).status).toBe(403);
      await configure(server, { origins: ['https://blog.example'] });
      expect((await post(commentInput(), { origin: 'https://blog.example' })).status).toBe(201);
    });
  });

  describe('CORS', () => {
    it("answers a preflight from one of the site's origins, and nothing to others", async () => {
      await configure(server, { origins: ['https://blog.example'] });
      const ok = await call(server, 'OPTIONS', '/api/v1/sites/demo/comments', { origin: 'https://blog.example', headers: { 'access-control-request-method': 'POST' } });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://blog.example');
      expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
      const evil = await call(server, 'OPTIONS', '/api/v1/sites/demo/comments', { origin: 'https://evil.example' });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const read = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/x', { origin: 'https://blog.example' });
      expect(read.headers.get('access-control-allow-origin')).toBe('https://blog.example');
    });
  });

  describe('form token', () => {
    it('gives a signed, uncacheable token that lets a comment through the timing check', async () => {
      await configure(server, { minSubmitSeconds: 1 });
      const t = await call(server, 'POST', '/api/v1/sites/demo/form-token');
      expect(t.status).toBe(200);
      expect(t.headers.get('cache-control')).toBe('no-store');
      await new Promise((r) => setTimeout(r, 1100));
      expect((await post(commentInput({ formToken: t.body.formToken }))).body.status).toBe('approved');
      const forged = t.body.formToken.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A'));
      expect((await post(commentInput({ formToken: forged }))).body.status).toBe('pending');
    });
  });

  describe('edit and delete', () => {
    it('re-renders an edit made with the edit token', async () => {
      const c = (await post(commentInput({ body: 'first *draft*' }))).body;
      const r = await call(server, 'PATCH', `/api/v1/comments/${c.comment.id}`, { token: c.editToken, body: { body: 'final **version**' } });
      expect(r.status).toBe(200);
      expect(r.body.comment.html).toBe('<p>final <strong>version</strong></p>');
      expect(r.body.comment.editedAt).not.toBeNull();
      expect((await list('page=/post')).body.comments[0].html).toBe('<p>final <strong>version</strong></p>');
    });

    it('refuses a missing or wrong edit token with 401 and changes nothing', async () => {
      const c = (await post(commentInput({ body: 'original' }))).body;
      expect((await call(server, 'PATCH', `/api/v1/comments/${c.comment.id}`, { body: { body: 'hacked' } })).status).toBe(401);
      const other = (await post(commentInput())).body;
      expect((await call(server, 'PATCH', `/api/v1/comments/${c.comment.id}`, { token: other.editToken, body: { body: 'hacked' } })).status).toBe(401);
      expect((await call(server, 'DELETE', `/api/v1/comments/${c.comment.id}`, { token: 'et_forged' })).status).toBe(401);
      expect((await list('page=/post')).body.comments[0].html).toBe('<p>original</p>');
    });

    it('refuses edits and deletes after the window with 403', async () => {
      await configure(server, { editWindowMinutes: 0 });
      const c = (await post(commentInput())).body;
      await new Promise((r) => setTimeout(r, 5));
      const e = await call(server, 'PATCH', `/api/v1/comments/${c.comment.id}`, { token: c.editToken, body: { body: 'late' } });
      expect(e.status).toBe(403);
      expect(e.body.type).toMatch(/edit-window-closed/);
      expect((await call(server, 'DELETE', `/api/v1/comments/${c.comment.id}`, { token: c.editToken })).status).toBe(403);
    });

    it('refuses an invalid edit with 400 naming body', async () => {
      const c = (await post(commentInput())).body;
      const r = await call(server, 'PATCH', `/api/v1/comments/${c.comment.id}`, { token: c.editToken, body: { body: '' } });
      expect(r.status).toBe(400);
      expect(r.body.errors[0].path).toBe('body');
    });

    it('removes a comment deleted by its author from the thread', async () => {
      const c = (await post(commentInput())).body;
      expect((await call(server, 'DELETE', `/api/v1/comments/${c.comment.id}`, { token: c.editToken })).status).toBe(204);
      expect((await list('page=/post')).body.comments).toEqual([]);
      expect((await call(server, 'DELETE', `/api/v1/comments/${c.comment.id}`, { token: c.editToken })).status).toBe(404);
    });
  });

  describe('counts', () => {
    it('counts approved comments of each page asked for, zero for unknown pages', async () => {
      await post(commentInput({ page: '/a' }));
      await post(commentInput({ page: '/a' }));
      await post(commentInput({ page: '/b' }));
      const r = await call(server, 'GET', '/api/v1/sites/demo/counts?page=/a&page=/b&page=/nothing');
      expect(r.body).toEqual({ counts: { '/a': 2, '/b': 1, '/nothing': 0 } });
      expect(r.headers.get('etag')).toBeTruthy();
    });

    it('refuses no pages or more than 100', async () => {
      expect((await call(server, 'GET', '/api/v1/sites/demo/counts')).status).toBe(400);
      const many = Array.from({ length: 101 }, (_, i) => `page=/p${i}`).join('&');
      const r = await call(server, 'GET', `/api/v1/sites/demo/counts?${many}`);
      expect(r.status).toBe(400);
      expect(r.body.errors[0].path).toBe('page');
    });
  });

  describe('reports', () => {
    it('accepts one report per reader per comment', async () => {
      const c = (await post(commentInput())).body.comment;
      const first = await call(server, 'POST', `/api/v1/comments/${c.id}/reports`, { body: { reason: 'spam', note: 'selling things' } });
      expect(first.status).toBe(202);
      const again = await call(server, 'POST', `/api/v1/comments/${c.id}/reports`, { body: { reason: 'abuse' } });
      expect(again.status).toBe(409);
    });

    it('refuses a bad reason with 400 and an unknown comment with 404', async () => {
      const c = (await post(commentInput())).body.comment;
      const bad = await call(server, 'POST', `/api/v1/comments/${c.id}/reports`, { body: { reason: 'boring' } });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].path).toBe('reason');
      expect((await call(server, 'POST', '/api/v1/comments/c_01M8HD66P9NNTND3SZ330QDVSX/reports', { body: { reason: 'spam' } })).status).toBe(404);
    });
  });

  describe('feeds and avatars', () => {
    it('serves Atom feeds of a page and of the site', async () => {
      await post(commentInput({ page: '/a', pageTitle: 'Article A', pageUrl: 'https://blog.example/a', body: 'On A' }));
      await post(commentInput({ page: '/b', body: 'On B & more' }));
      const page = await call(server, 'GET', '/api/v1/sites/demo/feed.atom?page=/a');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
      expect(page.text).toContain('<title>Comments on Article A</title>');
      expect((page.text.match(/<entry>/g) ?? []).length).toBe(1);
      expect(page.text).toContain('href="https://blog.example/a#comment-');
      const site = await call(server, 'GET', '/api/v1/sites/demo/feed.atom');
      expect((site.text.match(/<entry>/g) ?? []).length).toBe(2);
      expect(site.text).toContain('On B &amp;amp; more');
    });

    it('draws an identicon, cached for a year, and 404s anything else', async () => {
      const c = (await post(commentInput())).body.comment;
      const r = await call(server, 'GET', c.author.avatar);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expect(r.headers.get('cache-control')).toContain('immutable');
      expect(r.text).toMatch(/^<svg /);
      expect((await call(server, 'GET', '/api/v1/avatars/../../etc.svg')).status).toBe(404);
      expect((await call(server, 'GET', '/api/v1/avatars/zzzz.svg')).status).toBe(404);
    });
  });

  describe('OpenAPI', () => {
    it('documents every public and moderation route from the zod schemas', async () => {
      const r = await call(server, 'GET', '/api/v1/openapi.json');
      expect(r.body.openapi).toBe('3.1.0');
      expect(Object.keys(r.body.paths)).toEqual(
        expect.arrayContaining(['/sites/{site}/comments', '/comments/{id}', '/sites/{site}/counts', '/sites/{site}/moderation/comments', '/sites/{site}/settings']),
      );
      const schema = (ref: { $ref: string }) => r.body.components.schemas[ref.$ref.replace('#/components/schemas/', '')];
      const postSchema = schema(r.body.paths['/sites/{site}/comments'].post.requestBody.content['application/json'].schema);
      expect(postSchema.required).toEqual(expect.arrayContaining(['page', 'name', 'email', 'body']));
      expect(postSchema.properties.body.maxLength).toBe(10000);
      expect(postSchema.additionalProperties).toBe(false);
      const listOk = schema(r.body.paths['/sites/{site}/comments'].get.responses['200'].content['application/json'].schema);
      expect(Object.keys(listOk.properties)).toEqual(expect.arrayContaining(['comments', 'nextCursor', 'page']));
    });
  });
});

describe('rate limits', () => {
  beforeEach(async () => {
    server = await startTestServer();
    await configure(server, { minSubmitSeconds: 0, floodSeconds: 0, moderation: 'none', rateLimits: { postsPerMinute: 3 } });
  });

  it('answers past the limit with 429, Retry-After and RateLimit headers', async () => {
    for (let i = 0; i < 3; i++) {
      const ok = await post(commentInput());
      expect(ok.status).toBe(201);
      expect(ok.headers.get('ratelimit-policy')).toContain('3;w=60');
    }
    const r = await post(commentInput());
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(r.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('counts cached reads too, each answer saying how many are left', async () => {
    await configure(server, { rateLimits: { readsPerMinute: 3 } });
    const read = () => call(server, 'GET', '/api/v1/sites/demo/comments?page=%2Flimited');
    for (const remaining of [2, 1, 0]) {
      const ok = await read();
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-policy')).toBe('3;w=60');
      expect(ok.headers.get('ratelimit')).toMatch(new RegExp(`^limit=3, remaining=${remaining}, reset=(60|59|58)$`));
    }
    const r = await read();
    expect(r.status).toBe(429);
    expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    const wait = Number(r.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(50);
    expect(wait).toBeLessThanOrEqual(60);
    expect(r.headers.get('ratelimit')).toMatch(/^limit=3, remaining=0, /);
    // Reads and posts have their own counters.
    expect((await post(commentInput())).status).toBe(201);
    expect((await call(server, 'GET', '/api/v1/sites/demo/counts?page=%2Flimited')).status).toBe(429);
  });
});

describe('client address', () => {
  it('takes it from X-Forwarded-For only when TRUST_PROXY is on', async () => {
    server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
    await configure(server, { minSubmitSeconds: 0, moderation: 'none', floodSeconds: 60 });
    expect((await post(commentInput(), { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(201);
    expect((await post(commentInput(), { headers: { 'x-forwarded-for': '198.51.100.2' } })).status).toBe(201);
    expect((await post(commentInput(), { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(429);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY', async () => {
    server = await startTestServer();
    await configure(server, { minSubmitSeconds: 0, moderation: 'none', floodSeconds: 60 });
    expect((await post(commentInput(), { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(201);
    const r = await post(commentInput(), { headers: { 'x-forwarded-for': '198.51.100.2' } });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeTruthy();
  });
});
