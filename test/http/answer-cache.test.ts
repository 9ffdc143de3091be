// The public answer cache over HTTP: one entry per question, and a write stales only the answers it changes.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, post } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const thread = (page: string, extra = '') => call(server, 'GET', `/api/v1/sites/demo/comments?page=${encodeURIComponent(page)}${extra}`);
const counts = (...pages: string[]) => call(server, 'GET', `/api/v1/sites/demo/counts?${pages.map((p) => `page=${encodeURIComponent(p)}`).join('&')}`);
const feed = (page?: string) => call(server, 'GET', `/api/v1/sites/demo/feed.atom${page ? `?page=${encodeURIComponent(page)}` : ''}`);

/** Runs `read` and tells whether the cache answered it. */
async function hitOrMiss(read: () => Promise<{ status: number; headers: Headers; body: any; text: string }>) {
  const before = server.cache.stats();
  const r = await read();
  const after = server.cache.stats();
  expect(r.status).toBe(200);
  expect(after.hits + after.misses).toBe(before.hits + before.misses + 1);
  return { ...r, hit: after.hits === before.hits + 1, etag: r.headers.get('etag') };
}

async function postTo(page: string, over: Record<string, unknown> = {}) {
  const r = await post(server, commentInput({ page, ...over }));
  expect(r.status).toBe(201);
  return r.body.comment.id as string;
}

describe('answer cache', () => {
  it('keeps one entry per question, however the query is spelled', async () => {
    await postTo('/a');
    const first = await hitOrMiss(() => thread('/a'));
    expect(first.hit).toBe(false);
    const entries = server.cache.stats().entries;
    for (const extra of ['&v=1', '&v=2', '&limit=50', '&sort=oldest&limit=50', '&limit=050&utm_source=x']) {
      const r = await hitOrMiss(() => thread('/a', extra));
      expect(r.hit).toBe(true);
      expect(r.etag).toBe(first.etag);
    }
    expect((await hitOrMiss(() => call(server, 'GET', '/api/v1/sites/demo/comments?sort=oldest&page=%2Fa'))).hit).toBe(true);
    await hitOrMiss(() => counts('/a', '/b'));
    expect((await hitOrMiss(() => counts('/b', '/a', '/a'))).hit).toBe(true);
    expect(server.cache.stats().entries).toBe(entries + 1);
  });

  it('a new comment on one page keeps another page\'s cached answer and freshens its own page and the counts', async () => {
    await postTo('/a');
    const b1 = await postTo('/b');
    await hitOrMiss(() => thread('/a'));
    const b = await hitOrMiss(() => thread('/b'));
    const c = await hitOrMiss(() => counts('/a', '/b'));
    expect(c.body.counts).toEqual({ '/a': 1, '/b': 1 });

    const a2 = await postTo('/a');

    const bAgain = await hitOrMiss(() => thread('/b'));
    expect(bAgain.hit).toBe(true);
    expect(bAgain.etag).toBe(b.etag);
    expect(bAgain.body.comments.map((x: any) => x.id)).toEqual([b1]);
    // The client's copy is still good: 304.
    expect((await call(server, 'GET', '/api/v1/sites/demo/comments?page=%2Fb', { headers: { 'if-none-match': b.etag! } })).status).toBe(304);

    const aAgain = await hitOrMiss(() => thread('/a'));
    expect(aAgain.hit).toBe(false);
    expect(aAgain.body.comments.map((x: any) => x.id)).toContain(a2);
    expect(aAgain.body.page.commentCount).toBe(2);
    const cAgain = await hitOrMiss(() => counts('/a', '/b'));
    expect(cAgain.hit).toBe(false);
    expect(cAgain.etag).not.toBe(c.etag);
    expect(cAgain.body.counts).toEqual({ '/a': 2, '/b': 1 });
    // Counts that do not include the page stay.
    await hitOrMiss(() => counts('/b'));
    await postTo('/a');
    expect((await hitOrMiss(() => counts('/b'))).hit).toBe(true);
  });

  it('an empty thread is freshened by the first comment that creates its page', async () => {
    await postTo('/b');
    expect((await hitOrMiss(() => thread('/new'))).body.comments).toEqual([]);
    const zero = await hitOrMiss(() => counts('/new', '/b'));
    expect(zero.body.counts).toEqual({ '/new': 0, '/b': 1 });
    const id = await postTo('/new');
    const r = await hitOrMiss(() => thread('/new'));
    expect(r.hit).toBe(false);
    expect(r.body.comments.map((x: any) => x.id)).toEqual([id]);
    expect((await hitOrMiss(() => counts('/new', '/b'))).body.counts).toEqual({ '/new': 1, '/b': 1 });
  });

  it('a moderator\'s action freshens the pages of the comments it changed, the author\'s other pages too, and no other', async () => {
    await configure(server, { moderation: 'all' });
    const author = { name: 'Ada', email: 'ada@example.com' };
    const onA = await postTo('/a', author);
    const onC = await postTo('/c', author);
    await configure(server, { moderation: 'none' });
    await postTo('/b');
    await postTo('/c');
    const before = { a: await hitOrMiss(() => thread('/a')), b: await hitOrMiss(() => thread('/b')), c: await hitOrMiss(() => thread('/c')) };
    expect(before.a.body.comments).toEqual([]);

    const r = await act(server, { action: 'approve', ids: [onA], trustAuthor: true });
    expect(r.status).toBe(200);

    const a = await hitOrMiss(() => thread('/a'));
    expect(a.hit).toBe(false);
    expect(a.body.comments.map((x: any) => x.id)).toEqual([onA]);
    const c = await hitOrMiss(() => thread('/c'));
    expect(c.hit).toBe(false);
    expect(c.body.comments.map((x: any) => x.id)).toContain(onC);
    const b = await hitOrMiss(() => thread('/b'));
    expect(b.hit).toBe(true);
    expect(b.etag).toBe(before.b.etag);
  });

  it('an edit, a deletion and a page closed by a moderator freshen only that page', async () => {
    const r = await post(server, commentInput({ page: '/a' }));
    const id = r.body.comment.id as string;
    const token = r.body.editToken as string;
    await postTo('/b');
    const b = await hitOrMiss(() => thread('/b'));
    await hitOrMiss(() => thread('/a'));

    const edited = await call(server, 'PATCH', `/api/v1/comments/${id}`, { token, body: { body: 'Changed my mind' } });
    expect(edited.status).toBe(200);
    const a = await hitOrMiss(() => thread('/a'));
    expect(a.hit).toBe(false);
    expect(a.body.comments[0].html).toContain('Changed my mind');

    const closed = await call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken, body: { page: '/a', closed: true } });
    expect(closed.status).toBe(200);
    const a2 = await hitOrMiss(() => thread('/a'));
    expect(a2.hit).toBe(false);
    expect(a2.body.page.closed).toBe(true);

    expect((await call(server, 'DELETE', `/api/v1/comments/${id}`, { token })).status).toBe(204);
    const a3 = await hitOrMiss(() => thread('/a'));
    expect(a3.hit).toBe(false);
    expect(a3.body.comments).toEqual([]);

    const bAgain = await hitOrMiss(() => thread('/b'));
    expect(bAgain.hit).toBe(true);
    expect(bAgain.etag).toBe(b.etag);
  });

  it('a change of the site\'s settings freshens every answer of the site', async () => {
    await postTo('/a');
    await hitOrMiss(() => thread('/a'));
    await configure(server, { maxDepth: 2 });
    const r = await hitOrMiss(() => thread('/a'));
    expect(r.hit).toBe(false);
    expect(r.body.maxDepth).toBe(2);
  });

  it('caches feeds: the site\'s feed freshens on a comment on any page, a page\'s feed only on its own', async () => {
    await postTo('/a');
    await postTo('/b');
    const site = await hitOrMiss(() => feed());
    expect(site.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(site.headers.get('cache-control')).toBe('public, max-age=60');
    const bFeed = await hitOrMiss(() => feed('/b'));
    expect((await hitOrMiss(() => feed())).hit).toBe(true);

    await postTo('/a', { body: 'Fresh words on a' });
    const siteAgain = await hitOrMiss(() => feed());
    expect(siteAgain.hit).toBe(false);
    expect(siteAgain.text).toContain('Fresh words on a');
    const bAgain = await hitOrMiss(() => feed('/b'));
    expect(bAgain.hit).toBe(true);
    expect(bAgain.etag).toBe(bFeed.etag);
  });

  it('logs its bytes, entries, hits and misses at debug level', async () => {
    const debug = await startTestServer({ env: { LOG_LEVEL: 'debug' } });
    try {
      await call(debug, 'GET', '/api/v1/sites/demo/comments?page=%2Fx');
      const line = debug.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'answer cache');
      expect(line).toBeDefined();
      expect(line.level).toBe(20);
      expect(line.cache).toMatchObject({ entries: 1, misses: 1, hits: 0, bytes: expect.any(Number), maxBytes: 32 * 1024 * 1024 });
      expect(line.cache.bytes).toBeGreaterThan(0);
    } finally {
      await debug.stop();
    }
  });
});
