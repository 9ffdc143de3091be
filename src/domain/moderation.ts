// Service: the moderator's side — queue and search, actions, pages, bans, audit log. No HTTP knowledge.
import type { QueueRow, Repositories, StatusChangeResult, StatusDecision } from './ports';
import type { Actor, AuditEntry, Ban, CommentStatus, Page, PageChange, Site, Token } from './types';
import { Privacy } from './privacy';
import { newBanId } from './ids';
import { badRequest, invalidField, notFound } from './errors';
import type { DomainEvents } from './events';

export const moderationActions = ['approve', 'reject', 'spam', 'delete', 'restore', 'feature', 'unfeature'] as const;
export type ModerationAction = (typeof moderationActions)[number];
type StatusAction = Exclude<ModerationAction, 'feature' | 'unfeature'>;

/** What each action does to each status. Restoring brings a deletion back to where it was, anything else to pending. */
export function decideFor(action: StatusAction): StatusDecision {
  return ({ status, statusBeforeDelete, erased }) => {
    // An erased comment is an empty placeholder: approving or restoring it would publish a comment with no author
    // or body, and deleting it again changes nothing.
    if (erased) return { error: { code: 'erased', status: 409, detail: 'This comment was erased; it can only stay a placeholder.' } };
    switch (action) {
      case 'approve':
        return { to: 'approved' };
      case 'reject':
        return { to: 'rejected' };
      case 'spam':
        return { to: 'spam' };
      case 'delete':
        return { to: 'deleted' };
      case 'restore':
        if (status === 'deleted') return { to: statusBeforeDelete ?? 'pending' };
        if (status === 'rejected' || status === 'spam') return { to: 'pending' };
        return { error: { code: 'nothing_to_restore', status: 409, detail: `A ${status} comment has nothing to restore.` } };
    }
  };
}

export interface QueueFilters {
  status: CommentStatus | 'reported' | 'featured' | 'all';
  page?: string;
  q?: string;
  email?: string;
  cursor?: string;
  limit: number;
}

export interface ModeratedComment extends Omit<QueueRow, 'emailEnc'> {
  email: string;
}

const encode = (v: string) => Buffer.from(v).toString('base64url');
const decode = (v: string, field: string, pattern: RegExp) => {
  const s = Buffer.from(v, 'base64url').toString();
  if (!pattern.test(s)) throw invalidField(field, 'invalid_cursor', 'is not a cursor this API gave out');
  return s;
};

/** A cursor over comments newest first: the last id given out. */
export const commentCursor = {
  after: (items: readonly { id: string }[], hasMore: boolean): string | null => (hasMore ? encode(items[items.length - 1].id) : null),
  read: (cursor: string, field = 'cursor'): string => decode(cursor, field, /^c_[0-9A-Z]{26}$/),
};

/** Queue rows as moderators see them, e-mail decrypted (an erased comment has none left to decrypt). */
export function withEmails(rows: QueueRow[], privacy: Privacy): ModeratedComment[] {
  return rows.map(({ emailEnc, ...row }) => ({ ...row, email: emailEnc.length ? privacy.decryptEmail(emailEnc) : '' }));
}

export class ModerationService {
  constructor(
    private readonly deps: { repos: Repositories; privacy: Privacy; events: DomainEvents },
  ) {}

  actorOf(token: Token): Actor {
    return { type: 'token', id: token.id };
  }

  async queue(site: Site, f: QueueFilters) {
    const { repos, privacy } = this.deps;
    let pageId: number | null = null;
    if (f.page !== undefined) {
      const page = await repos.pages.find(site.id, f.page);
      if (!page) return { items: [], nextCursor: null, counts: await repos.comments.statusCounts(site.id) };
      pageId = page.id;
    }
    const [{ items, hasMore }, counts] = await Promise.all([
      repos.comments.queue({
        siteId: site.id,
        status: f.status,
        pageId,
        text: f.q?.trim() || null,
        emailHmac: f.email ? privacy.emailHmac(site.id, f.email) : null,
        beforeId: f.cursor ? commentCursor.read(f.cursor) : null,
        limit: f.limit,
      }),
      repos.comments.statusCounts(site.id),
    ]);
    return { items: withEmails(items, privacy), nextCursor: commentCursor.after(items, hasMore), counts };
  }

  async act(
    site: Site,
    token: Token,
    input: { action: ModerationAction; ids: string[]; reason?: string; trustAuthor?: boolean },
    now: number,
  ): Promise<StatusChangeResult[]> {
    return this.actAs(site, this.actorOf(token), input, now);
  }

  /** The same actions for any actor: a token holder, or a moderator from a mailed link. */
  async actAs(
    site: Site,
    actor: Actor,
    input: { action: ModerationAction; ids: string[]; reason?: string; trustAuthor?: boolean },
    now: number,
  ): Promise<StatusChangeResult[]> {
    if (input.trustAuthor && input.action !== 'approve') throw invalidField('trustAuthor', 'not_allowed', 'goes only with approve');
    if (input.action === 'feature' || input.action === 'unfeature') return this.feature(site, actor, input.action === 'feature', input, now);
    const { results, pageIds } = await this.deps.repos.comments.changeStatuses({
      siteId: site.id,
      ids: input.ids,
      action: input.action,
      decide: decideFor(input.action),
      actor,
      reason: input.reason ?? null,
      clearReports: input.action === 'approve',
      includeAuthorsPending: input.trustAuthor === true,
      now,
    });
    const ok = results.filter((r): r is Extract<StatusChangeResult, { ok: true }> => r.ok);
    const statusChanges = ok.filter((r) => r.from !== r.to).map((r) => ({ commentId: r.id, from: r.from, to: r.to }));
    // With trustAuthor the author's other comments change too, on any page: the store names every page it touched.
    if (ok.length > 0)
      this.deps.events.emit({ type: 'comments.changed', siteId: site.id, pageIds, commentIds: ok.map((r) => r.id), cause: 'moderated', at: now, statusChanges });
    return results;
  }

  /** Featuring is not a status change, but it is audited like one; only approved comments can be featured. */
  private async feature(site: Site, actor: Actor, featured: boolean, input: { ids: string[]; reason?: string }, now: number) {
    const results = await this.deps.repos.comments.setFeatured({
      siteId: site.id,
      ids: input.ids,
      featured,
      actor,
      reason: input.reason ?? null,
      now,
    });
    const ids = results.filter((r) => r.ok).map((r) => r.id);
    if (ids.length > 0) this.deps.events.emit({ type: 'comments.changed', siteId: site.id, pageIds: null, commentIds: ids, cause: 'featured', at: now });
    return results;
  }

  async pages(site: Site, opts: { cursor?: string; q?: string; limit: number }) {
    const afterId = opts.cursor ? Number(decode(opts.cursor, 'cursor', /^\d+$/)) : null;
    const pages = await this.deps.repos.pages.list(site.id, { afterId, limit: opts.limit + 1, q: opts.q?.trim() || null });
    const items = pages.slice(0, opts.limit);
    return { items, nextCursor: pages.length > opts.limit ? encode(String(items[items.length - 1].id)) : null };
  }

  /** Close or open a page, or fix its title and URL (which readers' posts then leave alone). */
  async updatePage(site: Site, key: string, change: PageChange, now: number): Promise<Page> {
    const page = await this.deps.repos.pages.update(site.id, key, change, now);
    this.deps.events.emit({ type: 'page.changed', siteId: site.id, pageId: page.id, at: now });
    return page;
  }

  async bans(site: Site): Promise<(Ban & { value: string })[]> {
    const bans = await this.deps.repos.bans.list(site.id);
    return bans.map((b) => ({ ...b, value: b.emailEnc ? this.deps.privacy.decryptEmail(b.emailEnc) : b.valueHmac }));
  }

  /** Ban an e-mail, an address hash, or the author of a comment (their e-mail and address, unseen). */
  async ban(
    site: Site,
    token: Token,
    input: { email?: string; ipHash?: string; commentId?: string; reason?: string; expiresAt?: number | null },
    now: number,
  ): Promise<(Ban & { value: string })[]> {
    const { privacy, repos } = this.deps;
    const given = [input.email, input.ipHash, input.commentId].filter((v) => v !== undefined).length;
    if (given !== 1) throw badRequest('Give exactly one of email, ipHash or commentId.', [{ path: 'email', code: 'required', message: 'give exactly one of email, ipHash or commentId' }]);
    if (input.expiresAt != null && input.expiresAt <= now) throw invalidField('expiresAt', 'invalid_value', 'must be in the future');
    const base = {
      siteId: site.id,
      reason: input.reason ?? null,
      expiresAt: input.expiresAt ?? null,
      createdAt: now,
      createdBy: token.id,
    };
    const bans: Ban[] = [];
    if (input.email !== undefined) {
      bans.push({ ...base, id: newBanId(), kind: 'email', valueHmac: privacy.emailHmac(site.id, input.email), emailEnc: privacy.encryptEmail(input.email), commentId: null });
    } else if (input.ipHash !== undefined) {
      bans.push({ ...base, id: newBanId(), kind: 'ip', valueHmac: input.ipHash, emailEnc: null, commentId: null });
    } else {
      const c = await repos.comments.get(input.commentId!);
      if (!c || c.siteId !== site.id) throw notFound('Comment');
      bans.push({ ...base, id: newBanId(), kind: 'email', valueHmac: c.emailHmac, emailEnc: c.emailEnc, commentId: c.id });
      if (c.ipHmac) bans.push({ ...base, id: newBanId(), kind: 'ip', valueHmac: c.ipHmac, emailEnc: null, commentId: c.id });
    }
    await repos.bans.create(bans);
    return bans.map((b) => ({ ...b, value: b.emailEnc ? privacy.decryptEmail(b.emailEnc) : b.valueHmac }));
  }

  async unban(site: Site, id: string): Promise<void> {
    if (!(await this.deps.repos.bans.remove(site.id, id))) throw notFound('Ban');
  }

  async log(site: Site, opts: { cursor?: string; commentId?: string; limit: number }) {
    const beforeId = opts.cursor ? Number(decode(opts.cursor, 'cursor', /^\d+$/)) : null;
    const rows: AuditEntry[] = await this.deps.repos.audit.list(site.id, {
      beforeId,
      commentId: opts.commentId ?? null,
      limit: opts.limit + 1,
    });
    const items = rows.slice(0, opts.limit);
    return { items, nextCursor: rows.length > opts.limit ? encode(String(items[items.length - 1].id)) : null };
  }
}
