// Disqus XML export: threads and posts in any order, nested replies, deleted and spam posts, hostile HTML, odd
// Unicode, a truncated file; idempotent and all or nothing.
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/api';
import { moderated, publicList } from '../helpers/moderation';
import { serverSnapshot, storedText } from '../helpers/transfer';
import { fixtureText, importXml } from '../helpers/imports';
import { unsafeParts } from '../helpers/safe-html';

let server: TestServer;
const xml = fixtureText('disqus.xml');

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(() => server.stop());

const run = (text = xml, opts: { dryRun?: boolean; createSite?: boolean; siteId?: string } = {}) =>
  importXml(server.services, 'disqus', text, { siteId: 'blog', createSite: true, ...opts });

it('imports threads and posts in any order, keeping the thread shape, times and statuses', async () => {
  const summary = await run();
  expect(summary).toMatchObject({ source: 'disqus', site: 'blog', siteCreated: true, imported: 10, alreadyThere: 0, newPages: 3, warningCount: 1 });
  expect(summary.warnings).toEqual(['post 9009: its parent 8888 is not in the file: imported as a top-level comment']);

  const thread = await publicList(server, '/2019/hello-world/', 'blog');
  expect(thread.status).toBe(200);
  expect(thread.body.page).toMatchObject({ key: '/2019/hello-world/', title: 'Hello & welcome', url: 'https://blog.example/2019/hello-world/' });
  const shape = thread.body.comments.map((c: any) => [c.author?.name ?? null, c.depth, c.deleted]);
  expect(shape).toEqual([
    ['Ada Lovelace', 0, false],
    ['Bob', 1, false],
    ['Anonymous Reader', 2, false],
    ['Mallory<script>', 0, false], // a name is text: shown as typed, never as markup
    [null, 0, true], // Carol's deleted comment: a placeholder above Dave's reply
    ['Dave', 1, false],
    ['Erin', 0, false],
  ]);
  const ada = thread.body.comments[0];
  expect(ada.createdAt).toBe('2019-03-01T09:00:00.000Z');
  expect(ada.html).toBe(
    '<p>First! <strong>Bold</strong> and <em>italic</em>.</p><p>Second paragraph with <a href="https://ada.example/notes" rel="nofollow ugc noopener noreferrer">a link</a>.</p>',
  );
  // The reply that came first in the file points at its parent's new id.
  expect(thread.body.comments[1].parentId).toBe(ada.id);
  // Spam stays out of public view but is in the queue, as spam.
  const spam = await call(server, 'GET', '/api/v1/sites/blog/moderation/comments?status=spam', { token: server.ownerToken });
  expect(spam.body.items.map((c: any) => [c.author.name, c.author.email])).toEqual([['Spammer', 'spammer@spam.example']]);
  const counts = await call(server, 'GET', '/api/v1/sites/blog/counts?page=/2019/hello-world/&page=/2019/caf%25C3%25A9/&page=no-link-thread');
  expect(counts.body.counts).toEqual({ '/2019/hello-world/': 6, '/2019/caf%C3%A9/': 1, 'no-link-thread': 1 });
});

it('sanitises hostile HTML with the allow-list of new comments', async () => {
  await run();
  const thread = await publicList(server, '/2019/hello-world/', 'blog');
  const mallory = thread.body.comments.find((c: any) => c.author?.name === 'Mallory<script>');
  expect(mallory.html).toBe('<p>Look <a rel="nofollow ugc noopener noreferrer">here</a> done</p>');
  for (const c of thread.body.comments) if (c.html) expect(unsafeParts(c.html)).toEqual([]);
  const html = thread.body.comments.map((c: any) => c.html ?? '').join('\n');
  expect(html).not.toMatch(/script|onerror|onclick|javascript:|iframe|evil\.example|display:none/i);
});

it('keeps odd Unicode as NFC text and drops direction overrides from names', async () => {
  await run();
  const thread = await publicList(server, '/2019/caf%C3%A9/', 'blog');
  const [c] = thread.body.comments;
  expect(c.author.name).toBe('Zoeevil 👩‍💻 Café');
  expect(c.author.name).toBe(c.author.name.normalize('NFC'));
  expect(c.html).toBe('<p>Café ☕ — ok 👩‍💻 עברית</p>');
  expect(thread.body.page.title).toBe('Café');
});

it('never shows an e-mail or an address in public answers; stores addresses only as HMACs', async () => {
  await run();
  const everything = [
    (await publicList(server, '/2019/hello-world/', 'blog')).text,
    (await publicList(server, '/2019/caf%C3%A9/', 'blog')).text,
    (await call(server, 'GET', '/api/v1/sites/blog/feed.atom')).text,
  ].join('\n');
  for (const secret of ['Ada@Example.com', 'ada@example.com', 'bob@example.org', '198.51.100.7', '2001:db8::1', 'spammer@spam.example'])
    expect(everything.toLowerCase()).not.toContain(secret.toLowerCase());
  const bytes = await storedText(server);
  for (const ip of ['198.51.100.7', '198.51.100.23', '192.0.2.66', '2001:db8::1']) expect(bytes).not.toContain(ip);
  for (const email of ['bob@example.org', 'Ada@Example.com']) expect(bytes).not.toContain(email);
  const ada = (await publicList(server, '/2019/hello-world/', 'blog')).body.comments[0];
  const seen = await moderated(server, ada.id, 'blog');
  expect(seen.author.email).toBe('Ada@Example.com');
  expect(seen.ipHash).toMatch(/^[0-9a-f]{64}$/);
});

it('a second run imports nothing and says how many were already there', async () => {
  await run();
  const before = await serverSnapshot(server);
  const again = await run();
  expect(again).toMatchObject({ imported: 0, alreadyThere: 10, siteCreated: false, newPages: 0 });
  expect(await serverSnapshot(server)).toBe(before);
});

it('public answers read before the import are fresh after it', async () => {
  await server.services.sites.create({ id: 'blog', name: 'Blog' }, Date.now());
  const before = await publicList(server, '/2019/hello-world/', 'blog');
  expect(before.body.comments).toEqual([]);
  const count = await call(server, 'GET', '/api/v1/sites/blog/counts?page=/2019/hello-world/');
  expect(count.body.counts['/2019/hello-world/']).toBe(0);
  await run(xml, { createSite: false });
  expect((await publicList(server, '/2019/hello-world/', 'blog')).body.comments).toHaveLength(7);
  expect((await call(server, 'GET', '/api/v1/sites/blog/counts?page=/2019/hello-world/')).body.counts['/2019/hello-world/']).toBe(6);
});

it('a truncated file stops the import with the line and column and changes nothing', async () => {
  const before = await serverSnapshot(server);
  const cut = xml.slice(0, xml.indexOf('<post dsq:id="9008">') + 60);
  const err = await run(cut).catch((e) => e);
  expect(err.message).toMatch(/line \d+, column \d+: the XML is not well-formed/);
  expect(await serverSnapshot(server)).toBe(before);
  expect(await server.repos.sites.get('blog')).toBeNull();
});

it('XML that is not well-formed names where', async () => {
  const broken = xml.replace('<title>Café</title>', '<title>Café</titel>');
  const line = xml.slice(0, xml.indexOf('<title>Café</title>')).split('\n').length;
  const err = await run(broken).catch((e) => e);
  expect(err.message).toContain(`line ${line}, column`);
  expect(await server.repos.sites.get('blog')).toBeNull();
});

it('an entry that breaks a rule stops the import, naming the entry, and changes nothing', async () => {
  await server.services.sites.create({ id: 'blog', name: 'Blog' }, Date.now());
  const before = await serverSnapshot(server);
  const badDate = xml.replace('<createdAt>2019-03-06T09:00:00Z</createdAt>', '<createdAt>last tuesday</createdAt>');
  await expect(run(badDate)).rejects.toThrow(/post 9011, line \d+, column \d+: createdAt "last tuesday" is not a date and time/);
  const twice = xml.replace('<post dsq:id="9011">', '<post dsq:id="9001">');
  await expect(run(twice)).rejects.toThrow(/post 9001: 9001 comes twice in the file/);
  const lost = xml.replace('<thread dsq:id="7003"/>', '<thread dsq:id="7999"/>');
  await expect(run(lost)).rejects.toThrow(/post 9011: its thread 7999 is not in the file/);
  expect(await serverSnapshot(server)).toBe(before);
});

it('a dry run counts and changes nothing', async () => {
  const before = await serverSnapshot(server);
  const dry = await run(xml, { dryRun: true });
  expect(dry).toMatchObject({ dryRun: true, imported: 10, newPages: 3, warningCount: 1, siteCreated: false });
  expect(await serverSnapshot(server)).toBe(before);
});

it('a site that does not exist is created only when asked', async () => {
  await expect(run(xml, { createSite: false })).rejects.toThrow(/Site blog does not exist; add --create-site/);
  expect(await server.repos.sites.get('blog')).toBeNull();
});

it('every imported comment has one audit row saying where it came from', async () => {
  await run();
  const log = await call(server, 'GET', '/api/v1/sites/blog/moderation/log?limit=100', { token: server.ownerToken });
  expect(log.body.items).toHaveLength(10);
  expect(new Set(log.body.items.map((e: any) => `${e.action} ${e.reason}`))).toEqual(new Set(['import imported from disqus']));
});
