// Service: the reader's side of comments — post, list, edit, delete, count, report. No HTTP knowledge.
import crypto from 'node:crypto';
import type { Repositories, FeedItem, BestSnapshot } from './ports';
import type { Comment, CommentStatus, Page, Site, ThreadItem, VoteTotals, VoteValue } from './types';
import { Privacy, sha256Hex } from './privacy';
import { renderBody } from './render';
import { editChecks, moderate } from './pipeline';
import { newCommentId, newSecret } from './ids';
import { conflict, forbidden, invalidField, notFound, unauthorized } from './errors';
import { charLength } from './text';
import type { ChangeCause, DomainEvents } from './events';
import type { AnswerScope } from './cache';
import { LocalLocks, type KeyedLocks } from './locks';

export interface PostInput {
  page: string;
  pageUrl?: string | null;
  pageTitle?: string | null;
  parentId?: string | null;
  name: string;
  email: string;
  website?: string | null;
  body: string;
  hp?: string;
  formToken?: string;
  /** "Notify me of replies by email". */
  notify?: boolean;
}

export interface RequestMeta {
  /** The client address as the HTTP layer resolved it; only its keyed hash is kept. */
  ip: string | null;
  userAgent: string | null;
  /** The random key the reader's widget keeps for voting; only its keyed hash is kept. */
  voter?: string | null;
}

export type ThreadSort = 'oldest' | 'newest' | 'best';

/** How long a `best` cursor can be used: the vote changes it needs are kept twice as long. */
export const BEST_CURSOR_LIFETIME_MS = 60 * 60_000;
const KEEP_VOTE_CHANGES_MS = 2 * BEST_CURSOR_LIFETIME_MS;

export interface CommentServiceDeps {
  repos: Repositories;
  privacy: Privacy;
  events: DomainEvents;
  /** Serialises posts from one address or of one text, so flood and duplicate checks see each other (default: in-process). */
  locks?: KeyedLocks;
}

export interface ThreadPage {
  site: Site;
  page: Pick<Page, 'key' | 'title' | 'url' | 'closed'> & { commentCount: number };
  items: ThreadItem[];
  nextCursor: string | null;
  scope: AnswerScope;
}

const COMMENT_ID = /^c_[0-9A-Z]{26}$/;
const badCursor = () => invalidField('cursor', 'invalid_cursor', 'is not a cursor this API gave out');
const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!COMMENT_ID.test(id)) throw badCursor();
  return id;
}

/** One spelling per cursor, so answers can be keyed by it; throws on a cursor this API did not give out. */
export const canonicalCursor = (cursor: string, sort: ThreadSort) =>
  // A best cursor carries its snapshot and rank, checked when the answer is built; it has one spelling already.
  sort === 'best' ? cursor : encodeCursor(decodeCursor(cursor));

const onePage = (id: number): AnswerScope => ({ pageIds: [id], newPages: false, allPages: false });
const noPage: AnswerScope = Object.freeze({ pageIds: [], newPages: true, allPages: false });
/** A `best` cursor: the snapshot the first page was ranked by, and the last root shown with its rank there. */
interface BestCursor {
  seq: number;
  at: number;
  rank: number;
  id: string;
}
const encodeBest = (c: BestCursor) => Buffer.from(JSON.stringify([c.seq, c.at, c.rank, c.id])).toString('base64url');
function decodeBest(cursor: string, now: number): BestCursor {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(v) || v.length !== 4) throw badCursor();
  const [seq, at, rank, id] = v as unknown[];
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(at) || typeof rank !== 'number' || !(rank >= 0 && rank <= 1) ||
      typeof id !== 'string' || !COMMENT_ID.test(id))
    throw badCursor();
  if (now - (at as number) > BEST_CURSOR_LIFETIME_MS)
    throw invalidField('cursor', 'invalid_cursor', 'has expired: load the first page again');
  return { seq: seq as number, at: at as number, rank, id };
}

/** The widget's voter key: random, URL-safe. Anything else is not one. */
const VOTER_KEY = /^[A-Za-z0-9_-]{16,128}$/;

/** Same body, whatever the spacing and case, counts as a duplicate. */
export const bodyHash = (body: string) => sha256Hex(body.replace(/\s+/g, ' ').trim().toLowerCase());

export class CommentService {
  private readonly locks: KeyedLocks;

  constructor(private readonly deps: CommentServiceDeps) {
    this.locks = deps.locks ?? new LocalLocks();
  }

  async site(siteId: string): Promise<Site> {
    const site = await this.deps.repos.sites.get(siteId);
    if (!site) throw notFound('Site');
    return site;
  }

  async comment(id: string): Promise<Comment | null> {
    return this.deps.repos.comments.get(id);
  }

  async thread(
    siteId: string,
    q: { page: string; sort: ThreadSort; limit: number; cursor?: string },
    now = Date.now(),
  ): Promise<ThreadPage> {
    const site = await this.site(siteId);
    const best = q.sort === 'best' && q.cursor ? decodeBest(q.cursor, now) : null;
    const afterRootId = best ? best.id : q.cursor ? decodeCursor(q.cursor) : null;
    const page = await this.deps.repos.pages.find(siteId, q.page);
    // A page nobody has commented on yet is an empty thread, not an error: the widget asks before the first post.
    if (!page)
      return { site, page: { key: q.page, title: null, url: null, closed: false, commentCount: 0 }, items: [], nextCursor: null, scope: noPage };
    const snapshot: BestSnapshot | null = best ? { seq: best.seq, at: best.at } : null;
    const t = await this.deps.repos.comments.thread({
      pageId: page.id,
      sort: q.sort,
      afterRootId,
      limit: q.limit,
      ...(q.sort === 'best' ? { best: { snapshot, afterRank: best ? best.rank : null, now } } : {}),
    });
    let nextCursor: string | null = null;
    if (t.hasMore && t.lastRootId)
      nextCursor =
        q.sort === 'best' && t.snapshot && t.lastRank !== undefined
          ? encodeBest({ ...t.snapshot, rank: t.lastRank, id: t.lastRootId })
          : encodeCursor(t.lastRootId);
    return {
      site,
      page: { key: page.key, title: page.title, url: page.url, closed: page.closed, commentCount: page.approvedCount },
      items: t.items,
      nextCursor,
      scope: onePage(page.id),
    };
  }

  /** Newest approved comments across the site's pages, for sidebars. */
  async recent(siteId: string, limit: number): Promise<{ site: Site; items: FeedItem[] }> {
    const site = await this.site(siteId);
    return { site, items: await this.deps.repos.comments.recentApproved(siteId, null, limit) };
  }

  /** What moderators featured on a page, or on the whole site; newest feature first. */
  async featured(siteId: string, pageKey: string | null, limit = 50): Promise<{ site: Site; items: FeedItem[] }> {
    const site = await this.site(siteId);
    if (pageKey === null) return { site, items: await this.deps.repos.comments.featured(siteId, null, limit) };
    const page = await this.deps.repos.pages.find(siteId, pageKey);
    return { site, items: page ? await this.deps.repos.comments.featured(siteId, page.id, limit) : [] };
  }

  /**
   * One vote per voter key per comment, whatever the address: a new value replaces the old, 0 withdraws.
   * The key is kept only as its per-site HMAC.
   */
  async vote(id: string, value: VoteValue, voter: string | null, now: number): Promise<VoteTotals & { myVote: VoteValue }> {
    const comment = await this.deps.repos.comments.get(id);
    if (!comment || comment.status !== 'approved') throw notFound('Comment');
    const site = await this.site(comment.siteId);
    const policy = site.settings.votes;
    if (policy === 'off') throw forbidden('votes_off', 'Voting is turned off on this site.');
    if (value === -1 && policy !== 'updown') throw invalidField('value', 'not_allowed', 'must be 1 or 0: this site counts upvotes only');
    if (!voter || !VOTER_KEY.test(voter))
      throw invalidField('Marginalia-Voter', voter ? 'invalid_format' : 'required', 'the header must carry the random voter key (16–128 letters, digits, - or _)');
    const voterHmac = this.deps.privacy.voterHmac(site.id, voter);
    if (comment.voterHmac && safeEqualHex(voterHmac, comment.voterHmac)) throw forbidden('own_comment', 'You cannot vote on your own comment.');
    const r = await this.deps.repos.comments.vote({ commentId: id, voterHmac, value, now, keepChangesMs: KEEP_VOTE_CHANGES_MS });
    if (r.previous !== value) this.changed(site.id, comment, 'voted', now);
    return { upvotes: r.upvotes, downvotes: r.downvotes, myVote: value };
  }

  async counts(siteId: string, keys: string[]): Promise<{ counts: Record<string, number>; scope: AnswerScope }> {
    await this.site(siteId);
    const pages = await this.deps.repos.pages.findMany(siteId, keys);
    const counts: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
    for (const p of pages) counts[p.key] = p.approvedCount;
    return { counts, scope: { pageIds: pages.map((p) => p.id), newPages: pages.length < new Set(keys).size, allPages: false } };
  }

  async feed(siteId: string, pageKey: string | null, limit = 50): Promise<{ site: Site; items: FeedItem[]; scope: AnswerScope }> {
    const site = await this.site(siteId);
    if (pageKey === null)
      return { site, items: await this.deps.repos.comments.recentApproved(siteId, null, limit), scope: { pageIds: [], newPages: false, allPages: true } };
    const page = await this.deps.repos.pages.find(siteId, pageKey);
    if (!page) return { site, items: [], scope: noPage };
    return { site, items: await this.deps.repos.comments.recentApproved(siteId, page.id, limit), scope: onePage(page.id) };
  }

  formToken(siteId: string, now: number): string {
    return this.deps.privacy.signFormToken(siteId, now);
  }

  async post(
    siteId: string,
    input: PostInput,
    meta: RequestMeta,
    now: number,
  ): Promise<{ comment: Comment; site: Site; editToken: string; editableUntil: number }> {
    const { repos, privacy } = this.deps;
    const site = await this.site(siteId);
    const { settings } = site;
    checkLength('name', input.name, settings.limits.nameMax);
    checkLength('body', input.body, settings.limits.bodyMax);

    const page = await repos.pages.find(siteId, input.page);
    if (input.parentId) {
      const parent = await repos.comments.get(input.parentId);
      if (!parent || parent.siteId !== siteId || parent.pageId !== page?.id || parent.status !== 'approved')
        throw notFound('Parent comment');
    }
    const bodyHtml = renderBody(input.body);
    const emailHmac = privacy.emailHmac(siteId, input.email);
    const ipHmac = meta.ip ? privacy.ipHmac(siteId, meta.ip) : null;
    const hash = bodyHash(input.body);
    // From the checks to the insert: a second post of this text, or from this address while there is a flood
    // window, waits, then sees this one.
    const lockKeys = [`dup:${siteId}:${emailHmac}:${hash}`, ...(ipHmac && settings.floodSeconds > 0 ? [`flood:${siteId}:${ipHmac}`] : [])];
    const { comment, editToken } = await this.locks.withLocks(lockKeys, async () => {
      const verdict = await moderate({
        siteId,
        settings,
        page,
        pageKey: input.page,
        name: input.name,
        website: input.website ?? null,
        emailHmac,
        ipHmac,
        hp: input.hp,
        formTokenIssuedAt: privacy.verifyFormToken(siteId, input.formToken),
        bodyHash: hash,
        bodyHtml,
        now,
        comments: repos.comments,
        bans: repos.bans,
        isVerified: async () => ((await repos.notifications?.subscriber(siteId, emailHmac))?.confirmedAt ?? null) !== null,
      });
      const editToken = newSecret('et');
      // What a spam post says its page is called is not believed: it never names a page.
      const named = verdict.status !== 'spam';
      const { comment } = await repos.comments.insert({
        id: newCommentId(now),
        siteId,
        page: { key: input.page, url: named ? (input.pageUrl ?? null) : null, title: named ? (input.pageTitle ?? null) : null },
        parentId: input.parentId ?? null,
        status: verdict.status,
        authorName: input.name,
        authorWebsite: input.website ?? null,
        avatar: privacy.avatarHash(siteId, input.email),
        emailEnc: privacy.encryptEmail(input.email),
        emailHmac,
        ipHmac,
        userAgent: meta.userAgent ? meta.userAgent.slice(0, 512) : null,
        bodySource: input.body,
        bodyHtml,
        bodyHash: hash,
        reasons: verdict.reasons,
        editTokenHash: sha256Hex(editToken),
        createdAt: now,
        voterHmac: meta.voter && VOTER_KEY.test(meta.voter) ? privacy.voterHmac(siteId, meta.voter) : null,
        notify: input.notify === true && verdict.status !== 'spam',
      });
      return { comment, editToken };
    });
    this.deps.events.emit({
      type: 'comment.created',
      siteId,
      pageId: comment.pageId,
      newPage: page === null,
      commentId: comment.id,
      parentId: comment.parentId,
      status: comment.status,
      at: now,
    }, comment);
    return { comment, site, editToken, editableUntil: now + settings.editWindowMinutes * 60_000 };
  }

  /** The comment the edit token opens, while the edit window is open. */
  private async authorised(id: string, editToken: string | undefined, now: number): Promise<{ comment: Comment; site: Site }> {
    const comment = await this.deps.repos.comments.get(id);
    if (!comment || comment.status === 'deleted') throw notFound('Comment');
    if (!editToken || !comment.editTokenHash || !safeEqualHex(sha256Hex(editToken), comment.editTokenHash))
      throw unauthorized('The edit token does not open this comment.');
    const site = await this.site(comment.siteId);
    if (now > comment.createdAt + site.settings.editWindowMinutes * 60_000)
      throw forbidden('edit_window_closed', `Comments can be changed for ${site.settings.editWindowMinutes} minutes after posting.`);
    return { comment, site };
  }

  async edit(id: string, editToken: string | undefined, body: string, now: number): Promise<{ comment: Comment; site: Site }> {
    const { comment, site } = await this.authorised(id, editToken, now);
    checkLength('body', body, site.settings.limits.bodyMax);
    const bodyHtml = renderBody(body);
    const hash = bodyHash(body);
    // An edit cannot sneak past the checks that judge content, whatever the comment's status.
    const verdict = await moderate(
      {
        siteId: site.id,
        settings: site.settings,
        page: null,
        pageKey: '',
        name: comment.authorName,
        website: comment.authorWebsite,
        emailHmac: comment.emailHmac,
        ipHmac: comment.ipHmac,
        hp: undefined,
        formTokenIssuedAt: null,
        bodyHash: hash,
        bodyHtml,
        now,
        comments: this.deps.repos.comments,
        bans: this.deps.repos.bans,
      },
      editChecks,
    );
    const known = new Set(comment.reasons.map((r) => `${r.code}\n${r.detail}`));
    const added = verdict.reasons.filter((r) => !known.has(`${r.code}\n${r.detail}`));
    let updated = await this.deps.repos.comments.editBody(id, { bodySource: body, bodyHtml, bodyHash: hash, editedAt: now, addReasons: added });
    // A public comment whose new text a check holds leaves public view; pending, spam and rejected stay as they are.
    if (comment.status === 'approved' && verdict.status !== 'approved') {
      const to = verdict.status;
      await this.deps.repos.comments.changeStatuses({
        siteId: site.id,
        ids: [id],
        action: 'edit',
        decide: () => ({ to }),
        actor: { type: 'system' },
        reason: verdict.reasons.map((r) => r.detail).join(' '),
        clearReports: false,
        includeAuthorsPending: false,
        now,
      });
      updated = { ...updated, status: to };
    }
    this.changed(site.id, comment, 'edited', now, updated.status !== comment.status ? updated.status : undefined);
    return { comment: updated, site };
  }

  async remove(id: string, editToken: string | undefined, now: number): Promise<void> {
    const { comment, site } = await this.authorised(id, editToken, now);
    await this.deps.repos.comments.deleteByAuthor(id, now);
    this.changed(site.id, comment, 'deleted', now, 'deleted');
  }

  async report(
    id: string,
    input: { reason: string; note?: string | null },
    meta: RequestMeta,
    now: number,
  ): Promise<void> {
    const comment = await this.deps.repos.comments.get(id);
    if (!comment || comment.status !== 'approved') throw notFound('Comment');
    const site = await this.site(comment.siteId);
    // Without an address every anonymous reader would be one reporter; fall back to a random one.
    const reporter = meta.ip ? this.deps.privacy.ipHmac(site.id, meta.ip) : crypto.randomUUID();
    const result = await this.deps.repos.comments.addReport({
      commentId: id,
      reporterHmac: reporter,
      reason: input.reason,
      note: input.note ?? null,
      threshold: site.settings.reportThreshold,
      now,
    });
    if (result === 'duplicate') throw conflict('already_reported', 'You have already reported this comment.');
    // At the threshold the comment went back to pending.
    const after = await this.deps.repos.comments.get(id);
    this.changed(site.id, comment, 'reported', now, after && after.status !== comment.status ? after.status : undefined);
  }

  /** `to`: the comment's new status, when the change moved it. */
  private changed(siteId: string, comment: Comment, cause: ChangeCause, now: number, to?: CommentStatus): void {
    this.deps.events.emit({
      type: 'comments.changed',
      siteId,
      pageIds: [comment.pageId],
      commentIds: [comment.id],
      cause,
      at: now,
      ...(to && to !== comment.status ? { statusChanges: [{ commentId: comment.id, from: comment.status, to }] } : {}),
    });
  }
}

/** The site's own limit, which may be lower than the API's. */
function checkLength(field: 'name' | 'body', value: string, max: number): void {
  if (charLength(value) > max) throw invalidField(field, 'too_long', `must be at most ${max} characters`, max);
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

