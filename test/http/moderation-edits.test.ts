// An author's edit runs every check that judges content (docs/moderation.md); the website counts as content too.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { auditLog, expectProblem, moderated, post, publicList } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

async function posted(over: Record<string, unknown> = {}) {
  const r = await post(server, commentInput(over));
  expect(r.status).toBe(201);
  const id: string = r.body.comment.id;
  const edit = (body: string) => call(server, 'PATCH', `/api/v1/comments/${id}`, { token: r.body.editToken, body: { body } });
  return { id, status: r.body.status as string, edit };
}

const reasonCodes = async (id: string) => ((await moderated(server, id)).reasons as { code: string }[]).map((r) => r.code);

describe('edits run the content checks', () => {
  it('holds an approved comment edited to carry too many links, with reason links', async () => {
    const c = await posted({ body: 'No links here.' });
    expect(c.status).toBe('approved');
    const r = await c.edit('See https://a.example and https://b.example');
    expect(r.status).toBe(200);
    expect((await moderated(server, c.id)).status).toBe('pending');
    expect(await reasonCodes(c.id)).toEqual(['links']);
    expect((await publicList(server)).body.comments).toEqual([]);
  });

  it('holds an approved comment again under the "all" policy: a moderator sees every text before it is public', async () => {
    const c = await posted({ body: 'Approved before the policy changed.' });
    await configure(server, { moderation: 'all' });
    expect((await c.edit('Changed after approval')).status).toBe(200);
    expect((await moderated(server, c.id)).status).toBe('pending');
    expect(await reasonCodes(c.id)).toEqual(['policy_all']);
    const rows = await auditLog(server, { commentId: c.id });
    expect(rows.map((row) => [row.action, row.from, row.to])).toEqual([
      ['create', null, 'approved'],
      ['edit', 'approved', 'pending'],
    ]);
  });

  it('keeps a trusted author\'s edit public under the "first-time" policy', async () => {
    const c = await posted({ body: 'A first comment.' });
    await configure(server, { moderation: 'first-time' });
    expect((await c.edit('A corrected first comment.')).status).toBe(200);
    expect((await moderated(server, c.id)).status).toBe('approved');
    expect((await publicList(server)).body.comments).toHaveLength(1);
  });

  it('adds the reason a pending comment\'s edit earns, once, without changing its status', async () => {
    await configure(server, { moderation: 'all', blockedWords: ['casino'] });
    const c = await posted({ body: 'Waiting for a moderator.' });
    expect(await reasonCodes(c.id)).toEqual(['policy_all']);
    expect((await c.edit('Visit the casino')).status).toBe(200);
    expect((await c.edit('Visit the casino today')).status).toBe(200);
    expect((await moderated(server, c.id)).status).toBe('pending');
    // The policy reason is not repeated; the blocked word shows up with what the text now says.
    expect(await reasonCodes(c.id)).toEqual(['policy_all', 'blocked_word']);
  });

  it('refuses an edit by an author banned since posting, and keeps the text', async () => {
    const c = await posted({ body: 'Posted before the ban.' });
    const ban = await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { commentId: c.id } });
    expect(ban.status).toBe(201);
    const r = await c.edit('Rewritten after the ban');
    expectProblem(r, 403);
    expect((await moderated(server, c.id)).body).toBe('Posted before the ban.');
  });

  it('does not run the checks that judged the request: an edit on a closed page, inside the flood window', async () => {
    await configure(server, { floodSeconds: 3600 });
    const c = await posted({ body: 'Before the page closed.' });
    const close = await call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken, body: { page: '/post', closed: true } });
    expect(close.status).toBe(200);
    const r = await c.edit('A typo fixed after the page closed.');
    expect(r.status).toBe(200);
    expect((await moderated(server, c.id)).status).toBe('approved');
  });
});

describe("the author's website and blocked words", () => {
  it('holds a post whose website carries a blocked word, with reason blocked_word', async () => {
    await configure(server, { blockedWords: ['casino'] });
    const c = await posted({ body: 'A harmless comment.', website: 'https://best-casino.example/' });
    expect(c.status).toBe('pending');
    const m = await moderated(server, c.id);
    expect(m.reasons).toEqual([{ code: 'blocked_word', detail: 'Contains the blocked word "casino".' }]);
    expect((await publicList(server)).body.comments).toEqual([]);
  });

  it('holds an edit of a comment whose website carries a word blocked since posting', async () => {
    const c = await posted({ body: 'A harmless comment.', website: 'https://ada.example/casino' });
    expect(c.status).toBe('approved');
    await configure(server, { blockedWords: ['casino'] });
    expect((await c.edit('A harmless comment, corrected.')).status).toBe(200);
    expect((await moderated(server, c.id)).status).toBe('pending');
    expect(await reasonCodes(c.id)).toEqual(['blocked_word']);
  });

  it('lets a website through whose words only contain a blocked one', async () => {
    await configure(server, { blockedWords: ['casino'] });
    expect((await posted({ website: 'https://casinos-history.example/' })).status).toBe('approved');
  });
});
