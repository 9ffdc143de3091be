// Erasing a person: every comment of that e-mail on the site loses author, e-mail and its HMAC, website and body, in
// the database file and its WAL too (on PostgreSQL: in every row of the schema); replies keep their place under
// placeholders; one audit row names nobody.
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, auditLog, createToken, expectProblem, openDb, post, publicList } from '../helpers/moderation';
import pg from 'pg';
import { exportText, pgAllRows } from '../helpers/transfer';

let server: TestServer;
const EMAIL = 'Erin.Erased@Example.com';
const NAME = 'Erinna Erasedname';
const BODY = 'my very private confession 7f3a9c';
const WEBSITE = 'https://erin-erased.example/';
const VOTER = 'voter-key-erin0001-abcdef';

beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

async function seed() {
  // Posted with a voter key: the comment keeps its hash, which links it to that reader's votes.
  const mine = await post(server, commentInput({ page: '/one', name: NAME, email: EMAIL, website: WEBSITE, body: `${BODY} on page one` }), {
    headers: { 'marginalia-voter': VOTER },
  });
  const reply = await post(server, commentInput({ page: '/one', parentId: mine.body.comment.id, name: 'Quinn', email: 'quinn@example.com', body: 'a reply that stays' }));
  const second = await post(server, commentInput({ page: '/two', name: NAME, email: EMAIL, body: `${BODY} on page two` }));
  await call(server, 'POST', `/api/v1/comments/${second.body.comment.id}/reports`, { body: { reason: 'other', note: `quoting: ${BODY}` } });
  return { mine: mine.body.comment.id, reply: reply.body.comment.id, second: second.body.comment.id };
}

/** What the store holds: the SQLite file and its WAL after a checkpoint, or every row of the PostgreSQL schema. */
async function fileBytes(): Promise<Buffer> {
  if (server.databaseUrl) return Buffer.from(await pgAllRows(server.databaseUrl));
  const file = path.join(server.dataDir, 'marginalia.db');
  const db = openDb(server);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return Buffer.concat([fs.readFileSync(file), fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0)]);
}

async function storedRow(id: string): Promise<{ email_hmac: string; avatar: string; email_enc: Buffer; voter_hmac: string | null }> {
  if (server.databaseUrl) {
    const c = new pg.Client({ connectionString: server.databaseUrl });
    await c.connect();
    try {
      return (await c.query('SELECT email_hmac, avatar, email_enc, voter_hmac FROM comments WHERE id = $1', [id])).rows[0];
    } finally {
      await c.end();
    }
  }
  const db = openDb(server);
  try {
    return db.prepare('SELECT email_hmac, avatar, email_enc, voter_hmac FROM comments WHERE id = ?').get(id) as { email_hmac: string; avatar: string; email_enc: Buffer; voter_hmac: string | null };
  } finally {
    db.close();
  }
}

it('removes the person from every answer, the export, and the bytes of the database and its WAL', async () => {
  const ids = await seed();
  const stored = await storedRow(ids.mine);
  expect(stored.voter_hmac).toMatch(/^[0-9a-f]{64}$/);
  // Before: the bytes are there, so the check below can fail.
  expect((await fileBytes()).includes(Buffer.from(BODY))).toBe(true);
  expect((await fileBytes()).includes(Buffer.from(stored.email_hmac))).toBe(true);

  const r = await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: 'erin.erased@EXAMPLE.com' } });
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ erased: 2 });

  const one = await publicList(server, '/one');
  expect(one.body.comments.map((c: any) => [c.id, c.deleted, c.author, c.html])).toEqual([
    [ids.mine, true, null, null],
    [ids.reply, false, expect.objectContaining({ name: 'Quinn' }), '<p>a reply that stays</p>'],
  ]);
  expect((await publicList(server, '/two')).body.comments).toEqual([]);

  const answers = [
    one.text,
    (await call(server, 'GET', '/api/v1/sites/demo/feed.atom')).text,
    (await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all&limit=200', { token: server.ownerToken })).text,
    (await call(server, 'GET', '/api/v1/sites/demo/moderation/log?limit=200', { token: server.ownerToken })).text,
    (await call(server, 'GET', '/api/v1/sites/demo/export', { token: server.ownerToken })).text,
    await exportText(server.services),
  ].join('\n');
  const forms = [EMAIL, EMAIL.toLowerCase(), NAME, BODY, WEBSITE, 'erin-erased.example', stored.email_hmac, stored.avatar, stored.voter_hmac!];
  for (const f of forms) expect(answers).not.toContain(f);

  const bytes = await fileBytes();
  for (const f of forms) expect(bytes.includes(Buffer.from(f))).toBe(false);
  // On PostgreSQL the rows show a bytea as hex text.
  expect(bytes.includes(server.databaseUrl ? Buffer.from(stored.email_enc.toString('hex')) : stored.email_enc)).toBe(false);
  expect(server.logs.join('\n')).not.toMatch(/erin/i);
});

it('writes one audit row naming no personal data, and asking again erases nothing', async () => {
  const ids = await seed();
  await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: EMAIL } });
  const rows = (await auditLog(server)).filter((e) => e.action === 'erase');
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ to: 'deleted', reason: 'erased 2 comments of one person at their request', actor: { type: 'token' } });
  expect([ids.mine, ids.second]).toContain(rows[0].commentId);
  const again = await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: EMAIL } });
  expect(again.body).toEqual({ erased: 0 });
  expect((await auditLog(server)).filter((e) => e.action === 'erase')).toHaveLength(1);
});

it('only an owner erases, only on their site, and a bad address names the field', async () => {
  await seed();
  const moderator = await createToken(server, { role: 'moderator', site: 'demo' });
  expectProblem(await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: moderator.secret, body: { email: EMAIL } }), 403);
  expectProblem(await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { body: { email: EMAIL } }), 401);
  const bad = await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: 'nope' } });
  expectProblem(bad, 400);
  expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'email', code: 'invalid_email' })]);
  const extra = await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: EMAIL, all: true } });
  expectProblem(extra, 400);
  // Nothing was erased by the refused requests.
  expect((await publicList(server, '/two')).body.comments).toHaveLength(1);
});

it('after an erase the same export imported again does not bring the person back', async () => {
  await seed();
  await server.services.sites.create({ id: 'blog', name: 'Blog', settings: { ...fastPosting, moderation: 'none' } }, Date.now());
  const xml = `<?xml version="1.0"?><disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
    <thread dsq:id="1"><link>https://blog.example/a/</link><title>A</title></thread>
    <post dsq:id="2"><message><![CDATA[<p>${BODY}</p>]]></message><createdAt>2020-01-01T00:00:00Z</createdAt><isDeleted>false</isDeleted>
      <isSpam>false</isSpam><author><email>${EMAIL}</email><name>${NAME}</name></author><thread dsq:id="1"/></post></disqus>`;
  const { importXml } = await import('../helpers/imports');
  await importXml(server.services, 'disqus', xml, { siteId: 'blog' });
  const site = await server.services.sites.get('blog');
  expect(await server.services.erasure.erase(site, EMAIL, null, Date.now())).toEqual({ erased: 1 });
  expect(await importXml(server.services, 'disqus', xml, { siteId: 'blog' })).toMatchObject({ imported: 0, alreadyThere: 1 });
  expect((await publicList(server, '/a/', 'blog')).body.comments).toEqual([]);
});

it('an erased comment stays a placeholder: restore, approve and delete are refused per id', async () => {
  const ids = await seed();
  await call(server, 'POST', '/api/v1/sites/demo/moderation/erase', { token: server.ownerToken, body: { email: EMAIL } });
  for (const action of ['restore', 'approve', 'reject', 'spam', 'delete']) {
    const r = await act(server, { action, ids: [ids.mine, ids.reply] });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([
      { id: ids.mine, ok: false, error: expect.objectContaining({ code: 'erased', status: 409 }) },
      // The other comment is acted on as usual.
      expect.objectContaining({ id: ids.reply }),
    ]);
    if (action === 'delete') break;
    // Put the reply back for the next round.
    await act(server, { action: action === 'restore' ? 'approve' : 'restore', ids: [ids.reply] });
  }
  // Nothing of it was published on the way: with its reply deleted too, the placeholder has nothing left to hold up.
  expect((await publicList(server, '/one')).body.comments).toEqual([]);
  const log = (await auditLog(server)).filter((e) => e.commentId === ids.mine).map((e) => e.action);
  expect(log).toEqual(['create', 'erase']);
});
