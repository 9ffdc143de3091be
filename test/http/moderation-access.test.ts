// Tokens and roles: who may read and act on which site, and how every refusal looks.
import crypto from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, createToken, expectProblem, moderated, post, queue, rawQuery } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'all' });
  await server.services.sites.create({ id: 'site-b', settings: { ...fastPosting, moderation: 'all', origins: [server.baseUrl] } }, Date.now());
});
afterEach(() => server.stop());

const get = (path: string, token?: string) => call(server, 'GET', `/api/v1${path}`, { token });

describe('a moderator scoped to one site', () => {
  let modA: string;
  let bComment: string;
  beforeEach(async () => {
    modA = (await createToken(server, { role: 'moderator', site: 'demo', label: 'demo mod' })).secret;
    bComment = (await post(server, commentInput({ body: 'On site B' }), { site: 'site-b' })).body.comment.id;
  });

  it('reads its own site queue', async () => {
    const a = (await post(server, commentInput())).body.comment.id;
    const r = await queue(server, {}, { token: modA });
    expect(r.status).toBe(200);
    expect(r.body.items.map((c: any) => c.id)).toEqual([a]);
  });

  it.each([
    ['GET', '/sites/site-b/moderation/comments'],
    ['GET', '/sites/site-b/moderation/log'],
    ['GET', '/sites/site-b/moderation/bans'],
    ['GET', '/sites/site-b/moderation/pages'],
    ['GET', '/sites/site-b/settings'],
  ])('gets 404 for %s %s of another site', async (method, path) => {
    const r = await call(server, method, `/api/v1${path}`, { token: modA });
    expectProblem(r, 404);
  });

  it('cannot act, close pages or ban on another site (404), and nothing there changes', async () => {
    expectProblem(await act(server, { action: 'approve', ids: [bComment] }, { token: modA, site: 'site-b' }), 404);
    expectProblem(
      await call(server, 'PATCH', '/api/v1/sites/site-b/moderation/pages', { token: modA, body: { page: '/post', closed: true } }),
      404,
    );
    expectProblem(
      await call(server, 'POST', '/api/v1/sites/site-b/moderation/bans', { token: modA, body: { email: 'x@example.com' } }),
      404,
    );
    expect((await moderated(server, bComment, 'site-b')).status).toBe('pending');
    expect((await call(server, 'GET', '/api/v1/sites/site-b/moderation/bans', { token: server.ownerToken })).body.items).toEqual([]);
    expect((await call(server, 'GET', '/api/v1/sites/site-b/moderation/pages', { token: server.ownerToken })).body.items[0].closed).toBe(false);
  });

  it("cannot reach another site's comment through its own site's routes (per-id not_found)", async () => {
    const r = await act(server, { action: 'spam', ids: [bComment] }, { token: modA });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([{ id: bComment, ok: false, error: expect.objectContaining({ code: 'not_found', status: 404 }) }]);
    expect((await moderated(server, bComment, 'site-b')).status).toBe('pending');
    const ban = await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: modA, body: { commentId: bComment } });
    expectProblem(ban, 404);
    const log = await call(server, 'GET', `/api/v1/sites/demo/moderation/log?commentId=${bComment}`, { token: modA });
    expect(log.body.items).toEqual([]);
  });

  it('answers an out-of-scope site exactly as a site that does not exist', async () => {
    const outOfScope = await get('/sites/site-b/moderation/comments', modA);
    const missing = await get('/sites/no-such-site/moderation/comments', modA);
    expect(outOfScope.status).toBe(404);
    expect(outOfScope.body).toEqual(missing.body);
  });

  it('cannot read or change settings, even of its own site (403), and nothing changes', async () => {
    expectProblem(await get('/sites/demo/settings', modA), 403);
    const patch = await call(server, 'PATCH', '/api/v1/sites/demo/settings', { token: modA, body: { moderation: 'none' } });
    expectProblem(patch, 403);
    expect((await get('/sites/demo/settings', server.ownerToken)).body.settings.moderation).toBe('all');
  });

  it('cannot list, create or revoke tokens (403)', async () => {
    expectProblem(await get('/tokens', modA), 403);
    expectProblem(await call(server, 'POST', '/api/v1/tokens', { token: modA, body: { role: 'owner', site: 'demo' } }), 403);
    const other = await createToken(server, { role: 'moderator', site: 'demo' });
    expectProblem(await call(server, 'DELETE', `/api/v1/tokens/${other.id}`, { token: modA }), 403);
    expect((await queue(server, {}, { token: other.secret })).status).toBe(200);
  });

  it('sees only its own site in /me', async () => {
    const me = await get('/me', modA);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ token: { id: expect.any(String), role: 'moderator', site: 'demo', label: 'demo mod' }, sites: [{ id: 'demo', name: 'Demo' }] });
  });
});

describe('an all-sites moderator', () => {
  it('reads and acts on every site but still cannot touch settings', async () => {
    const mod = (await createToken(server, { role: 'moderator', site: null })).secret;
    const b = (await post(server, commentInput(), { site: 'site-b' })).body.comment.id;
    expect((await queue(server, {}, { token: mod, site: 'site-b' })).body.items.map((c: any) => c.id)).toEqual([b]);
    expect((await act(server, { action: 'approve', ids: [b] }, { token: mod, site: 'site-b' })).body.results[0].ok).toBe(true);
    expectProblem(await get('/sites/site-b/settings', mod), 403);
    expect((await get('/me', mod)).body.sites.map((s: any) => s.id)).toEqual(['demo', 'site-b']);
  });
});

describe('owners', () => {
  it('read and change settings', async () => {
    const r = await get('/sites/demo/settings', server.ownerToken);
    expect(r.status).toBe(200);
    expect(r.body.settings.moderation).toBe('all');
    const patch = await call(server, 'PATCH', '/api/v1/sites/demo/settings', { token: server.ownerToken, body: { moderation: 'none' } });
    expect(patch.status).toBe(200);
    expect(patch.body.settings.moderation).toBe('none');
    expect((await get('/sites/demo/settings', server.ownerToken)).body.settings.moderation).toBe('none');
  });

  it('scoped to one site manage that site only', async () => {
    const ownerA = (await createToken(server, { role: 'owner', site: 'demo' })).secret;
    expect((await get('/sites/demo/settings', ownerA)).status).toBe(200);
    expectProblem(await get('/sites/site-b/settings', ownerA), 404);
    expectProblem(await call(server, 'PATCH', '/api/v1/sites/site-b/settings', { token: ownerA, body: { moderation: 'none' } }), 404);
    // Tokens: only for its own site.
    expect((await call(server, 'POST', '/api/v1/tokens', { token: ownerA, body: { role: 'moderator', site: 'demo' } })).status).toBe(201);
    expectProblem(await call(server, 'POST', '/api/v1/tokens', { token: ownerA, body: { role: 'moderator', site: 'site-b' } }), 404);
    expectProblem(await call(server, 'POST', '/api/v1/tokens', { token: ownerA, body: { role: 'owner', site: null } }), 404);
    const listed = await get('/tokens', ownerA);
    expect(listed.body.items.every((t: any) => t.site === 'demo')).toBe(true);
    // Cannot revoke the all-sites owner token.
    const all = (await get('/tokens', server.ownerToken)).body.items.find((t: any) => t.site === null && t.role === 'owner');
    expectProblem(await call(server, 'DELETE', `/api/v1/tokens/${all.id}`, { token: ownerA }), 404);
    expect((await get('/me', server.ownerToken)).status).toBe(200);
  });
});

describe('authentication', () => {
  it('answers a missing, malformed or wrong token with 401 problem+json and a Bearer challenge', async () => {
    const none = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments');
    const basic = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments', { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    const wrong = await get('/sites/demo/moderation/comments', 'mt_not-a-real-token');
    const almost = await get('/sites/demo/moderation/comments', server.ownerToken.slice(0, -1) + (server.ownerToken.endsWith('a') ? 'b' : 'a'));
    for (const r of [none, basic, wrong, almost]) {
      expectProblem(r, 401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(wrong.body).toEqual(none.body);
  });

  it('stops a revoked token at once, with the same answer as a wrong one', async () => {
    const t = await createToken(server, { role: 'moderator', site: 'demo' });
    expect((await queue(server, {}, { token: t.secret })).status).toBe(200);
    const del = await call(server, 'DELETE', `/api/v1/tokens/${t.id}`, { token: server.ownerToken });
    expect(del.status).toBe(204);
    const after = await queue(server, {}, { token: t.secret });
    expectProblem(after, 401);
    expect(after.body).toEqual((await get('/sites/demo/moderation/comments', 'mt_wrong')).body);
    expectProblem(await act(server, { action: 'approve', ids: ['c_01M8HD66P9NNTND3SZ330QDVSX'] }, { token: t.secret }), 401);
    const listed = (await get('/tokens', server.ownerToken)).body.items.find((x: any) => x.id === t.id);
    expect(listed.revokedAt).toEqual(expect.any(String));
  });

  it('stops a token revoked by the service (as the CLI does) on the very next request', async () => {
    const t = await server.services.access.createToken({ role: 'owner', siteId: 'demo', label: 'svc' }, Date.now());
    expect((await get('/sites/demo/settings', t.secret)).status).toBe(200);
    await server.repos.tokens.revoke(t.token.id, Date.now());
    expectProblem(await get('/sites/demo/settings', t.secret), 401);
  });

  it('stores only the SHA-256 of a token, shows the secret once, and records when it was last used', async () => {
    const created = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'demo', label: 'night shift' } });
    expect(created.status).toBe(201);
    const { token: secret, item } = created.body;
    expect(item).toEqual({ id: expect.any(String), role: 'moderator', site: 'demo', label: 'night shift', createdAt: expect.any(String), lastUsedAt: null, revokedAt: null });
    const [row] = await rawQuery(server, 'SELECT * FROM tokens WHERE id = ?', [item.id]);
    expect(row.hash).toBe(crypto.createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret);
    const listBefore = await get('/tokens', server.ownerToken);
    expect(listBefore.text).not.toContain(secret);
    await queue(server, {}, { token: secret });
    const used = (await get('/tokens', server.ownerToken)).body.items.find((x: any) => x.id === item.id);
    expect(Date.parse(used.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('accepts the Bearer scheme in any case, as HTTP auth schemes are case-insensitive', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const r = await call(server, 'GET', '/api/v1/me', { headers: { authorization: `${scheme} ${server.ownerToken}` } });
      expect({ scheme, status: r.status }).toEqual({ scheme, status: 200 });
    }
  });

  it('limits each token to moderationPerMinute requests (429 with Retry-After), without slowing other tokens', async () => {
    const mod = await createToken(server, { role: 'moderator', site: 'demo' });
    await configure(server, { rateLimits: { moderationPerMinute: 3 } });
    for (let i = 0; i < 3; i++) expect((await queue(server, {}, { token: mod.secret })).status).toBe(200);
    const limited = await queue(server, {}, { token: mod.secret });
    expectProblem(limited, 429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await queue(server, {}, { token: server.ownerToken })).status).toBe(200);
  });

  it('answers revoking an unknown token with 404', async () => {
    expectProblem(await call(server, 'DELETE', '/api/v1/tokens/tok_nope', { token: server.ownerToken }), 404);
  });

  it('refuses a token for a site that does not exist (404)', async () => {
    expectProblem(await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'nowhere' } }), 404);
  });
});
