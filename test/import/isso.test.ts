// Isso's SQLite database: threads, comments with parent, mode 1/2/4, author, e-mail, website, created, text
// (Markdown, as Isso stores it), likes and dislikes.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/api';
import { publicList } from '../helpers/moderation';
import { emptyStore, exportText, serverSnapshot } from '../helpers/transfer';
import { fixture } from '../helpers/imports';
import { unsafeParts } from '../helpers/safe-html';
import { readIsso } from '../../src/import/isso';

let server: TestServer;
let isso: string;

beforeEach(async () => {
  server = await startTestServer();
  isso = path.join(server.dataDir, 'comments.db');
  const db = new Database(isso);
  db.exec(fs.readFileSync(fixture('isso.sql'), 'utf8'));
  db.close();
});
afterEach(() => server.stop());

const run = (file = isso, opts: { dryRun?: boolean } = {}) =>
  server.services.importer.run(readIsso(file), { siteId: 'blog', source: 'isso', createSite: true, ...opts });

it('imports threads and comments with their modes, times, thread shape and Markdown rendered safely', async () => {
  const summary = await run();
  expect(summary).toMatchObject({ imported: 7, newPages: 2, warningCount: 2 });
  expect(summary.warnings).toEqual([
    'comment 7: its parent 404 is not in the file: imported as a top-level comment',
    '1 comment: website not an http(s) address, left out',
  ]);
  const thread = await publicList(server, '/blog/first-post/', 'blog');
  expect(thread.body.page.title).toBe('First post');
  expect(thread.body.comments.map((c: any) => [c.author?.name ?? null, c.depth, c.deleted, c.createdAt])).toEqual([
    [null, 0, true, '2020-01-01T06:26:40.000Z'], // mode 4: deleted, a placeholder above its reply
    ['Nia', 1, false, '2020-01-01T10:00:00.250Z'],
    ['Omar', 0, false, '2020-01-01T09:00:00.000Z'],
    ['Anonymous', 1, false, '2020-01-01T09:13:20.000Z'],
  ]);
  const omar = thread.body.comments[2];
  expect(omar.author.website).toBe('https://omar.example/');
  expect(unsafeParts(omar.html)).toEqual([]);
  // Raw HTML in Isso's Markdown is shown as text, as in a new comment; the javascript: link is not a link.
  expect(omar.html).toBe(
    '<p>Hello <strong>world</strong><br />\n&lt;script&gt;alert(1)&lt;/script&gt; [click](javascript:alert(1)) &lt;img src=x onerror=alert(2)&gt;</p>',
  );
  const waiting = await call(server, 'GET', '/api/v1/sites/blog/moderation/comments?status=pending', { token: server.ownerToken });
  expect(waiting.body.items.map((c: any) => [c.author.name, c.author.website, c.parent.authorName])).toEqual([['Pia', null, 'Anonymous']]);
  const other = await publicList(server, '/blog/ünïcode/', 'blog');
  expect(other.body.comments.map((c: any) => [c.author.name, c.html])).toEqual([
    ['Zoë', '<p>Ça va? 👋</p>'],
    ['Ray', '<p>Parent lost</p>'],
  ]);
});

it("keeps Isso's likes and dislikes with each comment, in the export too", async () => {
  await run();
  const doc = JSON.parse(await exportText(server.services, { siteId: 'blog' }));
  const omar = doc.sites[0].comments.find((c: any) => c.author.name === 'Omar');
  expect(omar.origin).toEqual({ source: 'isso', id: '2', upvotes: 5, downvotes: 1 });
  const target = emptyStore();
  try {
    await target.services.json.import(doc);
    const again = JSON.parse(await exportText(target.services));
    expect(again.sites[0].comments.find((c: any) => c.id === omar.id).origin).toEqual(omar.origin);
  } finally {
    await target.close();
  }
});

it('a second run imports nothing', async () => {
  await run();
  const before = await serverSnapshot(server);
  expect(await run()).toMatchObject({ imported: 0, alreadyThere: 7 });
  expect(await serverSnapshot(server)).toBe(before);
});

it('a file that is not an Isso database, or a comment with an unknown mode, changes nothing', async () => {
  const before = await serverSnapshot(server);
  const notSqlite = path.join(server.dataDir, 'not.db');
  fs.writeFileSync(notSqlite, 'hello, I am text');
  await expect(run(notSqlite)).rejects.toThrow(/not an SQLite database/);
  const other = path.join(server.dataDir, 'other.db');
  new Database(other).exec('CREATE TABLE threads (id INTEGER PRIMARY KEY, uri TEXT, title TEXT)').close();
  await expect(run(other)).rejects.toThrow('not an Isso database: it has no table comments');
  const db = new Database(isso);
  db.prepare('UPDATE comments SET mode = 8 WHERE id = 6').run();
  db.close();
  await expect(run()).rejects.toThrow('comment 6: mode 8 is not 1, 2 or 4');
  expect(await serverSnapshot(server)).toBe(before);
});
