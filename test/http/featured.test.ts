// Featured comments and recent comments over HTTP: moderator actions (one transaction, audited), the public lists,
// and what never reaches them (pending comments, other sites, e-mails).
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, auditLog, createToken, expectProblem, queue } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const postOn = async (page: string, over: Record<string, unknown> = {}, site = 'demo') => {
  const r = await call(server, 'POST', `/api/v1/sites/${site}/comments`, { body: commentInput({ page, ...over }) });
  expect(r.status).toBe(201);
  return r.body.comment.id as string;
};
const featured = (query = '', site = 'demo') => call(server, 'GET', `/api/v1/sites/${site}/featured${query}`);
const ids = (r: { body: { comments: { id: string }[] } }) => r.body.comments.map((c) => c.id);

describe('feature / unfeature', () => {
  it('features comments in one action, lists them newest feature first, and marks them in the thread', async () => {
    const a = await postOn('/a');
    const b = await postOn('/a');
    const c = await postOn('/b');
    expect((await featured('?page=/a')).body).toEqual({ comments: [] });
    const first = await act(server, { action: 'feature', ids: [a] });
    expect(first.body.results).toEqual([{ id: a, ok: true, from: 'approved', to: 'approved' }]);
    await new Promise((r) => setTimeout(r, 5));
    expect((await act(server, { action: 'feature', ids: [b, c] })).body.results.every((r: any) => r.ok)).toBe(true);
    expect(ids(await featured('?page=/a'))).toEqual([b, a]);
    // Without a page: the whole site.
    expect(ids(await featured())).toEqual([c, b, a].filter((x) => x !== a).concat(a));
    const f = (await featured('?page=/a')).body.comments[0];
    expect(f).toEqual(expect.objectContaining({ id: b, featured: true, deleted: false, html: expect.any(String) }));
    expect(JSON.stringify((await featured()).body)).not.toMatch(/@example\.com|127\.0\.0\.1/);
    const t = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/a');
    expect(t.body.comments.map((x: any) => [x.id, x.featured])).toEqual([[a, true], [b, true]]);
  });

  it('unfeatures, keeps the first feature time when featured twice, and writes one audit row per change', async () => {
    const a = await postOn('/a');
    const b = await postOn('/a');
    await act(server, { action: 'feature', ids: [a], reason: 'great point' });
    await act(server, { action: 'feature', ids: [b] });
    await act(server, { action: 'feature', ids: [a] }); // again: stays where it was
    expect(ids(await featured('?page=/a'))).toEqual([b, a]);
    expect((await act(server, { action: 'unfeature', ids: [b] })).body.results[0]).toEqual({ id: b, ok: true, from: 'approved', to: 'approved' });
    expect(ids(await featured('?page=/a'))).toEqual([a]);
    const log = (await auditLog(server)).filter((e) => e.action === 'feature' || e.action === 'unfeature');
    expect(log.map((e) => [e.commentId, e.action])).toEqual([[a, 'feature'], [b, 'feature'], [b, 'unfeature']]);
    expect(log[0]).toEqual(expect.objectContaining({ from: 'approved', to: 'approved', reason: 'great point', actor: expect.objectContaining({ type: 'token' }) }));
  });

  it('refuses to feature a comment that is not public, per id, and unknown or other-site ids', async () => {
    await configure(server, { moderation: 'all' });
    const held = await postOn('/a');
    await configure(server, { moderation: 'none' });
    const ok = await postOn('/a');
    const sites = await call(server, 'POST', '/api/v1/sites', { token: server.ownerToken, body: { id: 'other', name: 'Other' } });
    expect(sites.status).toBe(201);
    await configure(server, { ...fastPosting, moderation: 'none', origins: [server.baseUrl] }, 'other');
    const elsewhere = await postOn('/a', {}, 'other');
    const r = await act(server, { action: 'feature', ids: [held, ok, elsewhere] });
    expect(r.body.results).toEqual([
      { id: held, ok: false, error: expect.objectContaining({ code: 'not_public', status: 409 }) },
      { id: ok, ok: true, from: 'approved', to: 'approved' },
      { id: elsewhere, ok: false, error: expect.objectContaining({ code: 'not_found', status: 404 }) },
    ]);
    expect(ids(await featured('?page=/a'))).toEqual([ok]);
    expect(ids(await featured('?page=/a', 'other'))).toEqual([]);
  });

  it('a featured comment that leaves public view leaves the featured list, and comes back when restored', async () => {
    const a = await postOn('/a');
    await act(server, { action: 'feature', ids: [a] });
    await act(server, { action: 'delete', ids: [a] });
    expect(ids(await featured('?page=/a'))).toEqual([]);
    await act(server, { action: 'restore', ids: [a] });
    expect(ids(await featured('?page=/a'))).toEqual([a]);
  });

  it('the queue has a featured view with each comment\'s vote totals; a moderator of another site cannot feature', async () => {
    const a = await postOn('/a');
    await postOn('/a');
    await call(server, 'POST', `/api/v1/comments/${a}/votes`, { body: { value: 1 }, headers: { 'marginalia-voter': 'voter-key-0000000001' } });
    await act(server, { action: 'feature', ids: [a] });
    const q = await queue(server, { status: 'featured' });
    expect(q.body.items.map((i: any) => [i.id, i.featuredAt !== null, i.votes])).toEqual([[a, true, { score: 1, upvotes: 1, downvotes: 0 }]]);
    await call(server, 'POST', '/api/v1/sites', { token: server.ownerToken, body: { id: 'other', name: 'Other' } });
    const otherMod = await createToken(server, { role: 'moderator', site: 'other' });
    const refused = await act(server, { action: 'unfeature', ids: [a] }, { token: otherMod.secret });
    expect([403, 404]).toContain(refused.status);
    expect(ids(await featured('?page=/a'))).toEqual([a]);
  });

  it('validates the page query like the thread does', async () => {
    const r = await featured('?page=' + encodeURIComponent('a'.repeat(513)));
    expectProblem(r, 400);
    expect(r.body.errors[0].path).toBe('page');
    expectProblem(await featured('', 'no-such-site'), 404);
  });
});

describe('GET /sites/:site/recent', () => {
  it("lists the newest approved comments across the site's pages with their page, never pending ones", async () => {
    const a = await postOn('/one', { pageTitle: 'One', pageUrl: `${server.baseUrl}/one` });
    const b = await postOn('/two');
    await configure(server, { moderation: 'all' });
    await postOn('/two', { body: 'waiting for a moderator' });
    const r = await call(server, 'GET', '/api/v1/sites/demo/recent');
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual([b, a]);
    expect(r.body.comments[1]).toEqual(expect.objectContaining({ id: a, page: { key: '/one', title: 'One', url: `${server.baseUrl}/one` }, author: expect.objectContaining({ name: expect.any(String) }) }));
    // The page URL is on the loopback origin; no author e-mail and no pending text is in the answer.
    expect(r.text).not.toMatch(/waiting for a moderator|@example\.com/);
    expect(ids(await call(server, 'GET', '/api/v1/sites/demo/recent?limit=1'))).toEqual([b]);
  });

  it('refuses a bad limit naming limit', async () => {
    for (const limit of ['0', '51', 'ten']) {
      const r = await call(server, 'GET', `/api/v1/sites/demo/recent?limit=${limit}`);
      expectProblem(r, 400);
      expect(r.body.errors[0].path).toBe('limit');
    }
  });
});
