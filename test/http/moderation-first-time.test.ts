// Policy first-time: an author is trusted once a comment of theirs (same e-mail AND same name) is approved on the site.
import { startTestServer, type TestServer } from '../helpers/server';
import { configure, fastPosting } from '../helpers/api';
import { act, auditLog, moderated, post, publicList, queue } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'first-time' });
});
afterEach(() => server.stop());

const ada = (body: string, over: Record<string, unknown> = {}) => ({ page: '/post', name: 'Ada', email: 'ada@example.com', body, ...over });

describe('first-time authors', () => {
  it('holds the first comment, keeps it out of the public thread, then trusts the author once it is approved', async () => {
    const first = await post(server, ada('My first comment'));
    expect(first.status).toBe(201);
    expect(first.body.status).toBe('pending');
    const id = first.body.comment.id;

    expect((await publicList(server)).body.comments).toEqual([]);
    expect((await publicList(server)).body.page.commentCount).toBe(0);
    const pending = await queue(server);
    expect(pending.body.items.map((c: any) => c.id)).toEqual([id]);
    expect(pending.body.items[0].reasons.map((r: any) => r.code)).toEqual(['first_time']);

    const approved = await act(server, { action: 'approve', ids: [id] });
    expect(approved.status).toBe(200);
    expect(approved.body.results).toEqual([{ id, ok: true, from: 'pending', to: 'approved' }]);
    expect((await publicList(server)).body.comments.map((c: any) => c.id)).toEqual([id]);

    const second = await post(server, ada('Back again'));
    expect(second.body.status).toBe('approved');
    expect((await moderated(server, second.body.comment.id)).reasons).toEqual([]);
    expect((await publicList(server)).body.comments.map((c: any) => c.id)).toEqual([id, second.body.comment.id]);
  });

  it('trusts the author across pages of the same site', async () => {
    const first = await post(server, ada('First'));
    await act(server, { action: 'approve', ids: [first.body.comment.id] });
    expect((await post(server, ada('Elsewhere', { page: '/another-post' }))).body.status).toBe('approved');
  });

  it('matches the e-mail whatever its case', async () => {
    const first = await post(server, ada('First'));
    await act(server, { action: 'approve', ids: [first.body.comment.id] });
    expect((await post(server, ada('Shouting my address', { email: 'ADA@Example.COM' }))).body.status).toBe('approved');
  });

  it('still holds the same e-mail under a different name', async () => {
    const first = await post(server, ada('First'));
    await act(server, { action: 'approve', ids: [first.body.comment.id] });
    const impostor = await post(server, ada('I am someone else', { name: 'Not Ada' }));
    expect(impostor.body.status).toBe('pending');
    expect((await moderated(server, impostor.body.comment.id)).reasons.map((r: any) => r.code)).toEqual(['first_time']);
  });

  it('still holds the same name under a different e-mail', async () => {
    const first = await post(server, ada('First'));
    await act(server, { action: 'approve', ids: [first.body.comment.id] });
    expect((await post(server, ada('Spoofing Ada', { email: 'other@example.com' }))).body.status).toBe('pending');
  });

  it('does not trust an author whose comment was only ever rejected or marked spam', async () => {
    const first = await post(server, ada('First'));
    await act(server, { action: 'reject', ids: [first.body.comment.id] });
    expect((await post(server, ada('Second'))).body.status).toBe('pending');
  });

  it('does not trust an author from an approval on another site', async () => {
    await server.services.sites.create({ id: 'site-b', settings: { ...fastPosting, moderation: 'first-time', origins: [server.baseUrl] } }, Date.now());
    const onB = await post(server, ada('On B'), { site: 'site-b' });
    expect(onB.status).toBe(201);
    await act(server, { action: 'approve', ids: [onB.body.comment.id] }, { site: 'site-b' });
    expect((await post(server, ada('On demo'))).body.status).toBe('pending');
  });

  it("approving one of an author's pending comments leaves their others pending", async () => {
    const a = (await post(server, ada('One'))).body.comment.id;
    const b = (await post(server, ada('Two'))).body.comment.id;
    const c = (await post(server, ada('Three', { page: '/elsewhere' }))).body.comment.id;
    const r = await act(server, { action: 'approve', ids: [a] });
    expect(r.body.results).toEqual([{ id: a, ok: true, from: 'pending', to: 'approved' }]);
    expect((await moderated(server, b)).status).toBe('pending');
    expect((await moderated(server, c)).status).toBe('pending');
    expect((await auditLog(server)).filter((row) => row.action === 'approve').map((row) => row.commentId)).toEqual([a]);
  });

  it("approving with trustAuthor: true also approves that author's other pending comments, and only theirs", async () => {
    const a = (await post(server, ada('One'))).body.comment.id;
    const b = (await post(server, ada('Two'))).body.comment.id;
    const c = (await post(server, ada('Three', { page: '/elsewhere' }))).body.comment.id;
    const renamed = (await post(server, ada('Four', { name: 'Ada L.' }))).body.comment.id;
    const stranger = (await post(server, { page: '/post', name: 'Bob', email: 'bob@example.com', body: 'Hi' })).body.comment.id;
    const r = await act(server, { action: 'approve', ids: [a], trustAuthor: true });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual(
      expect.arrayContaining([
        { id: a, ok: true, from: 'pending', to: 'approved' },
        { id: b, ok: true, from: 'pending', to: 'approved' },
        { id: c, ok: true, from: 'pending', to: 'approved' },
      ]),
    );
    expect(r.body.results).toHaveLength(3);
    expect((await moderated(server, renamed)).status).toBe('pending');
    expect((await moderated(server, stranger)).status).toBe('pending');
    expect((await publicList(server)).body.comments.map((x: any) => x.id)).toEqual([a, b]);
    // One audit row per comment that changed.
    const approvals = (await auditLog(server)).filter((row) => row.action === 'approve');
    expect(approvals.map((row) => row.commentId).sort()).toEqual([a, b, c].sort());
  });

  it('refuses trustAuthor with any action but approve (400 naming trustAuthor)', async () => {
    const a = (await post(server, ada('One'))).body.comment.id;
    const r = await act(server, { action: 'reject', ids: [a], trustAuthor: true });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.path)).toEqual(['trustAuthor']);
    expect((await moderated(server, a)).status).toBe('pending');
  });
});
