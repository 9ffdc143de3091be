// The moderation queue: keyset pages, filters (status, page, q, email), counts and the private fields.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, expectProblem, post, queue, rawQuery } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'all' });
});
afterEach(() => server.stop());

const newComment = async (over: Record<string, unknown> = {}) => {
  const r = await post(server, commentInput(over));
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
  return r.body.comment.id as string;
};
const ids = (r: { body: any }) => r.body.items.map((c: any) => c.id);

/** Follows nextCursor to the end, returning every id in order and the number of pages. */
async function walk(query: Record<string, string | number>) {
  const all: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await queue(server, { ...query, ...(cursor ? { cursor } : {}) });
    expect(r.status).toBe(200);
    all.push(...ids(r));
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { all, pages };
}

describe('keyset pagination', () => {
  it('returns every item exactly once, newest first, over nextCursor', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push(await newComment());
    const { all, pages } = await walk({ limit: 3 });
    expect(pages).toBe(3);
    expect(all).toEqual([...created].reverse());
    const exact = await walk({ limit: 7 });
    expect(exact.pages).toBe(1);
    expect(exact.all).toHaveLength(7);
  });

  it('neither repeats nor skips items when comments arrive or leave between pages', async () => {
    const created: string[] = [];
    for (let i = 0; i < 6; i++) created.push(await newComment());
    const first = await queue(server, { limit: 3 });
    expect(ids(first)).toEqual(created.slice(3).reverse());
    await newComment(); // newer than the cursor: belongs to the first page, not the next
    await act(server, { action: 'approve', ids: [created[5]] }); // already seen; leaving the queue shifts nothing
    const second = await queue(server, { limit: 3, cursor: first.body.nextCursor });
    expect(ids(second)).toEqual(created.slice(0, 3).reverse());
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not give out, and a limit over 200 (400 naming the field)', async () => {
    for (const [query, path] of [
      [{ cursor: 'not-a-cursor' }, 'cursor'],
      [{ cursor: Buffer.from("c_' OR 1=1 --").toString('base64url') }, 'cursor'],
      [{ limit: 201 }, 'limit'],
      [{ status: 'everything' }, 'status'],
    ] as const) {
      const r = await queue(server, query);
      expectProblem(r, 400);
      expect(r.body.errors.map((e: any) => e.path)).toContain(path);
    }
  });
});

describe('filters', () => {
  it('filters by status (pending by default), reported and all, with counts of every tab', async () => {
    const p = await newComment();
    const a = await newComment();
    const s = await newComment();
    const rj = await newComment();
    const d = await newComment();
    await act(server, { action: 'approve', ids: [a] });
    await act(server, { action: 'spam', ids: [s] });
    await act(server, { action: 'reject', ids: [rj] });
    await act(server, { action: 'delete', ids: [d] });
    const def = await queue(server);
    expect(ids(def)).toEqual([p]);
    expect(def.body.counts).toEqual({ pending: 1, approved: 1, spam: 1, rejected: 1, deleted: 1, reported: 0 });
    expect(ids(await queue(server, { status: 'approved' }))).toEqual([a]);
    expect(ids(await queue(server, { status: 'spam' }))).toEqual([s]);
    expect(ids(await queue(server, { status: 'rejected' }))).toEqual([rj]);
    expect(ids(await queue(server, { status: 'deleted' }))).toEqual([d]);
    expect(ids(await queue(server, { status: 'all' }))).toEqual([d, rj, s, a, p]);
  });

  it('filters by page key, and answers an unknown page with no items', async () => {
    const one = await newComment({ page: '/one' });
    await newComment({ page: '/two' });
    const r = await queue(server, { page: '/one' });
    expect(ids(r)).toEqual([one]);
    expect(r.body.items[0].page.key).toBe('/one');
    expect(ids(await queue(server, { page: '/nowhere' }))).toEqual([]);
  });

  it('searches body and author name as free text, case-insensitively', async () => {
    const body = await newComment({ body: 'I adore Lighthouses' });
    const name = await newComment({ name: 'Lighthouse Keeper' });
    await newComment({ body: 'Nothing to see' });
    expect(ids(await queue(server, { q: 'lighthouse' })).sort()).toEqual([body, name].sort());
    expect(ids(await queue(server, { q: 'no such text' }))).toEqual([]);
  });

  it('matches SQL and LIKE metacharacters literally', async () => {
    const percent = await newComment({ body: '100% sure' });
    await newComment({ body: '1000 sure' });
    const underscore = await newComment({ body: 'use snake_case here' });
    await newComment({ body: 'use snakeXcase here' });
    const quote = await newComment({ body: "it's mine" });
    const injection = await newComment({ body: 'x"; DROP TABLE comments; --' });
    const backslash = await newComment({ body: 'path C:\\temp' });
    await newComment({ body: 'path C:temp' });
    expect(ids(await queue(server, { q: '%' }))).toEqual([percent]);
    expect(ids(await queue(server, { q: '0%' }))).toEqual([percent]);
    expect(ids(await queue(server, { q: '_' }))).toEqual([underscore]);
    expect(ids(await queue(server, { q: 'e_c' }))).toEqual([underscore]);
    expect(ids(await queue(server, { q: "'" }))).toEqual([quote]);
    expect(ids(await queue(server, { q: "it's" }))).toEqual([quote]);
    expect(ids(await queue(server, { q: '"; DROP TABLE' }))).toEqual([injection]);
    expect(ids(await queue(server, { q: "' OR '1'='1" }))).toEqual([]);
    expect(ids(await queue(server, { q: '\\' }))).toEqual([backslash]);
    // Nothing was dropped.
    expect((await queue(server, { status: 'all' })).body.items).toHaveLength(8);
  });

  it('filters by exact e-mail, whatever its case, never by part', async () => {
    const ada1 = await newComment({ email: 'ada@example.com' });
    const ada2 = await newComment({ email: 'ada@example.com', page: '/other' });
    await newComment({ email: 'adam@example.com' });
    expect(ids(await queue(server, { email: 'ada@example.com' }))).toEqual([ada2, ada1]);
    expect(ids(await queue(server, { email: 'ADA@Example.com' }))).toEqual([ada2, ada1]);
    expect(ids(await queue(server, { email: 'ada' }))).toEqual([]);
    expect(ids(await queue(server, { email: 'example.com' }))).toEqual([]);
  });

  it('combines filters', async () => {
    const hit = await newComment({ page: '/a', body: 'needle here', email: 'x@example.com' });
    await newComment({ page: '/b', body: 'needle there', email: 'x@example.com' });
    await newComment({ page: '/a', body: 'needle too', email: 'y@example.com' });
    const approved = await newComment({ page: '/a', body: 'needle approved', email: 'x@example.com' });
    await act(server, { action: 'approve', ids: [approved] });
    expect(ids(await queue(server, { page: '/a', q: 'needle', email: 'x@example.com' }))).toEqual([hit]);
    expect(ids(await queue(server, { page: '/a', q: 'needle', email: 'x@example.com', status: 'all' }))).toEqual([approved, hit]);
  });

  it('pages through a filtered result with its own cursor', async () => {
    const hits: string[] = [];
    for (let i = 0; i < 5; i++) {
      hits.push(await newComment({ body: `match ${i}` }));
      await newComment({ body: `other ${i}` });
    }
    const { all, pages } = await walk({ q: 'match', limit: 2 });
    expect(pages).toBe(3);
    expect(all).toEqual([...hits].reverse());
  });
});

describe('what a moderator sees', () => {
  it('includes e-mail, reasons, reports, ipHash, user agent, page title and url, and the parent excerpt', async () => {
    await configure(server, { moderation: 'none', origins: ['https://blog.example'] });
    const parent = await newComment({ name: 'Bob', body: 'A'.repeat(200), pageTitle: 'The Post', pageUrl: 'https://blog.example/post' });
    await configure(server, { moderation: 'all' });
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', {
      body: commentInput({ name: 'Ada', email: 'ada@example.com', body: 'Reply', parentId: parent }),
      headers: { 'user-agent': 'TestAgent/1.0' },
    });
    const item = (await queue(server)).body.items[0];
    expect(item).toEqual({
      id: r.body.comment.id,
      parentId: parent,
      depth: 1,
      status: 'pending',
      page: { key: '/post', title: 'The Post', url: 'https://blog.example/post', closed: false },
      author: { name: 'Ada', email: 'ada@example.com', website: null, avatar: expect.stringMatching(/^\/api\/v1\/avatars\/[0-9a-f]{20}\.svg$/) },
      html: '<p>Reply</p>',
      body: 'Reply',
      createdAt: expect.any(String),
      editedAt: null,
      reasons: [{ code: 'policy_all', detail: expect.any(String) }],
      reports: { count: 0, items: [] },
      ipHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      userAgent: 'TestAgent/1.0',
      parent: { id: parent, authorName: 'Bob', excerpt: expect.any(String) },
      votes: { score: 0, upvotes: 0, downvotes: 0 },
      featuredAt: null,
    });
    expect(item.parent.excerpt.length).toBeLessThanOrEqual(140);
    expect(JSON.stringify(item)).not.toContain('127.0.0.1');
    expect((await queue(server)).headers.get('cache-control')).toBe('no-store');
  });

  it('keeps the counts in step with the stored rows', async () => {
    for (let i = 0; i < 4; i++) await newComment();
    const some = ids(await queue(server)).slice(0, 2);
    await act(server, { action: 'approve', ids: some });
    const counts = (await queue(server)).body.counts;
    const rows = (await rawQuery(server, `SELECT status, CAST(count(*) AS INTEGER) AS n FROM comments WHERE site_id = 'demo' GROUP BY status`)) as { status: string; n: number }[];
    for (const { status, n } of rows) expect(counts[status]).toBe(n);
    expect(counts.pending).toBe(2);
    expect(counts.approved).toBe(2);
  });
});
