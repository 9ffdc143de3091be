// Marginalia's own export: export → import into an empty database → export gives the same document. On whichever
// store the project runs (the postgres jest project runs these on PostgreSQL: the server and the empty store).
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act, post, publicList } from '../helpers/moderation';
import { emptyStoreOn, exportText, withoutTime, type AnyStore } from '../helpers/transfer';
import { testStore } from '../helpers/stores';

let server: TestServer;
let target: AnyStore;

beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'all', blockedWords: ['zebra'], votes: 'updown' });
  target = await emptyStoreOn(testStore);
});
afterEach(async () => {
  await server.stop();
  await target.close();
});

const VOTER_A = 'voter-key-00000001-abcdef';
const VOTER_B = 'voter-key-00000002-abcdef';

async function seed() {
  const a = await post(server, commentInput({ page: '/essay', pageTitle: 'An essay', name: 'Zoë ✨', email: 'Zoe@Example.com', website: 'https://zoe.example', body: 'First *word* <script>alert(1)</script>' }));
  const b = await post(server, commentInput({ page: '/essay', body: 'Second, with zebra' }));
  await act(server, { action: 'approve', ids: [a.body.comment.id] });
  const reply = await post(server, commentInput({ page: '/essay', parentId: a.body.comment.id, body: 'A reply' }));
  await act(server, { action: 'approve', ids: [reply.body.comment.id] });
  // Two readers vote on the reply (one changes their mind), one on the first comment before it is deleted.
  const vote = async (id: string, value: number, voter: string) =>
    expect((await call(server, 'POST', `/api/v1/comments/${id}/votes`, { body: { value }, headers: { 'marginalia-voter': voter } })).status).toBe(200);
  await vote(reply.body.comment.id, 1, VOTER_A);
  await vote(reply.body.comment.id, 1, VOTER_B);
  await vote(reply.body.comment.id, -1, VOTER_B);
  await vote(a.body.comment.id, 1, VOTER_A);
  await act(server, { action: 'delete', ids: [a.body.comment.id], reason: 'rude' });
  await act(server, { action: 'spam', ids: [b.body.comment.id] });
  await call(server, 'POST', `/api/v1/comments/${reply.body.comment.id}/reports`, { body: { reason: 'abuse', note: 'mean' } });
  await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { email: 'troll@example.com', reason: 'trolling' } });
  await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { commentId: b.body.comment.id } });
  await call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken, body: { page: '/closed', closed: true } });
  // The reply is featured.
  await act(server, { action: 'feature', ids: [reply.body.comment.id] });
  return { a: a.body.comment.id, b: b.body.comment.id, reply: reply.body.comment.id };
}

it('an export, imported into an empty database, exports to the same document, votes and featured state too', async () => {
  const ids = await seed();
  const first = await exportText(server.services);
  const doc = JSON.parse(first);
  expect(doc).toMatchObject({ format: 'marginalia-export', version: 1 });
  const demo = doc.sites.find((s: any) => s.id === 'demo');
  expect(demo.comments).toHaveLength(3);
  expect(demo.comments.map((c: any) => c.status).sort()).toEqual(['approved', 'deleted', 'spam']);
  expect(demo.comments.find((c: any) => c.author.name === 'Zoë ✨').author.email).toBe('Zoe@Example.com');
  expect(demo.bans).toHaveLength(3);
  expect(demo.log.length).toBeGreaterThanOrEqual(7);
  expect(demo.pages.map((p: any) => p.key)).toEqual(['/closed', '/essay']);
  // Votes are the stored HMACs of the voter keys, never the keys.
  expect(demo.votes).toHaveLength(3);
  expect(demo.votes.map((v: any) => [v.commentId, v.value]).sort()).toEqual([[ids.a, 1], [ids.reply, -1], [ids.reply, 1]].sort());
  for (const v of demo.votes) expect(v.voterHash).toMatch(/^[A-Za-z0-9_=+/-]{16,}$/);
  expect(first).not.toContain(VOTER_A);
  expect(first).not.toContain(VOTER_B);
  const featured = demo.comments.filter((c: any) => c.featuredAt !== null);
  expect(featured.map((c: any) => c.id)).toEqual([ids.reply]);

  const summary = await target.services.json.import(first);
  expect(summary.sites).toEqual([expect.objectContaining({ site: 'demo', created: true, imported: 3, alreadyThere: 0 })]);
  const second = await exportText(target.services);
  expect(withoutTime(second)).toBe(withoutTime(first));
  // The imported totals and featured list are what readers saw before.
  const t = await target.services.comments.thread('demo', { page: '/essay', sort: 'oldest', limit: 50 });
  const reply = t.items.find((c) => c.id === ids.reply)!;
  expect([reply.upvotes, reply.downvotes, reply.featuredAt !== null]).toEqual([1, 1, true]);
});

it('a document written before votes and featured state were kept still imports', async () => {
  await seed();
  const doc = JSON.parse(await exportText(server.services));
  for (const c of doc.sites[0].comments) {
    delete c.featuredAt;
    delete c.voterHash;
  }
  doc.sites[0].votes = [];
  const summary = await target.services.json.import(doc);
  expect(summary.sites[0]).toMatchObject({ imported: 3, created: true });
  const again = JSON.parse(await exportText(target.services));
  expect(again.sites[0].comments.map((c: any) => c.featuredAt)).toEqual([null, null, null]);
  expect(again.sites[0].votes).toEqual([]);
});

it('a vote on a comment the file lacks, or with another value than 1 or -1, names the entry and changes nothing', async () => {
  await seed();
  const doc = JSON.parse(await exportText(server.services));
  const before = await target.snapshot();
  const stray = structuredClone(doc);
  stray.sites[0].votes[0].commentId = 'c_00000000000000000000000000';
  await expect(target.services.json.import(stray)).rejects.toThrow(/sites\[0\]\.votes\[0\]\.commentId/);
  const odd = structuredClone(doc);
  odd.sites[0].votes[1].value = 2;
  await expect(target.services.json.import(odd)).rejects.toThrow(/sites\[0\]\.votes\[1\]\.value/);
  expect(await target.snapshot()).toBe(before);
});

it('the imported thread is the same for readers: the deleted parent is a placeholder above its reply', async () => {
  const ids = await seed();
  const before = (await publicList(server, '/essay')).body;
  await target.services.json.import(await exportText(server.services));
  const t = await target.services.comments.thread('demo', { page: '/essay', sort: 'oldest', limit: 50 });
  expect(t.items.map((c) => [c.id, c.status])).toEqual([
    [ids.a, 'deleted'],
    [ids.reply, 'approved'],
  ]);
  expect(before.comments.map((c: any) => c.id)).toEqual([ids.a, ids.reply]);
  expect((await target.services.comments.counts('demo', ['/essay'])).counts).toEqual({ '/essay': 1 });
  // E-mails were encrypted again with the new database's own key, and a search by address finds the author.
  const site = await target.services.sites.get('demo');
  const found = await target.services.moderation.queue(site, { status: 'all', email: 'zoe@example.com', limit: 10 });
  expect(found.items.map((c) => [c.id, c.email])).toEqual([[ids.a, 'Zoe@Example.com']]);
});

it('importing the same export twice adds nothing and says how many were there', async () => {
  await seed();
  const text = await exportText(server.services);
  await target.services.json.import(text);
  const after = await target.snapshot();
  const again = await target.services.json.import(text);
  expect(again.sites[0]).toMatchObject({ imported: 0, alreadyThere: 3, created: false });
  expect(await target.snapshot()).toBe(after);
});

it('into a database that has the site, adds only the comments it lacks and leaves its settings alone', async () => {
  const ids = await seed();
  const text = await exportText(server.services);
  await target.services.sites.create({ id: 'demo', name: 'Mine', settings: { maxLinks: 7 } }, Date.now());
  const doc = JSON.parse(text);
  const demo = doc.sites.find((s: any) => s.id === 'demo');
  // Only the reply's parent is there: the reply, when imported alone first, is top-level with a warning.
  demo.comments = demo.comments.filter((c: any) => c.id !== ids.b);
  const first = await target.services.json.import(doc);
  expect(first.sites[0]).toMatchObject({ imported: 2, created: false });
  const full = await target.services.json.import(text);
  expect(full.sites[0]).toMatchObject({ imported: 1, alreadyThere: 2 });
  const site = await target.services.sites.get('demo');
  expect(site.name).toBe('Mine');
  expect(site.settings.maxLinks).toBe(7);
  expect(site.settings.blockedWords).toEqual([]);
});

it('a document that breaks a rule names the entry and changes nothing', async () => {
  await seed();
  const doc = JSON.parse(await exportText(server.services));
  await target.services.json.import({ ...doc, sites: [] });
  const before = await target.snapshot();
  const bad = structuredClone(doc);
  bad.sites[0].comments[1].status = 'published';
  await expect(target.services.json.import(bad)).rejects.toThrow(/sites\[0\]\.comments\[1\]\.status/);
  const late = structuredClone(doc);
  late.sites[0].bans[0].createdAt = 'yesterday';
  await expect(target.services.json.import(late)).rejects.toThrow(/sites\[0\]\.bans\[0\]\.createdAt/);
  await expect(target.services.json.import('{"format":"marginalia-export",')).rejects.toThrow(/not JSON/);
  await expect(target.services.json.import({ ...doc, version: 2 })).rejects.toThrow(/version/);
  expect(await target.snapshot()).toBe(before);
});

it('a hostile body in a hand-edited export is sanitised like a new comment', async () => {
  await seed();
  const doc = JSON.parse(await exportText(server.services));
  const c = doc.sites[0].comments[0];
  c.body.html = '<p onclick="x()">hi <a href="javascript:alert(1)">link</a><img src=x onerror=alert(1)><script>alert(2)</script></p>';
  await target.services.json.import(doc);
  const stored = await target.repos.comments.get(c.id);
  expect(stored!.bodyHtml).toBe('<p>hi <a rel="nofollow ugc noopener noreferrer">link</a></p>');
});
