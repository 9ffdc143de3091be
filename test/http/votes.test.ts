// Votes and sort=best over HTTP: one vote per voter key, changes and withdrawals, the site's vote setting, the rate
// limit, own comments, and a best cursor that neither repeats nor skips a comment while votes move.
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { expectProblem, openDb, rawQuery } from '../helpers/moderation';
import { wilsonLowerBound } from '../../src/domain/ranking';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const voterKey = (n: number) => `voter-key-${String(n).padStart(8, '0')}-abcdef`;
const vote = (id: string, value: unknown, voter: string | null, opts: { origin?: string | null } = {}) =>
  call(server, 'POST', `/api/v1/comments/${id}/votes`, { body: { value }, headers: voter === null ? {} : { 'marginalia-voter': voter }, ...opts });
const postComment = async (over: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput(over), headers });
  expect(r.status).toBe(201);
  return r.body.comment.id as string;
};
const thread = (query: string) => call(server, 'GET', `/api/v1/sites/demo/comments?${query}`);
const publicOf = async (id: string) => (await thread('page=/post&limit=200')).body.comments.find((c: any) => c.id === id);

describe('POST /comments/:id/votes', () => {
  it('counts one vote per voter key, however often it is sent', async () => {
    const id = await postComment();
    expect((await vote(id, 1, voterKey(1))).body).toEqual({ score: 1, upvotes: 1, downvotes: 0, myVote: 1 });
    expect((await vote(id, 1, voterKey(1))).body).toEqual({ score: 1, upvotes: 1, downvotes: 0, myVote: 1 });
    expect((await vote(id, 1, voterKey(2))).body).toEqual({ score: 2, upvotes: 2, downvotes: 0, myVote: 1 });
    expect(await publicOf(id)).toEqual(expect.objectContaining({ score: 2, upvotes: 2, downvotes: 0, featured: false }));
  });

  it('replaces a vote with a new value and withdraws it with 0', async () => {
    await configure(server, { votes: 'updown' });
    const id = await postComment();
    await vote(id, 1, voterKey(1));
    await vote(id, 1, voterKey(2));
    expect((await vote(id, -1, voterKey(1))).body).toEqual({ score: 0, upvotes: 1, downvotes: 1, myVote: -1 });
    expect((await vote(id, 0, voterKey(1))).body).toEqual({ score: 1, upvotes: 1, downvotes: 0, myVote: 0 });
    // Withdrawing what is not there changes nothing.
    expect((await vote(id, 0, voterKey(3))).body).toEqual({ score: 1, upvotes: 1, downvotes: 0, myVote: 0 });
    expect(await publicOf(id)).toEqual(expect.objectContaining({ score: 1, upvotes: 1, downvotes: 0 }));
  });

  it("refuses a vote on the voter's own comment (the key the widget sent with the post)", async () => {
    const id = await postComment({}, { 'marginalia-voter': voterKey(7) });
    const own = await vote(id, 1, voterKey(7));
    expectProblem(own, 403);
    expect(own.body.type).toMatch(/own-comment$/);
    expect((await vote(id, 1, voterKey(8))).status).toBe(200);
    expect((await publicOf(id)).upvotes).toBe(1);
  });

  it("with votes: off answers 403 with a problem naming the setting, and stores nothing", async () => {
    const id = await postComment();
    await configure(server, { votes: 'off' });
    const r = await vote(id, 1, voterKey(1));
    expectProblem(r, 403);
    expect(r.body.type).toMatch(/votes-off$/);
    expect(r.body.detail).toMatch(/turned off/);
    await configure(server, { votes: 'up' });
    expect((await publicOf(id)).upvotes).toBe(0);
  });

  it('with votes: up refuses a downvote naming value; with updown takes it', async () => {
    const id = await postComment();
    const r = await vote(id, -1, voterKey(1));
    expectProblem(r, 400);
    expect(r.body.errors).toEqual([expect.objectContaining({ path: 'value', code: 'not_allowed' })]);
    await configure(server, { votes: 'updown' });
    expect((await vote(id, -1, voterKey(1))).body).toEqual({ score: -1, upvotes: 0, downvotes: 1, myVote: -1 });
  });

  it('refuses bad input with the field named: value, a missing or malformed voter key', async () => {
    const id = await postComment();
    for (const value of [2, '1', null, 0.5]) {
      const r = await vote(id, value, voterKey(1));
      expectProblem(r, 400);
      expect(r.body.errors[0].path).toBe('value');
    }
    const extra = await call(server, 'POST', `/api/v1/comments/${id}/votes`, { body: { value: 1, voter: 'x' }, headers: { 'marginalia-voter': voterKey(1) } });
    expectProblem(extra, 400);
    const missing = await vote(id, 1, null);
    expectProblem(missing, 400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'Marginalia-Voter', code: 'required' })]);
    for (const bad of ['short', "x'; DROP TABLE votes; --xxxxxx", 'é'.repeat(20), 'a'.repeat(129)]) {
      const r = await vote(id, 1, bad);
      expectProblem(r, 400);
      expect(r.body.errors).toEqual([expect.objectContaining({ path: 'Marginalia-Voter', code: 'invalid_format' })]);
    }
    expect((await publicOf(id)).upvotes).toBe(0);
  });

  it('answers 404 for a comment that is not public, and 403 without an allowed Origin', async () => {
    await configure(server, { moderation: 'all' });
    const pending = await postComment();
    expectProblem(await vote(pending, 1, voterKey(1)), 404);
    expectProblem(await vote('c_01KAAAAAAAAAAAAAAAAAAAAAAA', 1, voterKey(1)), 404);
    await configure(server, { moderation: 'none' });
    const id = await postComment();
    expectProblem(await vote(id, 1, voterKey(1), { origin: 'https://evil.example' }), 403);
    expectProblem(await vote(id, 1, voterKey(1), { origin: null }), 403);
  });

  it('limits votes per address (429 with Retry-After), whatever the voter key', async () => {
    await configure(server, { rateLimits: { votesPerMinute: 3 } });
    const id = await postComment();
    for (let i = 0; i < 3; i++) expect((await vote(id, 1, voterKey(i))).status).toBe(200);
    const r = await vote(id, 1, voterKey(99));
    expectProblem(r, 429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await publicOf(id)).upvotes).toBe(3);
  });

  it('keeps voters only as HMACs: the key is nowhere in the database file', async () => {
    const id = await postComment({}, { 'marginalia-voter': voterKey(41) });
    await vote(id, 1, voterKey(42));
    const rows = await rawQuery(server, 'SELECT voter_hmac FROM votes');
    expect(rows).toHaveLength(1);
    expect(rows[0].voter_hmac).toMatch(/^[0-9a-f]{64}$/);
    // Every row of the tables that hold voters, on either store.
    const stored = JSON.stringify([...(await rawQuery(server, 'SELECT * FROM votes')), ...(await rawQuery(server, 'SELECT * FROM comments'))]);
    for (const key of [voterKey(41), voterKey(42)]) expect(stored).not.toContain(key);
    if (!server.databaseUrl) {
      // On SQLite, not in the file's bytes either (free pages and the log included, once checkpointed).
      const db = openDb(server);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      const file = fs.readFileSync(path.join(server.dataDir, 'marginalia.db'));
      expect(file.includes(voterKey(42))).toBe(false);
      expect(file.includes(voterKey(41))).toBe(false);
    }
  });

  it('a vote changes the cached thread answer (new ETag, new counts)', async () => {
    const id = await postComment();
    const before = await thread('page=/post');
    await vote(id, 1, voterKey(1));
    const after = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/post', { headers: { 'if-none-match': before.headers.get('etag')! } });
    expect(after.status).toBe(200);
    expect(after.body.comments[0].upvotes).toBe(1);
    expect(after.body.votes).toBe('up');
  });
});

describe('sort=best', () => {
  /** Roots with [up, down] votes each, in posting order. */
  async function seed(votes: [number, number][]): Promise<string[]> {
    await configure(server, { votes: 'updown', rateLimits: { votesPerMinute: 100_000 } });
    const ids: string[] = [];
    let k = 0;
    for (const [up, down] of votes) {
      const id = await postComment({ body: `root ${ids.length}` });
      for (let i = 0; i < up; i++) await vote(id, 1, voterKey(k++));
      for (let i = 0; i < down; i++) await vote(id, -1, voterKey(k++));
      ids.push(id);
    }
    return ids;
  }

  it('orders top-level comments by the Wilson lower bound, newest first on ties, replies in thread order', async () => {
    // 0: 3/0; 1: 10/2; 2: 0/0; 3: 1/0; 4: 0/0; 5: 3/0 (ties with 0, newer).
    const ids = await seed([[3, 0], [10, 2], [0, 0], [1, 0], [0, 0], [3, 0]]);
    const r1 = await postComment({ parentId: ids[3], body: 'first reply' });
    const r2 = await postComment({ parentId: ids[3], body: 'second reply' });
    const r11 = await postComment({ parentId: r1, body: 'reply to reply' });
    // A popular reply does not move above its siblings: replies stay in thread order.
    await vote(r2, 1, voterKey(900));
    const r = await thread('page=/post&sort=best&limit=50');
    expect(r.status).toBe(200);
    expect(r.body.comments.map((c: any) => c.id)).toEqual([ids[1], ids[5], ids[0], ids[3], r1, r11, r2, ids[4], ids[2]]);
    expect(wilsonLowerBound(10, 2)).toBeGreaterThan(wilsonLowerBound(3, 0));
    expect(wilsonLowerBound(3, 0)).toBeGreaterThan(wilsonLowerBound(1, 0));
    expect(wilsonLowerBound(0, 0)).toBe(0);
  });

  it('pages with a cursor that neither repeats nor skips a comment while votes move between pages', async () => {
    const ids = await seed([[6, 0], [5, 0], [4, 0], [3, 0], [2, 0], [1, 0], [1, 1], [0, 1]]);
    const shown: string[] = [];
    let page = await thread('page=/post&sort=best&limit=3');
    shown.push(...page.body.comments.map((c: any) => c.id));
    expect(shown).toEqual([ids[0], ids[1], ids[2]]);
    let k = 10_000;
    // Between pages, at once: the last comment races to the top, a shown one sinks to the bottom.
    const storm = async () => {
      const votes: Promise<unknown>[] = [];
      for (let i = 0; i < 15; i++) votes.push(vote(ids[7], 1, voterKey(k++)));
      for (let i = 0; i < 15; i++) votes.push(vote(ids[0], -1, voterKey(k++)));
      await Promise.all(votes);
    };
    while (page.body.nextCursor) {
      const next = thread(`page=/post&sort=best&limit=3&cursor=${page.body.nextCursor}`);
      await storm();
      page = await next;
      expect(page.status).toBe(200);
      shown.push(...page.body.comments.map((c: any) => c.id));
    }
    // Every top-level comment exactly once, in the order of the first page's snapshot.
    expect(shown).toEqual(ids);
    // A fresh first page ranks by the new totals.
    const fresh = await thread('page=/post&sort=best&limit=1');
    expect(fresh.body.comments[0].id).toBe(ids[7]);
  });

  it('leaves out of later pages the comments posted after the first page, which the first page did not rank', async () => {
    const ids = await seed([[2, 0], [1, 0], [0, 0]]);
    const p1 = await thread('page=/post&sort=best&limit=2');
    const late = await postComment({ body: 'posted while reading' });
    await vote(late, 1, voterKey(5000));
    await vote(late, 1, voterKey(5001));
    await vote(late, 1, voterKey(5002));
    const p2 = await thread(`page=/post&sort=best&limit=2&cursor=${p1.body.nextCursor}`);
    expect([...p1.body.comments, ...p2.body.comments].map((c: any) => c.id)).toEqual(ids);
  });

  it('refuses a forged, tampered or expired cursor naming cursor', async () => {
    await seed([[1, 0], [0, 0]]);
    const p1 = await thread('page=/post&sort=best&limit=1');
    const [seq, at, rank, id] = JSON.parse(Buffer.from(p1.body.nextCursor, 'base64url').toString());
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of ['nope', enc([seq, at, 2, id]), enc([seq, at, rank, "c_' OR 1=1 --"]), enc({ seq }), enc([seq, at - 2 * 3600_000, rank, id])]) {
      const r = await thread(`page=/post&sort=best&limit=1&cursor=${bad}`);
      expectProblem(r, 400);
      expect(r.body.errors).toEqual([expect.objectContaining({ path: 'cursor', code: 'invalid_cursor' })]);
    }
    // An oldest/newest cursor is not a best cursor, and the other way round.
    const oldest = await thread('page=/post&limit=1');
    expectProblem(await thread(`page=/post&sort=best&limit=1&cursor=${oldest.body.nextCursor}`), 400);
    expectProblem(await thread(`page=/post&limit=1&cursor=${p1.body.nextCursor}`), 400);
  });
});
