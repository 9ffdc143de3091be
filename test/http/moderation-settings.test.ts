// Owner settings (validation names each field; a bad PATCH stores nothing) and page close/open.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { createToken, expectProblem, post, publicList } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const getSettings = async () => (await call(server, 'GET', '/api/v1/sites/demo/settings', { token: server.ownerToken })).body.settings;
const patch = (body: unknown) => call(server, 'PATCH', '/api/v1/sites/demo/settings', { token: server.ownerToken, body });

describe('settings', () => {
  it('returns every setting to an owner', async () => {
    const s = await getSettings();
    expect(Object.keys(s).sort()).toEqual(
      [
        'origins', 'moderation', 'maxDepth', 'editWindowMinutes', 'minSubmitSeconds', 'maxLinks', 'blockedWords',
        'floodSeconds', 'closeAfterDays', 'reportThreshold', 'votes', 'limits', 'rateLimits',
        'notifications', 'webhooks', 'language', 'requireVerifiedEmail',
      ].sort(),
    );
  });

  it('changes only what a PATCH names, merging nested limits', async () => {
    const before = await getSettings();
    const r = await patch({ maxLinks: 5, blockedWords: ['casino'], rateLimits: { reportsPerHour: 7 } });
    expect(r.status).toBe(200);
    expect(r.body.settings).toEqual({ ...before, maxLinks: 5, blockedWords: ['casino'], rateLimits: { ...before.rateLimits, reportsPerHour: 7 } });
    expect(await getSettings()).toEqual(r.body.settings);
  });

  it.each([
    [{ maxLinks: -1 }, ['maxLinks']],
    [{ maxLinks: 'two' }, ['maxLinks']],
    [{ origins: ['not a url'] }, ['origins.0']],
    [{ origins: ['https://ok.example', 'https://blog.example/path'] }, ['origins.1']],
    [{ rateLimits: { postsPerMinute: 0 } }, ['rateLimits.postsPerMinute']],
    [{ votes: 'down' }, ['votes']],
    [{ rateLimits: { votesPerMinute: 0 } }, ['rateLimits.votesPerMinute']],
    [{ limits: { bodyMax: 20_000 } }, ['limits.bodyMax']],
    [{ moderation: 'sometimes' }, ['moderation']],
    [{ blockedWords: ['ok', ''] }, ['blockedWords.1']],
    [{ colour: 'red' }, ['colour']],
    [{ maxLinks: -1, origins: ['nope'], rateLimits: { postsPerMinute: 0 }, moderation: 'sometimes' }, ['maxLinks', 'origins.0', 'rateLimits.postsPerMinute', 'moderation']],
  ])('refuses %j with 400 naming %j', async (body, paths) => {
    const r = await patch(body);
    expectProblem(r, 400);
    expect(r.body.errors.map((e: any) => e.path).sort()).toEqual([...paths].sort());
    for (const e of r.body.errors) expect(e.message).toEqual(expect.any(String));
  });

  it('stores nothing from a PATCH with any invalid field', async () => {
    const before = await getSettings();
    const r = await patch({ moderation: 'all', maxLinks: 7, origins: ['https://fine.example', 'ftp://bad.example'] });
    expect(r.status).toBe(400);
    expect(await getSettings()).toEqual(before);
    // And the live pipeline still runs on the old settings: policy none approves.
    expect((await post(server, commentInput())).body.status).toBe('approved');
  });

  it('applies new settings to the very next post', async () => {
    await patch({ moderation: 'all' });
    expect((await post(server, commentInput())).body.status).toBe('pending');
    await patch({ moderation: 'none' });
    expect((await post(server, commentInput())).body.status).toBe('approved');
  });

  it('is owner-only (moderator 403) and needs a token (401)', async () => {
    const mod = await createToken(server, { role: 'moderator', site: 'demo' });
    expectProblem(await call(server, 'PATCH', '/api/v1/sites/demo/settings', { token: mod.secret, body: { maxLinks: 9 } }), 403);
    expectProblem(await call(server, 'PATCH', '/api/v1/sites/demo/settings', { body: { maxLinks: 9 } }), 401);
    expect((await getSettings()).maxLinks).toBe(2);
  });
});

describe('closing and opening a page', () => {
  const setClosed = (page: string, closed: boolean, token = server.ownerToken) =>
    call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token, body: { page, closed } });

  it('blocks posting on a closed page (403) and allows it again once reopened', async () => {
    expect((await post(server, commentInput())).status).toBe(201);
    const closed = await setClosed('/post', true);
    expect(closed.status).toBe(200);
    expect(closed.body.page).toMatchObject({ key: '/post', closed: true });
    expect((await publicList(server)).body.page.closed).toBe(true);
    expectProblem(await post(server, commentInput()), 403);
    // Other pages are not affected.
    expect((await post(server, commentInput({ page: '/other' }))).status).toBe(201);
    const opened = await setClosed('/post', false);
    expect(opened.body.page.closed).toBe(false);
    expect((await publicList(server)).body.page.closed).toBe(false);
    expect((await post(server, commentInput())).status).toBe(201);
  });

  it('can close a page before its first comment', async () => {
    expect((await setClosed('/future', true)).status).toBe(200);
    expectProblem(await post(server, commentInput({ page: '/future' })), 403);
  });

  it('blocks replies on a closed page too', async () => {
    const parent = (await post(server, commentInput())).body.comment.id;
    await setClosed('/post', true);
    expectProblem(await post(server, commentInput({ parentId: parent })), 403);
  });

  it('is allowed to a moderator of the site', async () => {
    const mod = await createToken(server, { role: 'moderator', site: 'demo' });
    expect((await setClosed('/post', true, mod.secret)).status).toBe(200);
    expectProblem(await post(server, commentInput()), 403);
  });

  it('validates the body (400 naming the field)', async () => {
    const r = await call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken, body: { page: '', closed: 'yes' } });
    expectProblem(r, 400);
    expect(r.body.errors.map((e: any) => e.path).sort()).toEqual(['closed', 'page']);
  });

  it('lists pages newest first with their counts and state, searchable by key or title (literally), with a cursor', async () => {
    await post(server, commentInput({ page: '/a', pageTitle: '100% Alpha' }));
    await post(server, commentInput({ page: '/b', pageTitle: 'Beta' }));
    await post(server, commentInput({ page: '/b' }));
    await configure(server, { moderation: 'all' });
    await post(server, commentInput({ page: '/c_1' }));
    await setClosed('/c_1', true);
    const list = (q = '') => call(server, 'GET', `/api/v1/sites/demo/moderation/pages${q}`, { token: server.ownerToken });
    const all = await list();
    expect(all.body.items.map((p: any) => [p.key, p.approvedCount, p.pendingCount, p.closed])).toEqual([
      ['/c_1', 0, 1, true],
      ['/b', 2, 0, false],
      ['/a', 1, 0, false],
    ]);
    expect(all.body.items[2]).toEqual({ key: '/a', title: '100% Alpha', url: null, closed: false, metadataLocked: false, approvedCount: 1, pendingCount: 0, createdAt: expect.any(String) });
    expect((await list('?q=%25')).body.items.map((p: any) => p.key)).toEqual(['/a']);
    expect((await list('?q=_')).body.items.map((p: any) => p.key)).toEqual(['/c_1']);
    expect((await list('?q=beta')).body.items.map((p: any) => p.key)).toEqual(['/b']);
    const first = await list('?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await list(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((p: any) => p.key)).toEqual(['/a']);
    expect(second.body.nextCursor).toBeNull();
  });
});
