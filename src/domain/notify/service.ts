// Service: what readers, moderators and owners do with notifications — confirm, unsubscribe, act from a mailed
// link, see and delete their own comments, read the delivery log. No HTTP knowledge.
import type { Repositories } from '../ports';
import type { Privacy, LinkClaims } from '../privacy';
import type { Site } from '../types';
import type { DomainEvents } from '../events';
import type { ModerationService } from '../moderation';
import { AppError, notFound } from '../errors';
import { newDeliveryId } from './fan-out';
import type { AuthoredComment, Channel, Delivery, NotificationRepository } from './types';

export const MY_COMMENTS_REQUEST_WINDOW_MS = 10 * 60_000;

/** A signed link that is forged, altered, expired, or already used. Shown as a page, never with what it held. */
export const linkRefused = (detail: string) => new AppError('link_refused', 410, 'Link no longer valid', detail);

export type ModerationLinkAction = 'approve' | 'reject' | 'spam';

export interface ModerationLinkView {
  site: Site;
  action: ModerationLinkAction;
  moderator: string;
  comment: { id: string; authorName: string; bodyHtml: string; status: string; reasons: string[]; page: { key: string; url: string | null; title: string | null } | null };
  usedAt: number | null;
  usedAction: string | null;
}

export interface NotificationServiceDeps {
  repos: Repositories;
  notifications: NotificationRepository | null;
  privacy: Privacy;
  events: DomainEvents;
  moderation: ModerationService;
  /** Mail is configured; the widget shows its mail features only then. */
  mail: boolean;
  /** Tells the outbox worker there is something to send. */
  wake: () => void;
}

export class NotificationService {
  constructor(private readonly deps: NotificationServiceDeps) {}

  get mailEnabled(): boolean {
    return this.deps.mail && this.deps.notifications !== null;
  }

  private get store(): NotificationRepository {
    if (!this.deps.notifications) throw notFound('Notifications');
    return this.deps.notifications;
  }

  private claims(token: unknown, purpose: string, now: number): LinkClaims {
    const c = this.deps.privacy.verifyLink(token, purpose, now);
    if (!c) throw linkRefused('This link is not valid or has expired.');
    return c;
  }

  private async siteOf(id: unknown): Promise<Site> {
    const site = typeof id === 'string' ? await this.deps.repos.sites.get(id) : null;
    if (!site) throw linkRefused('This link is not valid or has expired.');
    return site;
  }

  /** The site a confirmation or unsubscribe link is for: the page shown before the reader presses the button. */
  async linkSite(token: unknown, purpose: 'confirm' | 'unsubscribe' | 'mine', now: number): Promise<{ site: Site; thread: boolean }> {
    const c = this.claims(token, purpose, now);
    return { site: await this.siteOf(c.s), thread: c.pg !== undefined };
  }

  async confirm(token: unknown, now: number): Promise<Site> {
    const c = this.claims(token, 'confirm', now);
    const site = await this.siteOf(c.s);
    if (!(await this.store.confirm(site.id, String(c.h), now))) throw linkRefused('This address unsubscribed since; ask again from a comment form.');
    return site;
  }

  async unsubscribe(token: unknown, now: number): Promise<{ site: Site; thread: boolean }> {
    const c = this.claims(token, 'unsubscribe', now);
    const site = await this.siteOf(c.s);
    const pageId = c.pg === undefined ? null : Number(c.pg);
    await this.store.unsubscribe(site.id, String(c.h), pageId, now);
    return { site, thread: pageId !== null };
  }

  private async link(token: unknown, now: number) {
    const c = this.claims(token, 'moderate', now);
    const action = c.a;
    if (action !== 'approve' && action !== 'reject' && action !== 'spam') throw linkRefused('This link is not valid or has expired.');
    const link = await this.store.actionLink(String(c.l));
    if (!link || link.expiresAt <= now) throw linkRefused('This link has expired.');
    const site = await this.siteOf(link.siteId);
    const comment = await this.deps.repos.comments.get(link.commentId);
    if (!comment) throw linkRefused('The comment is gone.');
    return { link, site, comment, action: action as ModerationLinkAction };
  }

  /** What the confirmation page shows; changes nothing (mail scanners fetch links). */
  async moderationLink(token: unknown, now: number): Promise<ModerationLinkView> {
    const { link, site, comment, action } = await this.link(token, now);
    const page = await this.store.page(comment.pageId);
    return {
      site,
      action,
      moderator: link.moderator,
      comment: {
        id: comment.id,
        authorName: comment.authorName,
        bodyHtml: comment.bodyHtml,
        status: comment.status,
        reasons: comment.reasons.map((r) => r.detail),
        page,
      },
      usedAt: link.usedAt,
      usedAction: link.usedAction,
    };
  }

  /** Spends the link and acts, recorded in the audit log as done by the moderator's address. */
  async actOnLink(token: unknown, now: number): Promise<ModerationLinkView> {
    const { link, site, action } = await this.link(token, now);
    if (link.usedAt !== null || !(await this.store.useActionLink(link.id, action, now)))
      throw linkRefused('This link was already used: each moderation link works once.');
    const [result] = await this.deps.moderation.actAs(site, { type: 'mail', address: link.moderator }, { action, ids: [link.commentId], reason: 'from a notification mail' }, now);
    if (!result?.ok) throw new AppError(result?.error.code ?? 'not_found', result?.error.status ?? 404, 'Not done', result?.error.detail ?? 'Comment was not found.');
    return this.moderationLink(token, now);
  }

  /** A reader asks for the link to their comments. Always "sent", so nobody learns whether an address commented. */
  async requestMyComments(siteId: string, email: string, now: number): Promise<void> {
    const site = await this.deps.repos.sites.get(siteId);
    if (!site) throw notFound('Site');
    if (!this.mailEnabled) throw notFound('Mail');
    const h = this.deps.privacy.emailHmac(site.id, email);
    const mine = await this.store.commentsByAuthor(site.id, h);
    if (mine.length === 0) return;
    await this.store.enqueue(
      {
        deliveryId: newDeliveryId(),
        siteId: site.id,
        channel: 'mail',
        topic: 'my-comments',
        target: null,
        recipientEnc: this.deps.privacy.encryptEmail(email),
        payload: { emailHmac: h },
        dueAt: now,
        // At most one such mail per address and site per window: a second request while one waits joins it.
        batch: { key: `mine:${site.id}:${h}`, windowMs: MY_COMMENTS_REQUEST_WINDOW_MS, item: now },
      },
      now,
    );
    this.deps.wake();
  }

  async myComments(token: unknown, now: number): Promise<{ site: Site; comments: AuthoredComment[] }> {
    const c = this.claims(token, 'mine', now);
    const site = await this.siteOf(c.s);
    return { site, comments: await this.store.commentsByAuthor(site.id, String(c.h)) };
  }

  /** Deletes one of the reader's comments (as its author would); another's comment is not found. */
  async deleteMine(token: unknown, commentId: unknown, now: number): Promise<void> {
    const c = this.claims(token, 'mine', now);
    const site = await this.siteOf(c.s);
    const comment = typeof commentId === 'string' ? await this.deps.repos.comments.get(commentId) : null;
    if (!comment || comment.siteId !== site.id || comment.emailHmac !== String(c.h) || comment.status === 'deleted') throw notFound('Comment');
    await this.deps.repos.comments.deleteByAuthor(comment.id, now);
    this.deps.events.emit({ type: 'comments.changed', siteId: site.id, pageIds: [comment.pageId], commentIds: [comment.id], cause: 'deleted', at: now });
  }

  async deliveries(site: Site, opts: { channel: Channel; cursor?: number; limit: number }): Promise<{ items: Delivery[]; nextCursor: number | null }> {
    const rows = await this.store.deliveries(site.id, { channel: opts.channel, beforeId: opts.cursor ?? null, limit: opts.limit + 1 });
    const items = rows.slice(0, opts.limit);
    return { items, nextCursor: rows.length > opts.limit ? items[items.length - 1].id : null };
  }

  /**
   * "Send again": the same webhook delivery, same id, back in line now. Only a finished one; one on its way is left
   * alone. Mail cannot be sent again: a finished mail no longer keeps its address.
   */
  async resend(site: Site, id: number, now: number): Promise<Delivery> {
    const d = await this.store.resend(site.id, id, now);
    if (!d) throw notFound('Finished webhook delivery');
    this.deps.wake();
    return d;
  }
}
