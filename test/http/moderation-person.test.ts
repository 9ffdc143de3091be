// The Person panel's API: one person's comments on a site, found by one of their comments (never by an e-mail in a
// URL), their data-subject access export, and who may see either.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, auditLog, createToken, expectProblem, post } from '../helpers/moderation';

let server: TestServer;
const EMAIL = 'Pat.Person@Example.org';
const NAME = 'Pat Personname';

beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'all' });
  await server.services.sites.create({ id: 'site-b', settings: { ...fastPosting, moderation: 'all', origins: [server.baseUrl] } }, Date.now());
});
afterEach(() => server.stop());

const person = (body: unknown, opts: { token?: string; site?: string } = {}) =>
  call(server, 'POST', `/api/v1/sites/${opts.site ?? 'demo'}/moderation/person`, { token: 'token' in opts ? opts.token : server.ownerToken, body });
const exportPerson = (body: unknown, opts: { token?: string; site?: string } = {}) =>
  call(server, 'POST', `/api/v1/sites/${opts.site ?? 'demo'}/moderation/person/export`, { token: 'token' in opts ? opts.token : server.ownerToken, body });
/** Whether this store can export and erase (the transfer repository); without it those answer 501. */
const transfers = () => server.repos.transfer !== undefined;

/** Five comments of the person on two pages, one in each status, the e-mail written three ways; others around them. */
async function seed() {
  const id = async (input: Record<string, unknown>, site = 'demo') => {
    const r = await post(server, commentInput(input), { site });
    if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
    return r.body.comment.id as string;
  };
  const mine: Record<string, string> = {};
  mine.approved = await id({ page: '/one', name: NAME, email: EMAIL, website: 'https://pat.example/', body: 'first, approved' });
  // A reply needs a parent in public view.
  expect((await act(server, { action: 'approve', ids: [mine.approved] })).status).toBe(200);
  const other = await id({ page: '/one', parentId: mine.approved, name: 'Someone Else', email: 'someone.else@example.org', body: 'a reply by another' });
  mine.rejected = await id({ page: '/two', name: NAME, email: EMAIL.toLowerCase(), body: 'second, rejected' });
  mine.spam = await id({ page: '/two', name: 'Pat P.', email: EMAIL.toUpperCase(), body: 'third, spam' });
  mine.deleted = await id({ page: '/one', name: NAME, email: EMAIL, body: 'fourth, deleted' });
  mine.pending = await id({ page: '/three', name: NAME, email: EMAIL, body: 'fifth, pending' });
  const elsewhere = await id({ page: '/one', name: NAME, email: EMAIL, body: 'on another site' }, 'site-b');
  for (const [action, ids] of [['approve', [other]], ['reject', [mine.rejected]], ['spam', [mine.spam]], ['delete', [mine.deleted]]] as const) {
    const r = await act(server, { action, ids });
    expect(r.status).toBe(200);
  }
  // Newest first, as the panel lists them.
  const order = [mine.pending, mine.deleted, mine.spam, mine.rejected, mine.approved];
  return { mine, other, elsewhere, order };
}

describe('the person of a comment', () => {
  it('lists every comment of that e-mail on the site in every status, newest first, with page and status', async () => {
    const s = await seed();
    // Asked by a comment in the middle: the person is the same whichever of their comments names them.
    const r = await person({ commentId: s.mine.spam });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body.person).toEqual({ email: EMAIL.toUpperCase(), name: 'Pat P.' });
    expect(r.body.items.map((c: any) => [c.id, c.status, c.page.key])).toEqual([
      [s.mine.pending, 'pending', '/three'],
      [s.mine.deleted, 'deleted', '/one'],
      [s.mine.spam, 'spam', '/two'],
      [s.mine.rejected, 'rejected', '/two'],
      [s.mine.approved, 'approved', '/one'],
    ]);
    expect(r.body.items.map((c: any) => c.body)).toEqual(['fifth, pending', 'fourth, deleted', 'third, spam', 'second, rejected', 'first, approved']);
    // Neither the reply by someone else nor the same e-mail's comment on another site.
    expect(r.text).not.toContain(s.other);
    expect(r.text).not.toContain(s.elsewhere);
    expect(r.body.nextCursor).toBeNull();
  });

  it('pages through a long list with the cursor it gives out', async () => {
    const s = await seed();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await person({ commentId: s.mine.approved, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items.map((c: any) => c.id));
      cursor = r.body.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(s.order);
  });

  it("is shown to the site's moderators and owners, and to nobody else", async () => {
    const s = await seed();
    const modA = (await createToken(server, { role: 'moderator', site: 'demo' })).secret;
    const modB = (await createToken(server, { role: 'moderator', site: 'site-b' })).secret;
    const ownerB = (await createToken(server, { role: 'owner', site: 'site-b' })).secret;
    expect((await person({ commentId: s.mine.approved }, { token: modA })).body.items).toHaveLength(5);

    for (const secret of [modB, ownerB]) {
      // Another site's moderator or owner: the site is not theirs, and a comment of it is not on theirs.
      for (const r of [await person({ commentId: s.mine.approved }, { token: secret }), await exportPerson({ commentId: s.mine.approved }, { token: secret })])
        expectProblem(r, 404);
      for (const r of [
        await person({ commentId: s.mine.approved }, { token: secret, site: 'site-b' }),
        await exportPerson({ commentId: s.mine.approved }, { token: secret, site: 'site-b' }),
      ]) {
        expectProblem(r, 404);
        expect(r.text).not.toContain('first, approved');
      }
    }
    for (const r of [await person({ commentId: s.mine.approved }, { token: undefined }), await exportPerson({ commentId: s.mine.approved }, { token: undefined })])
      expectProblem(r, 401);
    const bad = await person({ commentId: s.mine.approved }, { token: 'mt_not-a-real-token' });
    expectProblem(bad, 401);
    expect(bad.text).not.toContain(EMAIL);
  });

  it.each([
    ['a malformed comment id', { commentId: 'c_nope' }, 'commentId'],
    ['no comment id', {}, 'commentId'],
    ['a comment id that is not a string', { commentId: 42 }, 'commentId'],
    ['an unknown field', { commentId: 'c_01JAAAAAAAAAAAAAAAAAAAAAAA', email: EMAIL }, 'email'],
    ['a limit out of range', { commentId: 'c_01JAAAAAAAAAAAAAAAAAAAAAAA', limit: 0 }, 'limit'],
    ['a cursor it never gave out', { commentId: 'c_01JAAAAAAAAAAAAAAAAAAAAAAA', cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
  ])('refuses %s with a problem naming the field', async (_what, body, field) => {
    const s = await seed();
    const r = await person({ ...body, ...(field === 'cursor' ? { commentId: s.mine.approved } : {}) });
    expectProblem(r, 400);
    expect(r.body.errors.map((e: any) => e.path)).toContain(field);
    expect(r.text).not.toContain(EMAIL);
  });

  it('answers 404 for a comment that does not exist, and the export refuses a bad id the same way', async () => {
    await seed();
    const unknown = await person({ commentId: 'c_01JAAAAAAAAAAAAAAAAAAAAAAA' });
    expectProblem(unknown, 404);
    expect(unknown.body.detail).toBe('Comment was not found.');
    const r = await exportPerson({ commentId: 'c_nope' });
    expectProblem(r, 400);
    expect(r.body.errors.map((e: any) => e.path)).toEqual(['commentId']);
    expectProblem(await exportPerson({ commentId: 'c_01JAAAAAAAAAAAAAAAAAAAAAAA', extra: true }), 400);
  });
});

describe('the export of a person', () => {
  it("gives out the person's comments on the site with their e-mail in clear, as a file, and audits it without personal data", async () => {
    const s = await seed();
    const mod = await createToken(server, { role: 'moderator', site: 'demo', label: 'front desk' });
    const r = await exportPerson({ commentId: s.mine.rejected }, { token: mod.secret });
    if (!transfers()) return expectProblem(r, 501);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="marginalia-demo-person-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(r.headers.get('content-disposition')).not.toMatch(/pat/i);
    const doc = r.body;
    expect(doc).toMatchObject({ format: 'marginalia-person', version: 1, site: { id: 'demo' } });
    expect(Date.parse(doc.exportedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(doc.person.email).toBe(EMAIL.toLowerCase());
    expect(doc.person.names.sort()).toEqual([NAME, 'Pat P.'].sort());
    expect(doc.person.websites).toEqual(['https://pat.example/']);
    expect(doc.comments.map((c: any) => [c.id, c.status, c.page.key, c.body])).toEqual([
      [s.mine.pending, 'pending', '/three', 'fifth, pending'],
      [s.mine.deleted, 'deleted', '/one', 'fourth, deleted'],
      [s.mine.spam, 'spam', '/two', 'third, spam'],
      [s.mine.rejected, 'rejected', '/two', 'second, rejected'],
      [s.mine.approved, 'approved', '/one', 'first, approved'],
    ]);
    expect(doc.comments.map((c: any) => c.author.email)).toEqual([EMAIL, EMAIL, EMAIL.toUpperCase(), EMAIL.toLowerCase(), EMAIL]);
    expect(doc.comments[4]).toMatchObject({ parentId: null, html: '<p>first, approved</p>', author: { name: NAME, website: 'https://pat.example/' } });
    expect(r.text).not.toContain('a reply by another');
    expect(r.text).not.toContain('on another site');

    const rows = (await auditLog(server)).filter((a) => a.action === 'export');
    expect(rows).toEqual([
      expect.objectContaining({ commentId: s.mine.rejected, actor: { type: 'token', id: mod.id, label: 'front desk' }, from: 'rejected', to: 'rejected', reason: 'exported 5 comments of one person at their request' }),
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/pat|example\.org/i);
  });
});

describe('privacy of the person endpoints', () => {
  it('never writes the e-mail or the name to a log line, whatever is asked and however it fails', async () => {
    const s = await seed();
    await person({ commentId: s.mine.approved });
    await person({ commentId: s.mine.approved, email: EMAIL });
    await person({ commentId: EMAIL });
    await exportPerson({ commentId: s.mine.pending });
    await exportPerson({ email: EMAIL });
    const erased = await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: EMAIL } });
    expect(erased.status).toBe(transfers() ? 200 : 501);
    await person({ commentId: s.mine.approved });
    const lines = server.logs.filter((l) => l.includes('"msg":"request"'));
    // The requests were logged (so the check below looks at something), by path alone.
    expect(lines.filter((l) => l.includes('"path":"/api/v1/sites/demo/moderation/person"')).length).toBe(4);
    for (const line of server.logs) {
      expect(line.toLowerCase()).not.toContain(EMAIL.toLowerCase());
      expect(line.toLowerCase()).not.toContain('pat.person');
      expect(line).not.toContain(NAME);
    }
  });

  it('has nobody to show once the person was erased, and their comments stay as placeholders', async () => {
    const s = await seed();
    const erased = await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: EMAIL } });
    if (!transfers()) return expectProblem(erased, 501);
    expect(erased.body).toEqual({ erased: 5 });
    for (const r of [await person({ commentId: s.mine.approved }), await exportPerson({ commentId: s.mine.pending })]) {
      expectProblem(r, 404);
      expect(r.body.type).toMatch(/person-erased$/);
    }
    // The reply by someone else is still listed under its own author.
    expect((await person({ commentId: s.other })).body.items.map((c: any) => c.id)).toEqual([s.other]);
    // The other site's comment of the same e-mail was not erased.
    const b = await call(server, 'GET', '/api/v1/sites/site-b/moderation/comments?status=all', { token: server.ownerToken });
    expect(b.body.items.map((c: any) => [c.id, c.author.email])).toEqual([[s.elsewhere, EMAIL]]);
  });
});
