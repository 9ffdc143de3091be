// Moving a site from SQLite to PostgreSQL with the built CLI, as docs/deploy.md tells an operator to: export from a
// server on SQLite, `import json` into an empty PostgreSQL store, export from there, and compare. And the CLI's
// import, export and erase on PostgreSQL, with its rows read after an erase.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, post, publicList } from '../helpers/moderation';
import { fixture } from '../helpers/imports';
import { ensureBuiltCurrent, runCli } from '../helpers/process';
import { freshSchema, type TestSchema } from '../helpers/stores';
import { pgAllRows, pgSnapshot, withoutTime } from '../helpers/transfer';
import { openPostgresStore } from '../../src/store/postgres';
import { buildServices } from '../../src/app';
import { deriveKeys, Privacy } from '../../src/domain/privacy';

jest.setTimeout(120_000);

let dataDir: string;
let schema: TestSchema;

function cli(...args: string[]) {
  return runCli(args, { dataDir, extra: { DATABASE_URL: schema.url }, timeoutMs: 90_000 });
}


beforeAll(ensureBuiltCurrent, 150_000);
beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-pg-transfer-'));
  schema = await freshSchema();
});
afterEach(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  await schema.drop();
});

async function seedSqliteSite(server: TestServer) {
  await configure(server, { ...fastPosting, moderation: 'all', votes: 'updown' });
  const a = await post(server, commentInput({ page: '/essay', pageTitle: 'An essay', name: 'Zoë ✨', email: 'Zoe@Example.com', website: 'https://zoe.example', body: 'First *word*' }));
  const b = await post(server, commentInput({ page: '/essay', body: 'Second' }));
  const c = await post(server, commentInput({ page: '/other', body: 'Elsewhere' }));
  await act(server, { action: 'approve', ids: [a.body.comment.id, c.body.comment.id] });
  const reply = await post(server, commentInput({ page: '/essay', parentId: a.body.comment.id, body: 'A reply' }));
  await act(server, { action: 'approve', ids: [reply.body.comment.id] });
  for (const [id, value, voter] of [
    [reply.body.comment.id, 1, 'voter-key-00000001-abcdef'],
    [reply.body.comment.id, -1, 'voter-key-00000002-abcdef'],
    [a.body.comment.id, 1, 'voter-key-00000002-abcdef'],
  ] as const)
    expect((await call(server, 'POST', `/api/v1/comments/${id}/votes`, { body: { value }, headers: { 'marginalia-voter': voter } })).status).toBe(200);
  await act(server, { action: 'feature', ids: [reply.body.comment.id] });
  await act(server, { action: 'delete', ids: [a.body.comment.id], reason: 'rude' });
  await act(server, { action: 'spam', ids: [b.body.comment.id] });
  await call(server, 'POST', `/api/v1/comments/${reply.body.comment.id}/reports`, { body: { reason: 'abuse', note: 'mean' } });
  await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { email: 'troll@example.com', reason: 'trolling' } });
  await call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken, body: { page: '/closed', closed: true } });
}

it('moves a site from SQLite to PostgreSQL: the export of the PostgreSQL store is the SQLite one, votes and featured too', async () => {
  const server = await startTestServer();
  const exported = path.join(dataDir, 'from-sqlite.json');
  const again = path.join(dataDir, 'from-postgres.json');
  try {
    expect(server.databaseUrl).toBeNull();
    await seedSqliteSite(server);
    const r = await call(server, 'GET', '/api/v1/sites/demo/export', { token: server.ownerToken });
    expect(r.status).toBe(200);
    fs.writeFileSync(exported, r.text);
    const doc = JSON.parse(r.text);
    expect(doc.sites[0].comments).toHaveLength(4);
    expect(doc.sites[0].votes).toHaveLength(3);

    const imported = cli('import', 'json', exported);
    expect(imported.stderr).not.toMatch(/error/);
    expect(imported.stdout).toContain('imported 4 comments into site demo (created)');
    expect(cli('export', again, '--site', 'demo').code).toBe(0);
    expect(withoutTime(fs.readFileSync(again, 'utf8'))).toBe(withoutTime(r.text));

    // Readers see the same threads on the new store, with the vote totals and the featured reply.
    const repos = await openPostgresStore(schema.url, 2);
    try {
      const services = buildServices({ repos, privacy: new Privacy(deriveKeys(crypto.randomBytes(32).toString('base64'))) });
      // Avatars are keyed by each server's own secret key, as e-mail HMACs are: all else is the same.
      const noAvatar = <T extends { avatar: string }>(items: T[]) => items.map(({ avatar: _a, ...rest }) => rest);
      for (const page of ['/essay', '/other']) {
        const before = noAvatar((await server.services.comments.thread('demo', { page, sort: 'oldest', limit: 50 })).items);
        const after = noAvatar((await services.comments.thread('demo', { page, sort: 'oldest', limit: 50 })).items);
        expect(after).toEqual(before);
        expect(after.length).toBeGreaterThan(0);
      }
      expect((await services.comments.counts('demo', ['/essay', '/other'])).counts).toEqual((await server.services.comments.counts('demo', ['/essay', '/other'])).counts);
    } finally {
      await repos.close();
    }
    // A second run adds nothing and changes no row.
    const rows = await pgSnapshot(schema.url);
    expect(cli('import', 'json', exported).stdout).toContain('imported 0 comments');
    expect(await pgSnapshot(schema.url)).toBe(rows);
    expect((await publicList(server, '/essay')).status).toBe(200);
  } finally {
    await server.stop();
  }
});

it('imports a Disqus export on PostgreSQL once, all or nothing, and erases a person from every row', async () => {
  const dry = cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog', '--create-site', '--dry-run');
  expect(dry.code).toBe(0);
  expect(await pgSnapshot(schema.url)).not.toContain('blog');
  const first = cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog', '--create-site');
  expect(first.stderr).not.toMatch(/error/);
  expect(first.stdout).toContain('imported 10 comments');
  const rows = await pgSnapshot(schema.url);
  const second = cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog');
  expect(second.stdout).toContain('imported 0 comments');
  expect(await pgSnapshot(schema.url)).toBe(rows);
  // A truncated file stops with where, and leaves every row as it was.
  const cut = path.join(dataDir, 'cut.xml');
  const xml = fs.readFileSync(fixture('disqus.xml'), 'utf8');
  fs.writeFileSync(cut, xml.slice(0, Math.floor(xml.length * 0.6)));
  const broken = cli('import', 'disqus', cut, '--site', 'blog');
  expect(broken.code).toBe(1);
  expect(broken.stderr).toMatch(/line \d+, column \d+/);
  expect(await pgSnapshot(schema.url)).toBe(rows);

  const forms = ['Ada Lovelace', 'ada.example/notes', 'Second paragraph with'];
  const before = await pgAllRows(schema.url);
  for (const f of forms) expect(before).toContain(f);
  expect(cli('erase', '--site', 'blog', '--email', 'ADA@example.com').stdout).toBe('erased 1 comment on site blog\n');
  const after = await pgAllRows(schema.url);
  const exported = path.join(dataDir, 'after.json');
  expect(cli('export', exported).code).toBe(0);
  const doc = fs.readFileSync(exported, 'utf8');
  for (const text of [after, doc]) {
    expect(text.toLowerCase()).not.toContain('ada@example.com');
    for (const f of forms) expect(text).not.toContain(f);
  }
  expect(JSON.parse(doc).sites[0].comments).toHaveLength(10);
});
