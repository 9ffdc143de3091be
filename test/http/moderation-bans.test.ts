// Bans: by e-mail, by address hash, by "the author of comment X"; expiry; lifting.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { expectProblem, moderated, post } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  // Behind a proxy, so a test can post from several client addresses.
  server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
const ban = (body: Record<string, unknown>, site = 'demo') =>
  call(server, 'POST', `/api/v1/sites/${site}/moderation/bans`, { token: server.ownerToken, body });
const bans = (site = 'demo') => call(server, 'GET', `/api/v1/sites/${site}/moderation/bans`, { token: server.ownerToken });
const unban = (id: string, site = 'demo') => call(server, 'DELETE', `/api/v1/sites/${site}/moderation/bans/${id}`, { token: server.ownerToken });

describe('ban by e-mail', () => {
  it('refuses the next post from that e-mail, in any case, with 403; others still post', async () => {
    const r = await ban({ email: 'troll@example.com', reason: 'abuse' });
    expect(r.status).toBe(201);
    expect(r.body.bans).toEqual([
      { id: expect.any(String), kind: 'email', value: 'troll@example.com', reason: 'abuse', commentId: null, expiresAt: null, createdAt: expect.any(String) },
    ]);
    const refused = await post(server, commentInput({ email: 'troll@example.com' }), from('198.51.100.1'));
    expectProblem(refused, 403);
    expect(refused.body.type).toContain('banned');
    expectProblem(await post(server, commentInput({ email: 'TROLL@Example.com' }), from('198.51.100.2')), 403);
    expect((await post(server, commentInput({ email: 'friend@example.com' }), from('198.51.100.3'))).status).toBe(201);
    expect((await bans()).body.items.map((b: any) => b.value)).toEqual(['troll@example.com']);
  });

  it('applies only to the site that made it', async () => {
    await server.services.sites.create({ id: 'site-b', settings: { ...fastPosting, moderation: 'none', origins: [server.baseUrl] } }, Date.now());
    await ban({ email: 'troll@example.com' });
    expect((await post(server, commentInput({ email: 'troll@example.com' }), { site: 'site-b' })).status).toBe(201);
    expect((await bans('site-b')).body.items).toEqual([]);
  });
});

describe('ban the author of a comment', () => {
  it('bans their e-mail and address without showing the address, and refuses either with 403', async () => {
    const c = await post(server, commentInput({ email: 'spammer@example.com' }), from('203.0.113.77'));
    const r = await ban({ commentId: c.body.comment.id, reason: 'spam run' });
    expect(r.status).toBe(201);
    const ipHash = (await moderated(server, c.body.comment.id)).ipHash;
    expect(ipHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.body.bans).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'email', value: 'spammer@example.com', commentId: c.body.comment.id, reason: 'spam run' }),
        expect.objectContaining({ kind: 'ip', value: ipHash, commentId: c.body.comment.id }),
      ]),
    );
    expect(r.body.bans).toHaveLength(2);
    for (const text of [r.text, (await bans()).text]) {
      expect(text).not.toContain('203.0.113.77');
      expect(text).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
    }
    // Same e-mail from a new address; a new e-mail from the same address: both refused.
    expectProblem(await post(server, commentInput({ email: 'spammer@example.com' }), from('198.51.100.9')), 403);
    const sameIp = await post(server, commentInput({ email: 'fresh@example.com' }), from('203.0.113.77'));
    expectProblem(sameIp, 403);
    // No hint of which one matched.
    const sameEmail = await post(server, commentInput({ email: 'spammer@example.com' }), from('198.51.100.10'));
    expect(sameEmail.body).toEqual(sameIp.body);
    expect((await post(server, commentInput({ email: 'fresh@example.com' }), from('198.51.100.11'))).status).toBe(201);
  });

  it('refuses an unknown comment or one of another site with 404', async () => {
    await server.services.sites.create({ id: 'site-b', settings: { ...fastPosting, origins: [server.baseUrl] } }, Date.now());
    const onB = await post(server, commentInput(), { site: 'site-b' });
    expectProblem(await ban({ commentId: 'c_01M8HD66P9NNTND3SZ330QDVSX' }), 404);
    expectProblem(await ban({ commentId: onB.body.comment.id }), 404);
    expect((await bans()).body.items).toEqual([]);
  });
});

describe('ban by address hash', () => {
  it('refuses posts from that address only', async () => {
    const c = await post(server, commentInput(), from('203.0.113.5'));
    const ipHash = (await moderated(server, c.body.comment.id)).ipHash;
    const r = await ban({ ipHash });
    expect(r.status).toBe(201);
    expect(r.body.bans).toEqual([expect.objectContaining({ kind: 'ip', value: ipHash, commentId: null })]);
    expectProblem(await post(server, commentInput(), from('203.0.113.5')), 403);
    expect((await post(server, commentInput(), from('203.0.113.6'))).status).toBe(201);
  });
});

describe('expiry and lifting', () => {
  it('stops refusing once a ban has expired', async () => {
    const expiresAt = new Date(Date.now() + 2000).toISOString();
    const r = await ban({ email: 'brief@example.com', expiresAt });
    expect(r.body.bans[0].expiresAt).toBe(expiresAt);
    expectProblem(await post(server, commentInput({ email: 'brief@example.com' }), from('198.51.100.1')), 403);
    await new Promise((res) => setTimeout(res, Date.parse(expiresAt) - Date.now() + 100));
    expect((await post(server, commentInput({ email: 'brief@example.com' }), from('198.51.100.2'))).status).toBe(201);
  });

  it('refuses while a future expiry is ahead, and not once it has passed', async () => {
    const future = await ban({ email: 'later@example.com', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(future.status).toBe(201);
    // A ban made a minute ago that ran out a second ago (through the service, with `now` in the past).
    const now = Date.now();
    const site = await server.services.sites.get('demo');
    const owner = (await server.repos.tokens.list({ siteId: null }))[0];
    await server.services.moderation.ban(site, owner, { email: 'expired@example.com', expiresAt: now - 1000 }, now - 60_000);
    expect((await bans()).body.items).toHaveLength(2);
    expectProblem(await post(server, commentInput({ email: 'later@example.com' }), from('198.51.100.3')), 403);
    expect((await post(server, commentInput({ email: 'expired@example.com' }), from('198.51.100.4'))).status).toBe(201);
  });

  it('refuses an expiry in the past (400 naming expiresAt) and stores nothing', async () => {
    const r = await ban({ email: 'past@example.com', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expectProblem(r, 400);
    expect(r.body.errors.map((e: any) => e.path)).toEqual(['expiresAt']);
    expect((await bans()).body.items).toEqual([]);
  });

  it('lifts a ban with DELETE: the next post goes through; a second DELETE is 404', async () => {
    const r = await ban({ email: 'forgiven@example.com' });
    expectProblem(await post(server, commentInput({ email: 'forgiven@example.com' }), from('198.51.100.1')), 403);
    const del = await unban(r.body.bans[0].id);
    expect(del.status).toBe(204);
    expect((await bans()).body.items).toEqual([]);
    expect((await post(server, commentInput({ email: 'forgiven@example.com' }), from('198.51.100.2'))).status).toBe(201);
    expectProblem(await unban(r.body.bans[0].id), 404);
  });

  it("cannot lift another site's ban through its own site (404)", async () => {
    await server.services.sites.create({ id: 'site-b' }, Date.now());
    const r = await ban({ email: 'troll@example.com' }, 'site-b');
    expectProblem(await unban(r.body.bans[0].id, 'demo'), 404);
    expect((await bans('site-b')).body.items).toHaveLength(1);
  });
});

describe('validation', () => {
  it.each([
    [{}, 'email'],
    [{ email: 'a@example.com', commentId: 'c_01M8HD66P9NNTND3SZ330QDVSX' }, 'email'],
    [{ email: 'not an email' }, 'email'],
    [{ ipHash: '127.0.0.1' }, 'ipHash'],
    [{ email: 'a@example.com', expiresAt: 'tomorrow' }, 'expiresAt'],
  ])('refuses %j with 400 naming %s', async (body, path) => {
    const r = await ban(body);
    expectProblem(r, 400);
    expect(r.body.errors.map((e: any) => e.path)).toContain(path);
    expect((await bans()).body.items).toEqual([]);
  });
});
