// One repository suite, run against SQLite and PostgreSQL: the same calls must give the same answers on both.
import { storeFactories, type OpenedStore } from '../helpers/stores';
import { newBanId, newCommentId, newTokenId } from '../../src/domain/ids';
import { defaultSettings } from '../../src/domain/settings';
import type { Repositories, StatusDecision } from '../../src/domain/ports';
import type { NewComment } from '../../src/domain/types';
import { AppError } from '../../src/domain/errors';

const T0 = Date.UTC(2026, 0, 1);
let clock = T0;
const tick = () => (clock += 1000);

function newComment(over: Partial<NewComment> = {}): NewComment {
  const at = tick();
  return {
    id: newCommentId(at),
    siteId: 'alpha',
    parentId: null,
    status: 'approved',
    authorName: 'Ada',
    authorWebsite: null,
    avatar: 'a1',
    emailEnc: Buffer.from([1, 2, 3, 0, 255]),
    emailHmac: 'email-ada',
    ipHmac: 'ip-1',
    userAgent: 'test',
    bodySource: 'Hello',
    bodyHtml: '<p>Hello</p>',
    reasons: [],
    createdAt: at,
    page: { key: '/post', url: null, title: null },
    bodyHash: 'h-' + at,
    editTokenHash: 'e-' + at,
    ...over,
  };
}

const approve: StatusDecision = () => ({ to: 'approved' });
const del: StatusDecision = () => ({ to: 'deleted' });

// PostgreSQL joins when it answers (jest.config.js decides, and says so).
const stores = (process.env.MARGINALIA_TEST_STORES ?? 'sqlite,postgres').split(',').filter((s): s is 'sqlite' | 'postgres' => s === 'sqlite' || s === 'postgres');

describe.each(stores)('repositories on %s', (kind) => {
  let store: OpenedStore;
  let repos: Repositories;

  beforeEach(async () => {
    store = await storeFactories[kind]();
    repos = store.repos;
    await repos.sites.create({ id: 'alpha', name: 'Alpha', settings: defaultSettings(), createdAt: T0 });
    await repos.sites.create({ id: 'beta', name: 'Beta', settings: defaultSettings(), createdAt: T0 });
  });
  afterEach(() => store.destroy());

  it('answers ping', async () => {
    expect(await repos.ping()).toBe(true);
  });

  it('creates, lists and updates sites; a taken id is a conflict', async () => {
    expect((await repos.sites.list()).map((s) => s.id)).toEqual(['alpha', 'beta']);
    await expect(repos.sites.create({ id: 'alpha', name: 'Again', settings: defaultSettings(), createdAt: T0 })).rejects.toMatchObject({
      status: 409,
      code: 'site_exists',
    });
    const settings = { ...defaultSettings(), maxLinks: 7 };
    const s = await repos.sites.update('alpha', { name: "Alpha's; DROP TABLE sites; --", settings });
    expect(s).toMatchObject({ name: "Alpha's; DROP TABLE sites; --", settings: { maxLinks: 7 } });
    expect((await repos.sites.get('alpha'))!.settings.maxLinks).toBe(7);
    expect(await repos.sites.update('nope', { name: 'x' })).toBeNull();
    expect(await repos.sites.get('nope')).toBeNull();
  });

  it('stores a comment with its page, counts and audit row, and reads it back byte for byte', async () => {
    const c = newComment({ bodySource: 'Ünïcode “quotes” \u{1F600} \\ % _', page: { key: '/a b?c=1', url: 'https://x.example/a', title: 'T' } });
    const { comment } = await repos.comments.insert(c);
    expect(comment).toMatchObject({ id: c.id, depth: 0, parentId: null, status: 'approved', bodySource: c.bodySource, reportCount: 0 });
    expect(Buffer.compare(comment.emailEnc, c.emailEnc)).toBe(0);
    const page = await repos.pages.find('alpha', '/a b?c=1');
    expect(page).toMatchObject({ key: '/a b?c=1', url: 'https://x.example/a', title: 'T', approvedCount: 1, pendingCount: 0, closed: false, metadataLocked: false });
    expect(comment.pageId).toBe(page!.id);
    expect(await repos.comments.get(c.id)).toEqual(comment);
    expect(await repos.comments.statusCounts('alpha')).toEqual({ pending: 0, approved: 1, rejected: 0, spam: 0, deleted: 0, reported: 0 });
    const log = await repos.audit.list('alpha', { beforeId: null, commentId: null, limit: 10 });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ commentId: c.id, action: 'create', from: null, to: 'approved', actor: { type: 'system' } });
    expect(await repos.siteActivity.lastActivityAt('alpha')).toBe(c.createdAt);
    expect(await repos.siteActivity.lastActivityAt('beta')).toBeNull();
  });

  it('threads replies under their roots in order, pages by root, both sorts', async () => {
    const r1 = (await repos.comments.insert(newComment())).comment;
    const r2 = (await repos.comments.insert(newComment())).comment;
    const a = (await repos.comments.insert(newComment({ parentId: r1.id }))).comment;
    const r3 = (await repos.comments.insert(newComment())).comment;
    const b = (await repos.comments.insert(newComment({ parentId: a.id }))).comment;
    const c = (await repos.comments.insert(newComment({ parentId: r1.id }))).comment;
    const pageId = r1.pageId;
    const oldest = await repos.comments.thread({ pageId, sort: 'oldest', afterRootId: null, limit: 2 });
    expect(oldest.items.map((i) => i.id)).toEqual([r1.id, a.id, b.id, c.id, r2.id]);
    expect(oldest.items.map((i) => i.depth)).toEqual([0, 1, 2, 1, 0]);
    expect(oldest).toMatchObject({ lastRootId: r2.id, hasMore: true });
    const next = await repos.comments.thread({ pageId, sort: 'oldest', afterRootId: r2.id, limit: 2 });
    expect(next).toMatchObject({ items: [expect.objectContaining({ id: r3.id })], hasMore: false });
    const newest = await repos.comments.thread({ pageId, sort: 'newest', afterRootId: null, limit: 10 });
    expect(newest.items.map((i) => i.id)).toEqual([r3.id, r2.id, r1.id, a.id, b.id, c.id]);
    await expect(repos.comments.insert(newComment({ parentId: r1.id, page: { key: '/other', url: null, title: null } }))).rejects.toMatchObject({ status: 404 });
    await expect(repos.comments.insert(newComment({ parentId: 'c_missing' }))).rejects.toBeInstanceOf(AppError);
  });

  it('keeps a deleted comment as a placeholder while it has shown replies, and hides it once they go', async () => {
    const root = (await repos.comments.insert(newComment())).comment;
    const reply = (await repos.comments.insert(newComment({ parentId: root.id }))).comment;
    await repos.comments.deleteByAuthor(root.id, tick());
    let t = await repos.comments.thread({ pageId: root.pageId, sort: 'oldest', afterRootId: null, limit: 10 });
    expect(t.items.map((i) => [i.id, i.status])).toEqual([
      [root.id, 'deleted'],
      [reply.id, 'approved'],
    ]);
    const res = await repos.comments.changeStatuses({
      siteId: 'alpha', ids: [reply.id], action: 'delete', decide: del, actor: { type: 'token', id: 'tok_x' }, reason: null,
      clearReports: false, includeAuthorsPending: false, now: tick(),
    });
    expect(res).toEqual({ results: [{ id: reply.id, ok: true, from: 'approved', to: 'deleted' }], pageIds: [reply.pageId] });
    t = await repos.comments.thread({ pageId: root.pageId, sort: 'oldest', afterRootId: null, limit: 10 });
    expect(t.items).toEqual([]);
    expect((await repos.pages.find('alpha', '/post'))!.approvedCount).toBe(0);
  });

  it('changes statuses in one call: per-id results, other sites refused, authors\' other pending comments included', async () => {
    const p1 = (await repos.comments.insert(newComment({ status: 'pending', emailHmac: 'e-bob', authorName: 'Bob' }))).comment;
    const p2 = (await repos.comments.insert(newComment({ status: 'pending', emailHmac: 'e-bob', authorName: 'Bob' }))).comment;
    const other = (await repos.comments.insert(newComment({ status: 'pending', emailHmac: 'e-bob', authorName: 'Robert' }))).comment;
    const foreign = (await repos.comments.insert(newComment({ siteId: 'beta', status: 'pending' }))).comment;
    const res = await repos.comments.changeStatuses({
      siteId: 'alpha', ids: [p1.id, foreign.id, 'c_nope', p1.id], action: 'approve', decide: approve, actor: { type: 'token', id: 'tok_m' },
      reason: 'ok', clearReports: true, includeAuthorsPending: true, now: tick(),
    });
    expect(res.results).toEqual([
      { id: p1.id, ok: true, from: 'pending', to: 'approved' },
      { id: foreign.id, ok: false, error: expect.objectContaining({ status: 404 }) },
      { id: 'c_nope', ok: false, error: expect.objectContaining({ status: 404 }) },
      { id: p2.id, ok: true, from: 'pending', to: 'approved' },
    ]);
    // Only the pages of the comments it changed (the refused ones' pages are not stale).
    expect(res.pageIds).toEqual([p1.pageId]);
    expect((await repos.comments.get(other.id))!.status).toBe('pending');
    expect((await repos.comments.get(foreign.id))!.status).toBe('pending');
    expect(await repos.comments.isTrustedAuthor('alpha', 'e-bob', 'Bob')).toBe(true);
    expect(await repos.comments.isTrustedAuthor('alpha', 'e-bob', 'Robert')).toBe(false);
    expect(await repos.comments.isTrustedAuthor('beta', 'e-bob', 'Bob')).toBe(false);
    const refused = await repos.comments.changeStatuses({
      siteId: 'alpha', ids: [p1.id], action: 'restore', decide: () => ({ error: { code: 'not_deleted', status: 409, detail: 'no' } }),
      actor: { type: 'system' }, reason: null, clearReports: false, includeAuthorsPending: false, now: tick(),
    });
    expect(refused).toEqual({ results: [{ id: p1.id, ok: false, error: { code: 'not_deleted', status: 409, detail: 'no' } }], pageIds: [] });
    const log = await repos.audit.list('alpha', { beforeId: null, commentId: p1.id, limit: 10 });
    expect(log.map((e) => [e.action, e.from, e.to, e.actor])).toEqual([
      ['approve', 'pending', 'approved', { type: 'token', id: 'tok_m' }],
      ['create', null, 'pending', { type: 'system' }],
    ]);
    expect(await repos.comments.statusCounts('alpha')).toMatchObject({ pending: 1, approved: 2 });
  });

  it('counts one report per reader and sends an approved comment back to pending at the threshold', async () => {
    const c = (await repos.comments.insert(newComment())).comment;
    const report = (who: string) => repos.comments.addReport({ commentId: c.id, reporterHmac: who, reason: 'spam', note: `by ${who}`, threshold: 2, now: tick() });
    expect(await report('r1')).toBe('added');
    expect(await report('r1')).toBe('duplicate');
    expect((await repos.comments.get(c.id))!.status).toBe('approved');
    expect(await repos.comments.statusCounts('alpha')).toMatchObject({ reported: 1 });
    expect(await report('r2')).toBe('added');
    expect((await repos.comments.get(c.id))).toMatchObject({ status: 'pending', reportCount: 2 });
    const q = await repos.comments.queue({ siteId: 'alpha', status: 'reported', pageId: null, text: null, emailHmac: null, beforeId: null, limit: 10 });
    expect(q.items.map((i) => i.id)).toEqual([c.id]);
    expect(q.items[0].reports.map((r) => r.note)).toEqual(['by r1', 'by r2']);
    await repos.comments.changeStatuses({
      siteId: 'alpha', ids: [c.id], action: 'approve', decide: approve, actor: { type: 'system' }, reason: null,
      clearReports: true, includeAuthorsPending: false, now: tick(),
    });
    expect(await repos.comments.get(c.id)).toMatchObject({ status: 'approved', reportCount: 0 });
    expect(await repos.comments.statusCounts('alpha')).toMatchObject({ reported: 0 });
  });

  it('filters and pages the moderation queue, newest first, with literal text search', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await repos.comments.insert(newComment({ status: i % 2 ? 'pending' : 'approved', bodySource: i === 3 ? 'has 100% _literal_ text' : `plain ${i}` }))).comment.id);
    const base = { siteId: 'alpha', pageId: null, text: null, emailHmac: null, beforeId: null, limit: 2 } as const;
    const first = await repos.comments.queue({ ...base, status: 'all' });
    expect(first.items.map((i) => i.id)).toEqual([ids[4], ids[3]]);
    expect(first.hasMore).toBe(true);
    const second = await repos.comments.queue({ ...base, status: 'all', beforeId: ids[3] });
    expect(second.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    expect((await repos.comments.queue({ ...base, status: 'pending', limit: 10 })).items.map((i) => i.id)).toEqual([ids[3], ids[1]]);
    expect((await repos.comments.queue({ ...base, status: 'all', text: '100%', limit: 10 })).items.map((i) => i.id)).toEqual([ids[3]]);
    expect((await repos.comments.queue({ ...base, status: 'all', text: 'LITERAL', limit: 10 })).items.map((i) => i.id)).toEqual([ids[3]]);
    expect((await repos.comments.queue({ ...base, status: 'all', text: '%', limit: 10 })).items.map((i) => i.id)).toEqual([ids[3]]);
    expect((await repos.comments.queue({ ...base, status: 'all', text: "'; --", limit: 10 })).items).toEqual([]);
    const row = (await repos.comments.queue({ ...base, status: 'pending', limit: 1 })).items[0];
    expect(row).toMatchObject({ page: { key: '/post', closed: false }, parent: null, reports: [] });
    expect((await repos.comments.queue({ ...base, status: 'all', emailHmac: 'nobody', limit: 10 })).items).toEqual([]);
  });

  it('edits a body, appending reasons; the author deletes once', async () => {
    const c = (await repos.comments.insert(newComment({ reasons: [{ code: 'links', detail: 'two links' }] }))).comment;
    const edited = await repos.comments.editBody(c.id, { bodySource: 'New', bodyHtml: '<p>New</p>', bodyHash: 'h2', editedAt: tick(), addReasons: [{ code: 'edited', detail: 'x' }] });
    expect(edited).toMatchObject({ bodySource: 'New', editedAt: clock, reasons: [{ code: 'links', detail: 'two links' }, { code: 'edited', detail: 'x' }] });
    await expect(repos.comments.editBody('c_nope', { bodySource: 'x', bodyHtml: 'x', bodyHash: 'x', editedAt: 1, addReasons: [] })).rejects.toMatchObject({ status: 404 });
    await repos.comments.deleteByAuthor(c.id, tick());
    await repos.comments.deleteByAuthor(c.id, tick());
    const log = await repos.audit.list('alpha', { beforeId: null, commentId: c.id, limit: 10 });
    expect(log.map((e) => e.action)).toEqual(['delete', 'create']);
  });

  it('finds duplicates, the last post by address, and recent approved comments', async () => {
    const c = (await repos.comments.insert(newComment({ bodyHash: 'same', ipHmac: 'ip-9' }))).comment;
    expect(await repos.comments.hasDuplicate('alpha', '/post', 'email-ada', 'same')).toBe(true);
    expect(await repos.comments.hasDuplicate('alpha', '/other', 'email-ada', 'same')).toBe(false);
    expect(await repos.comments.lastPostAtByIp('alpha', 'ip-9')).toBe(c.createdAt);
    expect(await repos.comments.lastPostAtByIp('beta', 'ip-9')).toBeNull();
    await repos.comments.insert(newComment({ status: 'pending' }));
    const c2 = (await repos.comments.insert(newComment({ page: { key: '/two', url: null, title: 'Two' } }))).comment;
    expect((await repos.comments.recentApproved('alpha', null, 10)).map((i) => [i.id, i.page.key])).toEqual([
      [c2.id, '/two'],
      [c.id, '/post'],
    ]);
    expect((await repos.comments.recentApproved('alpha', c.pageId, 10)).map((i) => i.id)).toEqual([c.id]);
  });

  it('updates pages by a moderator: creates, closes, locks title and URL against posts, lists and searches', async () => {
    const p = await repos.pages.update('alpha', '/ahead', { closed: true }, tick());
    expect(p).toMatchObject({ key: '/ahead', closed: true, metadataLocked: false, approvedCount: 0 });
    const titled = await repos.pages.update('alpha', '/ahead', { title: 'Set by hand' }, tick());
    expect(titled).toMatchObject({ closed: true, title: 'Set by hand', url: null, metadataLocked: true });
    await repos.comments.insert(newComment({ page: { key: '/ahead', url: 'https://x.example/ahead', title: 'From a post' } }));
    expect(await repos.pages.find('alpha', '/ahead')).toMatchObject({ title: 'Set by hand', url: null, approvedCount: 1 });
    await repos.comments.insert(newComment({ page: { key: '/open', url: 'https://x.example/open', title: '50%_off' } }));
    expect((await repos.pages.findMany('alpha', ['/ahead', '/open', '/none'])).map((x) => x.key).sort()).toEqual(['/ahead', '/open']);
    const listed = await repos.pages.list('alpha', { afterId: null, limit: 10, q: null });
    expect(listed.map((x) => x.key)).toEqual(['/open', '/ahead']);
    expect((await repos.pages.list('alpha', { afterId: listed[0].id, limit: 10, q: null })).map((x) => x.key)).toEqual(['/ahead']);
    expect((await repos.pages.list('alpha', { afterId: null, limit: 10, q: '%_' })).map((x) => x.key)).toEqual(['/open']);
    expect((await repos.pages.list('alpha', { afterId: null, limit: 10, q: 'HAND' })).map((x) => x.key)).toEqual(['/ahead']);
    expect(await repos.pages.findMany('beta', ['/ahead'])).toEqual([]);
  });

  it('creates, authenticates, lists and revokes tokens', async () => {
    const t = await repos.tokens.create({ id: newTokenId(), hash: 'hash-1', role: 'moderator', siteId: 'alpha', label: 'mod', createdAt: T0, lastUsedAt: null, revokedAt: null });
    await repos.tokens.create({ id: newTokenId(), hash: 'hash-2', role: 'owner', siteId: null, label: 'own', createdAt: T0 + 1, lastUsedAt: null, revokedAt: null });
    // By message, not rejects.toThrow: SQLite's errors may belong to another test file's realm (one native addon per process).
    await expect(repos.tokens.create({ ...t, hash: 'hash-1', id: newTokenId() })).rejects.toMatchObject({ message: expect.stringMatching(/unique|duplicate|conflicts/i) });
    expect(await repos.tokens.authenticate('hash-1', T0 + 100_000)).toMatchObject({ id: t.id, lastUsedAt: T0 + 100_000 });
    expect((await repos.tokens.get(t.id))!.lastUsedAt).toBe(T0 + 100_000);
    expect(await repos.tokens.authenticate('unknown', T0)).toBeNull();
    expect((await repos.tokens.list({ siteId: null })).map((x) => x.label)).toEqual(['mod', 'own']);
    expect((await repos.tokens.list({ siteId: 'alpha' })).map((x) => x.label)).toEqual(['mod']);
    expect((await repos.tokens.list({ siteId: null, role: 'owner' })).map((x) => x.label)).toEqual(['own']);
    expect(await repos.tokens.revoke(t.id, T0 + 200_000)).toBe(true);
    expect(await repos.tokens.revoke(t.id, T0 + 300_000)).toBe(false);
    expect(await repos.tokens.authenticate('hash-1', T0 + 400_000)).toBeNull();
    expect((await repos.tokens.get(t.id))!.revokedAt).toBe(T0 + 200_000);
  });

  it('creates, finds, lists and removes bans, honouring expiry', async () => {
    const email = { id: newBanId(), siteId: 'alpha', kind: 'email' as const, valueHmac: 'e-x', emailEnc: Buffer.from([9, 9]), reason: 'spam', commentId: null, expiresAt: null, createdAt: T0, createdBy: 'tok_a' };
    const ip = { ...email, id: newBanId(), kind: 'ip' as const, valueHmac: 'ip-x', emailEnc: null, expiresAt: T0 + 1000, createdAt: T0 + 1 };
    await repos.bans.create([email, ip]);
    expect((await repos.bans.list('alpha')).map((b) => b.id)).toEqual([ip.id, email.id]);
    expect((await repos.bans.findActive('alpha', ['nobody', 'ip-x'], T0 + 10))!.id).toBe(ip.id);
    expect(await repos.bans.findActive('alpha', ['ip-x'], T0 + 1000)).toBeNull();
    expect(await repos.bans.findActive('beta', ['e-x'], T0)).toBeNull();
    const found = await repos.bans.findActive('alpha', ['e-x'], T0);
    expect(Buffer.compare(found!.emailEnc!, Buffer.from([9, 9]))).toBe(0);
    expect(await repos.bans.remove('beta', email.id)).toBe(false);
    expect(await repos.bans.remove('alpha', email.id)).toBe(true);
    expect(await repos.bans.list('alpha')).toHaveLength(1);
  });

  it('notes widget sightings, keeping only the most recent unlisted origins', async () => {
    await repos.siteActivity.noteWidgetSeen({ siteId: 'alpha', origin: 'https://blog.example', allowed: true, at: T0 }, 2);
    await repos.siteActivity.noteWidgetSeen({ siteId: 'alpha', origin: 'https://blog.example', allowed: true, at: T0 + 50 }, 2);
    for (let i = 1; i <= 3; i++) await repos.siteActivity.noteWidgetSeen({ siteId: 'alpha', origin: `https://other${i}.example`, allowed: false, at: T0 + i }, 2);
    const seen = await repos.siteActivity.widgetSightings('alpha');
    expect(seen).toEqual([
      { origin: 'https://blog.example', allowedWhenSeen: true, firstSeenAt: T0, lastSeenAt: T0 + 50 },
      { origin: 'https://other3.example', allowedWhenSeen: false, firstSeenAt: T0 + 3, lastSeenAt: T0 + 3 },
      { origin: 'https://other2.example', allowedWhenSeen: false, firstSeenAt: T0 + 2, lastSeenAt: T0 + 2 },
    ]);
    expect(await repos.siteActivity.widgetSightings('beta')).toEqual([]);
  });

  it('rolls a failed write back whole: a reply to a missing parent leaves no page behind', async () => {
    await expect(repos.comments.insert(newComment({ parentId: 'c_missing', page: { key: '/ghost', url: null, title: null } }))).rejects.toMatchObject({ status: 404 });
    expect(await repos.pages.find('alpha', '/ghost')).toBeNull();
    expect(await repos.comments.statusCounts('alpha')).toMatchObject({ approved: 0 });
  });
});
