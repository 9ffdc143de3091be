// Reader reports: one per reader per comment; at the threshold an approved comment goes back to the queue.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, expectProblem, moderated, post, publicList, queue } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  // Behind a proxy, so each test reader has an address of their own.
  server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
  await configure(server, { ...fastPosting, moderation: 'none', reportThreshold: 3 });
});
afterEach(() => server.stop());

const report = (id: string, ip: string, body: Record<string, unknown> = { reason: 'spam' }) =>
  call(server, 'POST', `/api/v1/comments/${id}/reports`, { body, headers: { 'x-forwarded-for': ip } });
const approvedComment = async () => (await post(server, commentInput())).body.comment.id as string;

describe('reports', () => {
  it('accepts one report per reader per comment (a second is 409) and counts only distinct readers', async () => {
    const id = await approvedComment();
    expect((await report(id, '198.51.100.1')).status).toBe(202);
    const again = await report(id, '198.51.100.1', { reason: 'abuse' });
    expectProblem(again, 409);
    expect(again.body.type).toContain('already-reported');
    const c = await moderated(server, id);
    expect(c.reports.count).toBe(1);
    expect(c.status).toBe('approved');
  });

  it('lets one reader report different comments', async () => {
    const a = await approvedComment();
    const b = await approvedComment();
    expect((await report(a, '198.51.100.1')).status).toBe(202);
    expect((await report(b, '198.51.100.1')).status).toBe(202);
  });

  it('below the threshold keeps the comment public but lists it under reported, with the reports', async () => {
    const id = await approvedComment();
    await report(id, '198.51.100.1', { reason: 'spam', note: 'selling watches' });
    await report(id, '198.51.100.2', { reason: 'off-topic' });
    expect((await publicList(server)).body.comments.map((c: any) => c.id)).toEqual([id]);
    const reported = await queue(server, { status: 'reported' });
    expect(reported.body.items.map((c: any) => c.id)).toEqual([id]);
    expect(reported.body.items[0].status).toBe('approved');
    expect(reported.body.items[0].reports).toEqual({
      count: 2,
      items: [
        { reason: 'spam', note: 'selling watches', createdAt: expect.any(String) },
        { reason: 'off-topic', note: null, createdAt: expect.any(String) },
      ],
    });
    expect(reported.body.counts.reported).toBe(1);
  });

  it('at reportThreshold returns an approved comment to pending and takes it out of the public thread and counts', async () => {
    const id = await approvedComment();
    const other = await approvedComment();
    for (const ip of ['198.51.100.1', '198.51.100.2']) expect((await report(id, ip)).status).toBe(202);
    expect((await moderated(server, id)).status).toBe('approved');
    // Read (and so cache) the public thread and counts before the hold.
    expect((await publicList(server)).body.comments).toHaveLength(2);
    expect((await call(server, 'GET', '/api/v1/sites/demo/counts?page=/post')).body.counts).toEqual({ '/post': 2 });
    expect((await report(id, '198.51.100.3')).status).toBe(202);
    expect((await moderated(server, id)).status).toBe('pending');
    const list = await publicList(server);
    expect(list.body.comments.map((c: any) => c.id)).toEqual([other]);
    expect(list.body.page.commentCount).toBe(1);
    expect((await call(server, 'GET', '/api/v1/sites/demo/counts?page=/post')).body.counts).toEqual({ '/post': 1 });
    expect((await queue(server)).body.items.map((c: any) => c.id)).toEqual([id]);
    expect((await queue(server, { status: 'reported' })).body.items.map((c: any) => c.id)).toEqual([id]);
    // Held, it can no longer be reported.
    expectProblem(await report(id, '198.51.100.4'), 404);
  });

  it('follows the site reportThreshold', async () => {
    await configure(server, { reportThreshold: 1 });
    const id = await approvedComment();
    await report(id, '198.51.100.1');
    expect((await moderated(server, id)).status).toBe('pending');
  });

  it('approving clears the reports: the comment leaves the reported tab and is public again', async () => {
    const id = await approvedComment();
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) await report(id, ip);
    const r = await act(server, { action: 'approve', ids: [id] });
    expect(r.body.results).toEqual([{ id, ok: true, from: 'pending', to: 'approved' }]);
    const c = await moderated(server, id);
    expect(c.reports).toEqual({ count: 0, items: [] });
    const reported = await queue(server, { status: 'reported' });
    expect(reported.body.items).toEqual([]);
    expect(reported.body.counts.reported).toBe(0);
    expect((await publicList(server)).body.comments.map((x: any) => x.id)).toContain(id);
  });

  it('approving an approved comment below the threshold also clears its reports', async () => {
    const id = await approvedComment();
    await report(id, '198.51.100.1');
    const r = await act(server, { action: 'approve', ids: [id] });
    expect(r.body.results).toEqual([{ id, ok: true, from: 'approved', to: 'approved' }]);
    expect((await queue(server, { status: 'reported' })).body.items).toEqual([]);
  });

  it('rejecting does not clear reports, deleting takes the comment out of the reported tab', async () => {
    const a = await approvedComment();
    const b = await approvedComment();
    await report(a, '198.51.100.1');
    await report(b, '198.51.100.1');
    await act(server, { action: 'reject', ids: [a] });
    await act(server, { action: 'delete', ids: [b] });
    const reported = await queue(server, { status: 'reported' });
    expect(reported.body.items.map((c: any) => [c.id, c.status])).toEqual([[a, 'rejected']]);
    expect(reported.body.counts.reported).toBe(1);
  });

  it('refuses a report on a comment that is not public (404)', async () => {
    await configure(server, { moderation: 'all' });
    const pending = (await post(server, commentInput())).body.comment.id;
    expectProblem(await report(pending, '198.51.100.1'), 404);
  });
});
