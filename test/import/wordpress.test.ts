// WordPress WXR 1.0, 1.1 and 1.2: comments with parent, approved/0/spam/trash, author, e-mail, URL, IP (to its HMAC),
// comment_date_gmt and content; pingbacks and trackbacks skipped and counted; the post's link and title make the page.
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/api';
import { moderated, publicList } from '../helpers/moderation';
import { serverSnapshot, storedText } from '../helpers/transfer';
import { fixtureText, importXml } from '../helpers/imports';
import { unsafeParts } from '../helpers/safe-html';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(() => server.stop());

const run = (text: string, opts: { dryRun?: boolean } = {}) => importXml(server.services, 'wordpress', text, { siteId: 'wp', createSite: true, ...opts });

it('WXR 1.2: statuses, thread shape, GMT times; pingbacks and trackbacks skipped and counted', async () => {
  const summary = await run(fixtureText('wxr-1.2.xml'));
  expect(summary).toMatchObject({ imported: 8, skipped: { pingback: 1, trackback: 1 }, newPages: 2, warningCount: 2 });
  expect(summary.warnings).toEqual([
    'comment 11 of item 42: its parent 999 is not in the file: imported as a top-level comment',
    '1 comment: website not an http(s) address, left out',
  ]);
  const thread = await publicList(server, '/2020/06/hello-world/', 'wp');
  expect(thread.body.page).toMatchObject({ title: 'Hello world!', url: 'https://wp.example/2020/06/hello-world/' });
  expect(thread.body.comments.map((c: any) => [c.author?.name ?? null, c.depth, c.createdAt])).toEqual([
    ['Ada', 0, '2020-06-01T11:00:00.000Z'],
    ['Bob', 1, '2020-06-01T12:30:00.000Z'],
    ['Carol', 2, '2020-06-01T13:00:00.000Z'],
    [null, 0, '2020-06-03T07:00:00.000Z'], // Tom's trashed comment, a placeholder above Uma's reply
    ['Uma 😀 Ünïcödé', 1, '2020-06-03T10:00:00.000Z'], // no GMT date: comment_date is read as UTC
  ]);
  const [ada, bob] = thread.body.comments;
  expect(ada.author.website).toBeNull();
  expect(ada.html).toBe('<p>Great <strong>post</strong>! <a href="https://ada.example" rel="nofollow ugc noopener noreferrer">Mine</a> </p>');
  expect(bob.html).toBe('<p>Thanks, Ada.<br />\nSecond line.</p>\n<p>A second paragraph.</p>');
  expect(bob.author.website).toBe('https://bob.example/');
  for (const c of thread.body.comments) if (c.html) expect(unsafeParts(c.html)).toEqual([]);
  expect(thread.body.comments[4].html).toBe('<p>Answering Tom — naïve café reversed text</p>');

  const q = await call(server, 'GET', '/api/v1/sites/wp/moderation/comments?status=all&limit=50', { token: server.ownerToken });
  const byName = Object.fromEntries(q.body.items.map((c: any) => [c.author.name, c]));
  expect(byName['Waiting Walter'].status).toBe('pending');
  expect(byName['Spammer'].status).toBe('spam');
  expect(byName['Trashed Tom'].status).toBe('deleted');
  expect(byName['Quentin'].page.key).toBe('/?p=42');
  // Restoring the trashed comment brings back the status it had before WordPress trashed it.
  const restore = await call(server, 'POST', '/api/v1/sites/wp/moderation/actions', { token: server.ownerToken, body: { action: 'restore', ids: [byName['Trashed Tom'].id] } });
  expect(restore.body.results[0]).toMatchObject({ ok: true, to: 'approved' });
  expect(byName['Ada'].author.email).toBe('ada@example.com');
  expect(q.text).not.toContain('198.51.100.7"');
  expect((await moderated(server, ada.id, 'wp')).ipHash).toMatch(/^[0-9a-f]{64}$/);
  const bytes = await storedText(server);
  for (const ip of ['198.51.100.7', '198.51.100.23', '2001:db8::8']) expect(bytes).not.toContain(ip);
});

it('WXR 1.1 and 1.0 import alike (1.0 has no comment_type on comments)', async () => {
  const s11 = await run(fixtureText('wxr-1.1.xml'));
  expect(s11).toMatchObject({ imported: 2, skipped: {}, warningCount: 0 });
  const eleven = await publicList(server, '/eleven/', 'wp');
  expect(eleven.body.comments.map((c: any) => [c.author.name, c.depth, c.html])).toEqual([
    ['Iris', 0, '<p>An old comment &amp; more.</p>'],
    ['Jack', 1, '<p>A reply.</p>'],
  ]);
  const s10 = await run(fixtureText('wxr-1.0.xml'));
  expect(s10).toMatchObject({ imported: 2, skipped: { pingback: 1 }, warningCount: 0 });
  const ten = await publicList(server, '/2008/10/ten/', 'wp');
  expect(ten.body.comments.map((c: any) => [c.author.name, c.html, c.createdAt])).toEqual([['Kim', '<p>Very old <em>news</em>.</p>', '2008-10-10T08:10:10.000Z']]);
  const q = await call(server, 'GET', '/api/v1/sites/wp/moderation/comments?status=pending', { token: server.ownerToken });
  expect(q.body.items.map((c: any) => [c.author.name, c.parent?.authorName])).toEqual([['Lee', 'Kim']]);
});

it('a second run imports nothing; a dry run changes nothing', async () => {
  const text = fixtureText('wxr-1.2.xml');
  const dry = await run(text, { dryRun: true });
  expect(dry).toMatchObject({ dryRun: true, imported: 8 });
  expect(await server.repos.sites.get('wp')).toBeNull();
  await run(text);
  const before = await serverSnapshot(server);
  expect(await run(text)).toMatchObject({ imported: 0, alreadyThere: 8, skipped: { pingback: 1, trackback: 1 } });
  expect(await serverSnapshot(server)).toBe(before);
});

it('an unknown comment_approved or a truncated file stops the import and changes nothing', async () => {
  const text = fixtureText('wxr-1.2.xml');
  await expect(run(text.replace('<![CDATA[spam]]></wp:comment_approved>', '<![CDATA[maybe]]></wp:comment_approved>'))).rejects.toThrow(
    /comment 6 of item 1, line \d+, column \d+: comment_approved "maybe" is not 1, 0, spam or trash/,
  );
  await expect(run(text.slice(0, text.indexOf('<wp:comment_id>8</wp:comment_id>')))).rejects.toThrow(/line \d+, column \d+: the XML is not well-formed/);
  await expect(run('')).rejects.toThrow(/not well-formed/);
  expect(await server.repos.sites.get('wp')).toBeNull();
});
