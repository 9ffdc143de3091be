// Bulk actions: per-id results, one transaction, and exactly one audit row per status change.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, auditLog, createToken, expectProblem, injectFailure, moderated, post, publicList, queue, rawQuery, removeInjectedFailures } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'all' });
});
afterEach(() => server.stop());

const UNKNOWN = 'c_01M8HD66P9NNTND3SZ330QDVSX';
const newComment = async (over: Record<string, unknown> = {}, site = 'demo') => {
  const r = await post(server, commentInput(over), { site });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
  return r.body.comment.id as string;
};
const statusOf = async (id: string, site = 'demo') => (await moderated(server, id, site)).status as string;

describe('bulk actions', () => {
  it('reports per id over valid, unknown, other-site and duplicate ids, applying the valid ones', async () => {
    await server.services.sites.create({ id: 'site-b', settings: { ...fastPosting, origins: [server.baseUrl] } }, Date.now());
    const a = await newComment();
    const b = await newComment();
    const other = await newComment({}, 'site-b');
    const r = await act(server, { action: 'approve', ids: [a, UNKNOWN, other, a, b] });
    expect(r.status).toBe(200);
    const notFound = { code: 'not_found', status: 404, detail: expect.any(String) };
    // Each distinct id answered once, in the order first given; the repeat is not applied twice.
    expect(r.body.results).toEqual([
      { id: a, ok: true, from: 'pending', to: 'approved' },
      { id: UNKNOWN, ok: false, error: notFound },
      { id: other, ok: false, error: notFound },
      { id: b, ok: true, from: 'pending', to: 'approved' },
    ]);
    expect(await statusOf(a)).toBe('approved');
    expect(await statusOf(b)).toBe('approved');
    expect(await statusOf(other, 'site-b')).toBe('pending');
    expect((await auditLog(server, { site: 'site-b' })).map((row) => row.action)).toEqual(['create']);
    expect((await auditLog(server, { commentId: a })).map((row) => row.action)).toEqual(['create', 'approve']);
  });

  it('answers a no-op (approving an approved comment) ok with from = to, and writes no audit row', async () => {
    const a = await newComment();
    await act(server, { action: 'approve', ids: [a] });
    const again = await act(server, { action: 'approve', ids: [a] });
    expect(again.body.results).toEqual([{ id: a, ok: true, from: 'approved', to: 'approved' }]);
    expect((await auditLog(server, { commentId: a })).map((row) => row.action)).toEqual(['create', 'approve']);
  });

  it('moves comments through reject, spam, delete and restore', async () => {
    const a = await newComment();
    const b = await newComment();
    const c = await newComment();
    await act(server, { action: 'approve', ids: [c] });
    expect((await act(server, { action: 'reject', ids: [a] })).body.results[0]).toMatchObject({ from: 'pending', to: 'rejected' });
    expect((await act(server, { action: 'spam', ids: [b] })).body.results[0]).toMatchObject({ from: 'pending', to: 'spam' });
    expect((await act(server, { action: 'delete', ids: [c] })).body.results[0]).toMatchObject({ from: 'approved', to: 'deleted' });
    expect((await publicList(server)).body.comments).toEqual([]);
    // Restore: a deletion goes back to where it was; rejected and spam go back to pending.
    const restored = await act(server, { action: 'restore', ids: [c, a, b] });
    expect(restored.body.results).toEqual([
      { id: c, ok: true, from: 'deleted', to: 'approved' },
      { id: a, ok: true, from: 'rejected', to: 'pending' },
      { id: b, ok: true, from: 'spam', to: 'pending' },
    ]);
    expect((await publicList(server)).body.comments.map((x: any) => x.id)).toEqual([c]);
  });

  it('reports a restore of a comment with nothing to restore per id (409) and applies the rest', async () => {
    const pending = await newComment();
    const rejected = await newComment();
    await act(server, { action: 'reject', ids: [rejected] });
    const r = await act(server, { action: 'restore', ids: [pending, rejected] });
    expect(r.body.results).toEqual([
      { id: pending, ok: false, error: { code: 'nothing_to_restore', status: 409, detail: expect.any(String) } },
      { id: rejected, ok: true, from: 'rejected', to: 'pending' },
    ]);
  });

  it('keeps a deleted comment with an approved reply as a placeholder in the public thread', async () => {
    await configure(server, { moderation: 'none' });
    const parent = await newComment();
    const reply = await newComment({ parentId: parent });
    await act(server, { action: 'delete', ids: [parent] });
    const list = (await publicList(server)).body.comments;
    expect(list.map((x: any) => [x.id, x.deleted])).toEqual([
      [parent, true],
      [reply, false],
    ]);
    expect(list[0].author).toBeNull();
    expect(list[0].html).toBeNull();
  });

  it('validates the request: action, 1–200 well-formed ids (400 naming the field)', async () => {
    const a = await newComment();
    const cases: [unknown, string][] = [
      [{ action: 'nuke', ids: [a] }, 'action'],
      [{ action: 'approve', ids: [] }, 'ids'],
      [{ action: 'approve', ids: ['not-an-id'] }, 'ids.0'],
      [{ action: 'approve', ids: Array.from({ length: 201 }, () => UNKNOWN) }, 'ids'],
      [{ action: 'approve', ids: [a], extra: 1 }, 'extra'],
    ];
    for (const [body, path] of cases) {
      const r = await act(server, body as Record<string, unknown>);
      expectProblem(r, 400);
      expect(r.body.errors.map((e: any) => e.path)).toContain(path);
    }
    expect(await statusOf(a)).toBe('pending');
    // 200 is allowed.
    const max = await act(server, { action: 'approve', ids: [a, ...Array.from({ length: 199 }, () => UNKNOWN)] });
    expect(max.status).toBe(200);
    expect(await statusOf(a)).toBe('approved');
  });
});

describe('one transaction', () => {
  // The database itself fails while the batch is half done: a trigger in the server's own database.
  const dropTriggers = () => removeInjectedFailures(server);

  it('rolls back every status change of the batch when one update fails midway, and writes no audit row', async () => {
    await configure(server, { moderation: 'none' });
    const ids = [await newComment(), await newComment(), await newComment(), await newComment()];
    await act(server, { action: 'reject', ids: [ids[3]] });
    const logBefore = await auditLog(server);
    const queueBefore = (await queue(server, { status: 'all' })).body;
    const publicBefore = (await publicList(server)).body.comments.map((c: any) => c.id);
    expect(publicBefore).toEqual(ids.slice(0, 3));

    await injectFailure(server, 'status update', ids[2]);
    const r = await act(server, { action: 'delete', ids });
    expectProblem(r, 409);
    expect(r.text).not.toContain('injected failure');
    expect(r.text).not.toMatch(/UPDATE|comments|SQLITE/);

    // ids[0] and ids[1] were updated before the failure: rolled back with it.
    const queueAfter = (await queue(server, { status: 'all' })).body;
    expect(queueAfter.items.map((c: any) => [c.id, c.status])).toEqual(queueBefore.items.map((c: any) => [c.id, c.status]));
    expect(queueAfter.counts).toEqual(queueBefore.counts);
    expect(await auditLog(server)).toEqual(logBefore);
    expect((await publicList(server)).body.comments.map((c: any) => c.id)).toEqual(publicBefore);
    const page = (await call(server, 'GET', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken })).body.items[0];
    expect(page.approvedCount).toBe(3);

    // The same batch succeeds once the failure is gone.
    await dropTriggers();
    const ok = await act(server, { action: 'delete', ids });
    expect(ok.body.results.every((x: any) => x.ok)).toBe(true);
    expect((await auditLog(server)).filter((row) => row.action === 'delete')).toHaveLength(4);
  });

  it('rolls back the status change of a comment whose audit row cannot be written, and the rest of the batch', async () => {
    const ids = [await newComment(), await newComment(), await newComment()];
    const logBefore = await auditLog(server);
    await injectFailure(server, 'audit insert', ids[1]);
    expectProblem(await act(server, { action: 'approve', ids }), 409);
    for (const id of ids) expect(await statusOf(id)).toBe('pending');
    expect(await auditLog(server)).toEqual(logBefore);
    expect((await publicList(server)).body.comments).toEqual([]);
  });

  it('rolls back trustAuthor approvals too when a later one fails', async () => {
    const ada = { name: 'Ada', email: 'ada@example.com' };
    const first = await newComment(ada);
    const second = await newComment(ada);
    const third = await newComment(ada);
    await injectFailure(server, 'status update', third);
    expectProblem(await act(server, { action: 'approve', ids: [first], trustAuthor: true }), 409);
    for (const id of [first, second, third]) expect(await statusOf(id)).toBe('pending');
    expect((await auditLog(server)).map((row) => row.action)).toEqual(['create', 'create', 'create']);
  });
});

describe('audit log', () => {
  it('records exactly one row per action: create (system), each moderator action (token, from → to, reason)', async () => {
    const mod = await createToken(server, { role: 'moderator', site: 'demo', label: 'Grace' });
    const id = await newComment();
    const steps: [string, string, string, string | undefined][] = [
      ['approve', 'pending', 'approved', undefined],
      ['reject', 'approved', 'rejected', 'off-topic after all'],
      ['restore', 'rejected', 'pending', undefined],
      ['spam', 'pending', 'spam', 'link farm'],
      ['restore', 'spam', 'pending', undefined],
      ['delete', 'pending', 'deleted', 'asked by the author'],
      ['restore', 'deleted', 'pending', undefined],
    ];
    for (const [action, , , reason] of steps) {
      const r = await act(server, { action, ids: [id], ...(reason ? { reason } : {}) }, { token: mod.secret });
      expect(r.body.results[0].ok).toBe(true);
    }
    const rows = await auditLog(server, { commentId: id });
    expect(rows).toHaveLength(1 + steps.length);
    expect(rows[0]).toEqual({
      id: expect.any(Number),
      commentId: id,
      actor: { type: 'system' },
      action: 'create',
      from: null,
      to: 'pending',
      reason: 'policy_all',
      createdAt: expect.any(String),
    });
    rows.slice(1).forEach((row, i) => {
      const [action, from, to, reason] = steps[i];
      expect(row).toEqual({
        id: expect.any(Number),
        commentId: id,
        actor: { type: 'token', id: mod.id, label: 'Grace' },
        action,
        from,
        to,
        reason: reason ?? null,
        createdAt: expect.any(String),
      });
    });
  });

  it("records an author's own deletion as one row with actor author", async () => {
    await configure(server, { moderation: 'none' });
    const r = await post(server, commentInput());
    const id = r.body.comment.id;
    const del = await call(server, 'DELETE', `/api/v1/comments/${id}`, { headers: { authorization: `Bearer ${r.body.editToken}` } });
    expect(del.status).toBe(204);
    const rows = await auditLog(server, { commentId: id });
    expect(rows.map((row) => [row.action, row.actor, row.from, row.to])).toEqual([
      ['create', { type: 'system' }, null, 'approved'],
      ['delete', { type: 'author' }, 'approved', 'deleted'],
    ]);
  });

  it("records an author's edit that trips a content check as one system row back to pending", async () => {
    await configure(server, { moderation: 'none', blockedWords: ['casino'] });
    const r = await post(server, commentInput({ body: 'Innocent' }));
    const id = r.body.comment.id;
    const edit = (body: string) =>
      call(server, 'PATCH', `/api/v1/comments/${id}`, { body: { body }, headers: { authorization: `Bearer ${r.body.editToken}` } });
    expect((await edit('Still innocent')).status).toBe(200);
    expect((await auditLog(server, { commentId: id })).map((row) => row.action)).toEqual(['create']);
    expect((await edit('Come to the casino')).status).toBe(200);
    expect(await statusOf(id)).toBe('pending');
    expect((await publicList(server)).body.comments).toEqual([]);
    const rows = await auditLog(server, { commentId: id });
    expect(rows.map((row) => [row.action, row.actor, row.from, row.to])).toEqual([
      ['create', { type: 'system' }, null, 'approved'],
      ['edit', { type: 'system' }, 'approved', 'pending'],
    ]);
    expect(rows[1].reason).toMatch(/casino/);
  });

  it('records a report-threshold hold as one system row', async () => {
    await server.stop();
    server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
    await configure(server, { ...fastPosting, moderation: 'none', reportThreshold: 2 });
    const id = await newComment();
    for (const ip of ['198.51.100.1', '198.51.100.2']) {
      const r = await call(server, 'POST', `/api/v1/comments/${id}/reports`, { body: { reason: 'spam' }, headers: { 'x-forwarded-for': ip } });
      expect(r.status).toBe(202);
    }
    const rows = await auditLog(server, { commentId: id });
    expect(rows.map((row) => [row.action, row.actor, row.from, row.to])).toEqual([
      ['create', { type: 'system' }, null, 'approved'],
      ['reports', { type: 'system' }, 'approved', 'pending'],
    ]);
  });

  it('records a bulk action as one row per changed comment', async () => {
    const ids = [await newComment(), await newComment(), await newComment()];
    await act(server, { action: 'spam', ids: [...ids, UNKNOWN] });
    const rows = (await auditLog(server)).filter((row) => row.action === 'spam');
    expect(rows.map((row) => row.commentId).sort()).toEqual([...ids].sort());
  });

  it('pages newest first with a cursor, every row once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await newComment());
    await act(server, { action: 'approve', ids });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: any = await call(server, 'GET', `/api/v1/sites/demo/moderation/log?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: server.ownerToken });
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.items.map((row: any) => row.id));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
    expect(seen).toEqual([...seen].sort((x, y) => y - x));
    expectProblem(await call(server, 'GET', '/api/v1/sites/demo/moderation/log?cursor=bogus', { token: server.ownerToken }), 400);
  });

  it('cannot be rewritten: the table refuses updates', async () => {
    const id = await newComment();
    await expect(rawQuery(server, `UPDATE moderation_actions SET to_status = 'approved' WHERE comment_id = ?`, [id])).rejects.toThrow(/append-only/);
  });
});
