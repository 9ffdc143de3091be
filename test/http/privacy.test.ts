import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting, type ApiResponse } from '../helpers/api';
import { REQUEST_BODY_LIMIT } from '../../src/http/body-limits';

const ORIGIN = 'https://blog.example';
const OTHER_ORIGIN = 'https://other.example';

let server: TestServer;
afterEach(() => server.stop());

const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');
const sha1 = (s: string) => crypto.createHash('sha1').update(s).digest('hex');
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** A fresh address per run, with upper case, a plus tag and surrounding spaces as a careless reader types it. */
function uniqueEmail() {
  const random = crypto.randomBytes(8).toString('hex');
  const email = `Unique.Person+${random}@Example.COM`;
  const typed = `  ${email} `;
  const normal = email.trim().toLowerCase();
  return { random, email, typed, normal };
}

/** Every form of the address that must never appear: itself, its parts, and unkeyed hashes (Gravatar's is md5 of the normal form). */
function forbiddenForms(e: ReturnType<typeof uniqueEmail>): Record<string, string> {
  const forms: Record<string, string> = {
    'e-mail': e.email,
    'lower-case e-mail': e.normal,
    'random part of the e-mail': e.random,
    'URL-encoded e-mail': encodeURIComponent(e.email),
    'base64 e-mail': Buffer.from(e.email).toString('base64'),
    'base64 lower-case e-mail': Buffer.from(e.normal).toString('base64'),
  };
  for (const [name, value] of [
    ['typed', e.typed],
    ['raw', e.email],
    ['normal (Gravatar)', e.normal],
  ]) {
    for (const [alg, hex] of [
      ['md5', md5(value)],
      ['sha1', sha1(value)],
      ['sha256', sha256(value)],
    ]) {
      forms[`${alg} of ${name} e-mail`] = hex;
      // A truncated hash (as an avatar key might be) links people just as well.
      forms[`first 16 hex of ${alg} of ${name} e-mail`] = hex.slice(0, 16);
    }
  }
  return forms;
}

function leaks(haystack: string, forms: Record<string, string>): string[] {
  const h = haystack.toLowerCase();
  return Object.entries(forms)
    .filter(([, v]) => h.includes(v.toLowerCase()))
    .map(([k]) => k);
}

function dump(label: string, r: ApiResponse): { label: string; text: string } {
  const headers = [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
  return { label: `${label} (${r.status})`, text: `${r.status}\n${headers}\n\n${r.text}` };
}

/** Raw fetch for requests the JSON helper cannot make (malformed JSON, wrong content type). */
async function rawPost(path: string, body: string, contentType: string): Promise<ApiResponse> {
  const res = await fetch(server.baseUrl + path, { method: 'POST', headers: { 'content-type': contentType, origin: ORIGIN }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: null, text };
}

/** Every public endpoint, touched in a way that involves the address; returns what a reader could see. */
async function exerciseEveryPublicEndpoint(e: ReturnType<typeof uniqueEmail>) {
  const seen: Array<{ label: string; text: string }> = [];
  const see = (label: string, r: ApiResponse, status: number) => {
    expect({ label, status: r.status }).toEqual({ label, status });
    seen.push(dump(label, r));
    return r;
  };
  const api = '/api/v1/sites/demo';
  const input = { page: '/private', pageUrl: 'https://blog.example/private', pageTitle: 'Private', name: 'Ada', email: e.typed, body: 'Hello from Ada' };

  const token = see('form token', await call(server, 'POST', `${api}/form-token`, { origin: ORIGIN }), 200);
  // Headers a browser or proxy might fill with the address: neither may be echoed or logged.
  const headers = { 'x-request-id': e.email, referer: `https://blog.example/private?email=${encodeURIComponent(e.email)}` };
  const post = see('post', await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, headers, body: { ...input, formToken: token.body.formToken } }), 201);
  const reply = see(
    'reply',
    await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, body: { ...input, parentId: post.body.comment.id, body: 'And a reply' } }),
    201,
  );
  const id = post.body.comment.id;
  const list = see('list', await call(server, 'GET', `${api}/comments?page=/private`, { origin: ORIGIN }), 200);
  see('list, not modified', await call(server, 'GET', `${api}/comments?page=/private`, { origin: ORIGIN, headers: { 'if-none-match': list.headers.get('etag')! } }), 304);
  see('list with the address in its query', await call(server, 'GET', `${api}/comments?page=/private&email=${encodeURIComponent(e.email)}`, { origin: ORIGIN }), 200);
  see('list, newest first', await call(server, 'GET', `${api}/comments?page=/private&sort=newest&limit=1`, { origin: ORIGIN }), 200);
  see('counts', await call(server, 'GET', `${api}/counts?page=/private&page=/other`, { origin: ORIGIN }), 200);
  see('feed of the page', await call(server, 'GET', `${api}/feed.atom?page=/private`, { origin: ORIGIN }), 200);
  see('feed of the site', await call(server, 'GET', `${api}/feed.atom`, { origin: ORIGIN }), 200);
  see('avatar', await call(server, 'GET', post.body.comment.author.avatar, { origin: ORIGIN }), 200);
  see('edit', await call(server, 'PATCH', `/api/v1/comments/${id}`, { origin: ORIGIN, token: post.body.editToken, body: { body: 'Hello again from Ada' } }), 200);
  see('edit, wrong token', await call(server, 'PATCH', `/api/v1/comments/${id}`, { origin: ORIGIN, token: reply.body.editToken.slice(0, -2) + 'xx', body: { body: 'x' } }), 401);
  see('report', await call(server, 'POST', `/api/v1/comments/${id}/reports`, { origin: ORIGIN, body: { reason: 'other', note: 'just checking' } }), 202);
  see('report again', await call(server, 'POST', `/api/v1/comments/${id}/reports`, { origin: ORIGIN, body: { reason: 'spam' } }), 409);
  see('duplicate post', await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, body: { ...input, body: 'Hello again from Ada' } }), 409);
  see('bad website', await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, body: { ...input, body: 'x', website: 'javascript:alert(1)' } }), 400);
  see('bad e-mail', await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, body: { ...input, body: 'y', email: `${e.email}@@` } }), 400);
  see('unknown field', await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, body: { ...input, body: 'z', emailAddress: e.email } }), 400);
  see('unknown parent', await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, body: { ...input, body: 'w', parentId: 'c_00000000000000000000000000' } }), 404);
  see('foreign origin', await call(server, 'POST', `${api}/comments`, { origin: 'https://evil.example', body: { ...input, body: 'v' } }), 403);
  see('unknown site', await call(server, 'POST', '/api/v1/sites/nope/comments', { origin: ORIGIN, body: input }), 404);
  see('malformed JSON', await rawPost(`${api}/comments`, `{"email": "${e.email}", `, 'application/json'), 400);
  see('wrong content type', await rawPost(`${api}/comments`, `email=${e.email}`, 'text/plain'), 415);
  see('too large', await rawPost(`${api}/comments`, JSON.stringify({ ...input, body: 'x'.repeat(REQUEST_BODY_LIMIT) }), 'application/json'), 413);

  const ban = await call(server, 'POST', `${api}/moderation/bans`, { token: server.ownerToken, body: { email: e.email } });
  expect(ban.status).toBe(201);
  see('banned author posting', await call(server, 'POST', `${api}/comments`, { origin: ORIGIN, body: { ...input, body: 'After the ban' } }), 403);
  see('delete', await call(server, 'DELETE', `/api/v1/comments/${reply.body.comment.id}`, { origin: ORIGIN, token: reply.body.editToken }), 204);
  see('list after delete', await call(server, 'GET', `${api}/comments?page=/private`, { origin: ORIGIN }), 200);
  return seen;
}

/** Every file of the database (main file, WAL, shared memory) as bytes. */
function databaseBytes(): Buffer {
  return Buffer.concat(
    fs
      .readdirSync(server.dataDir)
      .filter((f) => f.includes('.db'))
      .map((f) => fs.readFileSync(path.join(server.dataDir, f))),
  );
}

describe('e-mail and IP privacy', () => {
  beforeEach(async () => {
    server = await startTestServer();
    await configure(server, { ...fastPosting, moderation: 'none', origins: [ORIGIN] });
  });

  it('never shows the e-mail, any unkeyed hash of it, or the IP in a public response', async () => {
    const e = uniqueEmail();
    const forms = forbiddenForms(e);
    const seen = await exerciseEveryPublicEndpoint(e);
    expect(seen.length).toBeGreaterThanOrEqual(25);
    for (const r of seen) {
      expect({ response: r.label, leaks: leaks(r.text, forms) }).toEqual({ response: r.label, leaks: [] });
      expect({ response: r.label, hasIp: r.text.includes('127.0.0.1') }).toEqual({ response: r.label, hasIp: false });
    }
  });

  it('writes neither the e-mail, any unkeyed hash of it, nor the IP to the log', async () => {
    const e = uniqueEmail();
    const forms = forbiddenForms(e);
    await exerciseEveryPublicEndpoint(e);
    expect(server.logs.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThanOrEqual(25);
    for (const line of server.logs) {
      expect({ line, leaks: leaks(line, forms) }).toEqual({ line, leaks: [] });
      expect(line).not.toContain('127.0.0.1');
    }
  });

  it('stores the e-mail only encrypted, and no IP, yet moderators can read the address', async () => {
    const e = uniqueEmail();
    const forms = forbiddenForms(e);
    await exerciseEveryPublicEndpoint(e);
    const queue = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all', { token: server.ownerToken });
    expect(queue.status).toBe(200);
    expect(queue.body.items.map((c: { author: { email: string } }) => c.author.email.toLowerCase())).toContain(e.normal);

    const db = new Database(path.join(server.dataDir, 'marginalia.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT * FROM comments').all() as Record<string, unknown>[];
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const row of rows)
        for (const [column, value] of Object.entries(row)) {
          const text = Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
          expect({ column, leaks: leaks(text, forms), hasIp: text.includes('127.0.0.1') }).toEqual({ column, leaks: [], hasIp: false });
        }
    } finally {
      db.close();
    }
    // Any table, index, WAL frame or free page: the bytes on disk hold no plain address and no plain IP.
    const bytes = databaseBytes().toString('latin1').toLowerCase();
    expect(bytes).toContain('hello again from ada'); // the scan does see the stored comments
    expect(leaks(bytes, forms)).toEqual([]);
    expect(bytes).not.toContain('127.0.0.1');
    const rawDigests = [e.email, e.normal].flatMap((v) => [
      crypto.createHash('md5').update(v).digest(),
      crypto.createHash('sha256').update(v).digest(),
    ]);
    for (const d of rawDigests) expect(databaseBytes().includes(d)).toBe(false);
  });
});

describe('avatars', () => {
  beforeEach(async () => {
    server = await startTestServer();
    await configure(server, { ...fastPosting, moderation: 'none', origins: [ORIGIN] });
    await server.services.sites.create({ id: 'other-blog', name: 'Other blog' }, Date.now());
    await configure(server, { ...fastPosting, moderation: 'none', origins: [OTHER_ORIGIN] }, 'other-blog');
  });

  async function avatarOf(site: string, origin: string, email: string, body: string): Promise<string> {
    const r = await call(server, 'POST', `/api/v1/sites/${site}/comments`, { origin, body: { page: '/a', name: 'Ada', email, body } });
    expect(r.status).toBe(201);
    return r.body.comment.author.avatar;
  }

  it('gives the same address different avatars on different sites', async () => {
    const e = uniqueEmail();
    const onDemo = await avatarOf('demo', ORIGIN, e.email, 'on the demo site');
    const onOther = await avatarOf('other-blog', OTHER_ORIGIN, e.email, 'on the other site');
    expect(onDemo).toMatch(/^\/api\/v1\/avatars\/[0-9a-f]{20}\.svg$/);
    expect(onOther).toMatch(/^\/api\/v1\/avatars\/[0-9a-f]{20}\.svg$/);
    expect(onOther).not.toBe(onDemo);
    const [a, b] = await Promise.all([call(server, 'GET', onDemo), call(server, 'GET', onOther)]);
    expect(a.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(a.text).not.toBe(b.text);
  });

  it('keeps one avatar per address on one site, whatever its case and spacing', async () => {
    const e = uniqueEmail();
    const first = await avatarOf('demo', ORIGIN, e.email, 'first');
    expect(await avatarOf('demo', ORIGIN, e.typed.toUpperCase(), 'second')).toBe(first);
    expect(await avatarOf('demo', ORIGIN, `someone.else.${e.random}@example.com`, 'third')).not.toBe(first);
  });

  it('derives the avatar from no unkeyed hash of the address', async () => {
    const e = uniqueEmail();
    const url = await avatarOf('demo', ORIGIN, e.email, 'hash check');
    expect(leaks(url, forbiddenForms(e))).toEqual([]);
    for (const v of [e.email, e.normal]) for (const h of [md5(v), sha1(v), sha256(v)]) expect(h).not.toContain(url.slice(16, 36));
  });
});

describe('behind a proxy', () => {
  beforeEach(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
    await configure(server, { ...fastPosting, moderation: 'none', origins: [ORIGIN] });
  });

  it('keeps the forwarded client address out of responses, logs and the database', async () => {
    const ip = '203.0.113.45';
    const headers = { 'x-forwarded-for': ip };
    const post = await call(server, 'POST', '/api/v1/sites/demo/comments', {
      origin: ORIGIN,
      headers,
      body: { page: '/p', name: 'Ada', email: 'ada@example.com', body: 'Posted through a proxy' },
    });
    expect(post.status).toBe(201);
    const report = await call(server, 'POST', `/api/v1/comments/${post.body.comment.id}/reports`, { origin: ORIGIN, headers, body: { reason: 'spam' } });
    expect(report.status).toBe(202);
    const again = await call(server, 'POST', `/api/v1/comments/${post.body.comment.id}/reports`, { origin: ORIGIN, headers, body: { reason: 'spam' } });
    expect(again.status).toBe(409);
    const list = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/p', { origin: ORIGIN, headers });
    for (const r of [post, report, again, list]) expect(dump('', r).text).not.toContain(ip);
    for (const line of server.logs) expect(line).not.toContain(ip);
    expect(databaseBytes().toString('latin1')).toContain('Posted through a proxy');
    expect(databaseBytes().toString('latin1')).not.toContain(ip);
    // The address is still what the checks see: its keyed hash is stored for moderators.
    const queue = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all', { token: server.ownerToken });
    expect(queue.body.items[0].ipHash).toMatch(/^[0-9a-f]{64}$/);
    expect(queue.body.items[0].ipHash).not.toBe(sha256(ip));
  });
});
