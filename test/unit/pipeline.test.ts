// The moderation checks as functions of a context with `now` passed in: time windows at their edges, without sleeping.
import { openDatabase, migrate, createSqliteRepositories } from '../../src/store';
import type { Repositories } from '../../src/domain/ports';
import { defaultSettings, mergeSettings, type SiteSettingsPatch } from '../../src/domain/settings';
import type { Page } from '../../src/domain/types';
import { AppError } from '../../src/domain/errors';
import { renderMarkdown } from '../../src/domain/render';
import { checks, moderate, type CheckContext } from '../../src/domain/pipeline';
import type { CheckResult } from '../../src/domain/pipeline/context';
import { refuseClosedPage } from '../../src/domain/pipeline/page-open';
import { checkFormTiming } from '../../src/domain/pipeline/form-timing';
import { refuseFlood } from '../../src/domain/pipeline/flood';
import { refuseBannedAuthor } from '../../src/domain/pipeline/bans';
import { refuseDuplicate } from '../../src/domain/pipeline/duplicate';
import { flagHoneypot } from '../../src/domain/pipeline/honeypot';
import { holdManyLinks } from '../../src/domain/pipeline/links';
import { holdBlockedWords } from '../../src/domain/pipeline/blocked-words';
import { applyModerationPolicy } from '../../src/domain/pipeline/policy';

const T = Date.UTC(2026, 10, 28, 12, 0, 0);
const DAY = 86_400_000;

// A real SQLite store in memory: the checks that read comments and bans read real rows.
let repos: Repositories;
beforeEach(async () => {
  const db = openDatabase(':memory:');
  migrate(db);
  repos = createSqliteRepositories(db);
  await repos.sites.create({ id: 'demo', name: 'Demo', settings: defaultSettings(), createdAt: T - 100 * DAY });
});
afterEach(() => repos.close());

function ctx(over: Partial<Omit<CheckContext, 'settings'>> & { settings?: SiteSettingsPatch } = {}): CheckContext {
  const { settings, ...rest } = over;
  return {
    siteId: 'demo',
    settings: mergeSettings(defaultSettings(), settings ?? {}),
    page: null,
    pageKey: '/post',
    name: 'Ada',
    website: null,
    emailHmac: 'e'.repeat(64),
    ipHmac: 'i'.repeat(64),
    hp: undefined,
    formTokenIssuedAt: T - 60_000,
    bodyHash: 'b'.repeat(64),
    bodyHtml: renderMarkdown('Hello'),
    now: T,
    comments: repos.comments,
    bans: repos.bans,
    ...rest,
  };
}

function page(over: Partial<Page> = {}): Page {
  return { id: 1, siteId: 'demo', key: '/post', url: null, title: null, closed: false, metadataLocked: false, approvedCount: 0, pendingCount: 0, createdAt: T - DAY, ...over };
}

/** The error a check throws (synchronously or not) to refuse a post. */
async function refusal(run: () => unknown): Promise<AppError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the check to refuse');
}

let seq = 0;
async function storedComment(over: { createdAt: number; status?: 'approved' | 'pending' | 'deleted'; ipHmac?: string; emailHmac?: string; name?: string; bodyHash?: string; page?: string }) {
  seq++;
  const id = `c_01KAAAAAAAAAAAAAAAAAAAA${String(seq).padStart(3, '0')}`;
  await repos.comments.insert({
    id,
    siteId: 'demo',
    page: { key: over.page ?? '/post', url: null, title: null },
    parentId: null,
    status: over.status === 'deleted' ? 'approved' : (over.status ?? 'approved'),
    authorName: over.name ?? 'Ada',
    authorWebsite: null,
    avatar: '0'.repeat(20),
    emailEnc: Buffer.alloc(40),
    emailHmac: over.emailHmac ?? 'e'.repeat(64),
    ipHmac: over.ipHmac ?? 'i'.repeat(64),
    userAgent: null,
    bodySource: 'Hello',
    bodyHtml: '<p>Hello</p>',
    bodyHash: over.bodyHash ?? 'b'.repeat(64),
    reasons: [],
    editTokenHash: 'f'.repeat(64),
    createdAt: over.createdAt,
  });
  if (over.status === 'deleted') await repos.comments.deleteByAuthor(id, over.createdAt);
  return id;
}

describe('refuseClosedPage', () => {
  it('lets a post through to a page nobody has commented on', async () => {
    expect(await refuseClosedPage(ctx({ page: null, settings: { closeAfterDays: 1 } }))).toBeNull();
  });

  it('refuses a closed page with 403 page_closed', async () => {
    const err = await refusal(() => refuseClosedPage(ctx({ page: page({ closed: true }) })));
    expect([err.status, err.code]).toEqual([403, 'page_closed']);
  });

  it('refuses a page older than closeAfterDays, and not one exactly that old', async () => {
    const settings = { closeAfterDays: 30 };
    const created = T - 30 * DAY;
    expect(await refuseClosedPage(ctx({ page: page({ createdAt: created }), settings }))).toBeNull();
    const err = await refusal(() => refuseClosedPage(ctx({ page: page({ createdAt: created - 1 }), settings })));
    expect([err.status, err.code]).toEqual([403, 'page_closed']);
  });

  it('never ages a page out with closeAfterDays 0', async () => {
    expect(await refuseClosedPage(ctx({ page: page({ createdAt: T - 10_000 * DAY }), settings: { closeAfterDays: 0 } }))).toBeNull();
  });
});

describe('checkFormTiming', () => {
  it('marks a post sooner than minSubmitSeconds as spam, and lets one at exactly minSubmitSeconds through', () => {
    const settings = { minSubmitSeconds: 3 };
    expect(checkFormTiming(ctx({ settings, formTokenIssuedAt: T - 2999 }))).toEqual({
      status: 'spam',
      reason: { code: 'too_fast', detail: expect.stringContaining('3 s') },
    });
    expect(checkFormTiming(ctx({ settings, formTokenIssuedAt: T - 3000 }))).toBeNull();
  });

  it('holds a post without a valid token, unless the check is off', () => {
    expect(checkFormTiming(ctx({ formTokenIssuedAt: null }))).toEqual({ status: 'pending', reason: { code: 'form_token', detail: expect.any(String) } });
    expect(checkFormTiming(ctx({ formTokenIssuedAt: null, settings: { minSubmitSeconds: 0 } }))).toBeNull();
    expect(checkFormTiming(ctx({ formTokenIssuedAt: T, settings: { minSubmitSeconds: 0 } }))).toBeNull();
  });
});

describe('refuseFlood', () => {
  it('refuses a second post from one address within floodSeconds with 429 and a Retry-After of what is left', async () => {
    await storedComment({ createdAt: T - 7_500 });
    const err = await refusal(() => refuseFlood(ctx({ settings: { floodSeconds: 10 } })));
    expect(err.status).toBe(429);
    expect(err.headers).toEqual({ 'Retry-After': '3' });
  });

  it('lets the address post again at exactly floodSeconds', async () => {
    await storedComment({ createdAt: T - 10_000 });
    expect(await refuseFlood(ctx({ settings: { floodSeconds: 10 } }))).toBeNull();
    const err = await refusal(() => refuseFlood(ctx({ settings: { floodSeconds: 10 }, now: T - 1 })));
    expect(err.headers).toEqual({ 'Retry-After': '1' });
  });

  it('does not hold another address, an unknown address, or anyone when floodSeconds is 0', async () => {
    await storedComment({ createdAt: T - 1000 });
    expect(await refuseFlood(ctx({ ipHmac: 'j'.repeat(64) }))).toBeNull();
    expect(await refuseFlood(ctx({ ipHmac: null }))).toBeNull();
    expect(await refuseFlood(ctx({ settings: { floodSeconds: 0 } }))).toBeNull();
  });
});

describe('refuseBannedAuthor', () => {
  const ban = (over: { valueHmac: string; kind: 'email' | 'ip'; expiresAt: number | null }) =>
    repos.bans.create([
      { id: `b_${over.valueHmac.slice(0, 4)}${over.expiresAt ?? ''}`, siteId: 'demo', emailEnc: null, reason: null, commentId: null, createdAt: T - DAY, createdBy: null, ...over },
    ]);

  it('refuses a banned e-mail or address with the same 403', async () => {
    await ban({ kind: 'email', valueHmac: 'e'.repeat(64), expiresAt: null });
    const byEmail = await refusal(() => refuseBannedAuthor(ctx({ ipHmac: 'j'.repeat(64) })));
    await repos.bans.remove('demo', `b_eeee`);
    await ban({ kind: 'ip', valueHmac: 'i'.repeat(64), expiresAt: null });
    const byIp = await refusal(() => refuseBannedAuthor(ctx({ emailHmac: 'x'.repeat(64) })));
    expect([byEmail.status, byEmail.code, byEmail.detail]).toEqual([byIp.status, byIp.code, byIp.detail]);
    expect(byEmail.status).toBe(403);
  });

  it('stops refusing at the moment a ban expires', async () => {
    await ban({ kind: 'email', valueHmac: 'e'.repeat(64), expiresAt: T });
    expect((await refusal(() => refuseBannedAuthor(ctx({ now: T - 1 })))).status).toBe(403);
    expect(await refuseBannedAuthor(ctx({ now: T }))).toBeNull();
  });

  it("ignores another site's bans", async () => {
    await repos.sites.create({ id: 'other', name: 'Other', settings: defaultSettings(), createdAt: T });
    await repos.bans.create([
      { id: 'b_other', siteId: 'other', kind: 'email', valueHmac: 'e'.repeat(64), emailEnc: null, reason: null, commentId: null, expiresAt: null, createdAt: T, createdBy: null },
    ]);
    expect(await refuseBannedAuthor(ctx())).toBeNull();
  });
});

describe('refuseDuplicate', () => {
  it('refuses the same body by the same author on the same page with 409, but not on another page, by another author or with another body', async () => {
    await storedComment({ createdAt: T - DAY });
    expect((await refusal(() => refuseDuplicate(ctx()))).status).toBe(409);
    expect(await refuseDuplicate(ctx({ pageKey: '/other' }))).toBeNull();
    expect(await refuseDuplicate(ctx({ emailHmac: 'x'.repeat(64) }))).toBeNull();
    expect(await refuseDuplicate(ctx({ bodyHash: 'c'.repeat(64) }))).toBeNull();
  });

  it('lets an author post again what they deleted', async () => {
    await storedComment({ createdAt: T - DAY, status: 'deleted' });
    expect(await refuseDuplicate(ctx())).toBeNull();
  });
});

describe('content checks', () => {
  it('flags a filled honeypot as spam', () => {
    expect(flagHoneypot(ctx({ hp: 'x' }))).toEqual({ status: 'spam', reason: { code: 'honeypot', detail: expect.any(String) } });
    expect(flagHoneypot(ctx({ hp: undefined }))).toBeNull();
    expect(flagHoneypot(ctx({ hp: ' \t' }))).toBeNull();
  });

  it('holds at maxLinks links, counting Markdown links, autolinks and bare URLs; 0 turns it off', () => {
    const two = renderMarkdown('[a](https://a.example) <https://b.example>');
    const bare = renderMarkdown('https://a.example and https://b.example');
    expect(holdManyLinks(ctx({ bodyHtml: two }))).toEqual({ status: 'pending', reason: { code: 'links', detail: expect.stringContaining('2 links') } });
    expect(holdManyLinks(ctx({ bodyHtml: bare }))).not.toBeNull();
    expect(holdManyLinks(ctx({ bodyHtml: two, settings: { maxLinks: 3 } }))).toBeNull();
    expect(holdManyLinks(ctx({ bodyHtml: two, settings: { maxLinks: 0 } }))).toBeNull();
  });

  it.each([
    ['café', 'CAFE', true],
    ['café', 'Café', true],
    ['cafe', 'CAFÉ', true],
    ['café', 'cafeteria', false],
    ['café', 'supercafé', false],
    ['café', 'café2', false],
    ['café', '(café)', true],
    ['free money', 'get FREE   Money now', true],
    ['c++', 'I write C++ daily', true],
    ['a.b', 'axb', false],
    ['a.b', 'see a.b here', true],
    ['ñu', 'NU', true],
  ])('blocked word %j in %j: held = %s', async (word, text, held) => {
    const r = await holdBlockedWords(ctx({ settings: { blockedWords: [word] }, bodyHtml: renderMarkdown(text) }));
    expect(r === null ? false : r.reason.code === 'blocked_word' && r.status === 'pending').toBe(held);
  });

  it('checks the name, the text, words inside markup and link targets', () => {
    const settings = { blockedWords: ['casino'] };
    expect(holdBlockedWords(ctx({ settings, name: 'Casino Bob' }))).not.toBeNull();
    expect(holdBlockedWords(ctx({ settings, bodyHtml: renderMarkdown('a **casino** here') }))).not.toBeNull();
    expect(holdBlockedWords(ctx({ settings, bodyHtml: renderMarkdown('[casino](https://x.example)') }))).not.toBeNull();
    expect(holdBlockedWords(ctx({ settings, bodyHtml: renderMarkdown('[nice](https://www.casino.example/?a=1&b=2)') }))).not.toBeNull();
    expect(holdBlockedWords(ctx({ settings, bodyHtml: renderMarkdown('[nice](https://casinos.example)') }))).toBeNull();
    expect(holdBlockedWords(ctx({ settings: { blockedWords: [] }, name: 'Casino Bob' }))).toBeNull();
  });

  it("checks the author's website: a blocked word in the host or the path holds the comment", () => {
    const settings = { blockedWords: ['casino'] };
    expect((holdBlockedWords(ctx({ settings, website: 'https://best-casino.example/' })) as CheckResult | null)?.reason.detail).toBe('Contains the blocked word "casino".');
    expect(holdBlockedWords(ctx({ settings, website: 'https://ada.example/casino/offers' }))).not.toBeNull();
    expect(holdBlockedWords(ctx({ settings, website: 'https://casinos.example/' }))).toBeNull();
    expect(holdBlockedWords(ctx({ settings, website: null }))).toBeNull();
  });
});

describe('applyModerationPolicy', () => {
  it('holds everything under all, nothing under none', async () => {
    expect(await applyModerationPolicy(ctx({ settings: { moderation: 'all' } }))).toEqual({
      status: 'pending',
      reason: { code: 'policy_all', detail: expect.any(String) },
    });
    expect(await applyModerationPolicy(ctx({ settings: { moderation: 'none' } }))).toBeNull();
  });

  it('under first-time trusts an approved author with the same e-mail and name only', async () => {
    const settings = { moderation: 'first-time' as const };
    expect((await applyModerationPolicy(ctx({ settings })))?.reason.code).toBe('first_time');
    await storedComment({ createdAt: T - DAY, status: 'pending' });
    expect((await applyModerationPolicy(ctx({ settings })))?.reason.code).toBe('first_time');
    await storedComment({ createdAt: T - DAY, status: 'approved', page: '/elsewhere', bodyHash: 'd'.repeat(64) });
    expect(await applyModerationPolicy(ctx({ settings }))).toBeNull();
    expect((await applyModerationPolicy(ctx({ settings, name: 'Ada2' })))?.reason.code).toBe('first_time');
    expect((await applyModerationPolicy(ctx({ settings, emailHmac: 'x'.repeat(64) })))?.reason.code).toBe('first_time');
  });
});

describe('moderate', () => {
  it('runs refusals before anything is held, in the documented order', () => {
    expect(checks.map((c) => c.name)).toEqual([
      'refuseClosedPage',
      'refuseBannedAuthor',
      'refuseFlood',
      'refuseDuplicate',
      'flagHoneypot',
      'checkFormTiming',
      'holdManyLinks',
      'holdBlockedWords',
      'applyModerationPolicy',
    ]);
  });

  it('takes the most severe status and keeps every reason', async () => {
    const v = await moderate(
      ctx({ hp: 'bot', formTokenIssuedAt: null, bodyHtml: renderMarkdown('casino https://a.example https://b.example'), settings: { blockedWords: ['casino'], moderation: 'all' } }),
    );
    expect(v.status).toBe('spam');
    expect(v.reasons.map((r) => r.code)).toEqual(['honeypot', 'form_token', 'links', 'blocked_word', 'policy_all']);
  });

  it('approves a clean post under none with no reasons', async () => {
    expect(await moderate(ctx({ settings: { moderation: 'none' } }))).toEqual({ status: 'approved', reasons: [] });
  });

  it('refuses before holding: a banned author with a honeypot gets 403, not spam', async () => {
    await repos.bans.create([
      { id: 'b_1', siteId: 'demo', kind: 'email', valueHmac: 'e'.repeat(64), emailEnc: null, reason: null, commentId: null, expiresAt: null, createdAt: T, createdBy: null },
    ]);
    expect((await refusal(() => moderate(ctx({ hp: 'bot' })))).status).toBe(403);
  });
});
