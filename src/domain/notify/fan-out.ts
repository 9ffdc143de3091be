// Notifications: what one journal entry leads to — webhook deliveries, reply mail, moderator mail, confirmations.
import crypto from 'node:crypto';
import type { Repositories } from '../ports';
import type { Comment, Site } from '../types';
import type { Privacy } from '../privacy';
import type { WebhookEvent } from '../settings';
import { ulid } from '../ids';
import { excerpt } from './templates';
import type { ActionLink, FanOutPlan, JournalEntry, NewDelivery, NotificationRepository, PageInfo } from './types';

export const REPLY_BATCH_MS = 10 * 60_000;
export const CONFIRM_RESEND_MS = 24 * 60 * 60_000;
export const ACTION_LINK_TTL_MS = 3 * 24 * 60 * 60_000;

export const newDeliveryId = () => `dlv_${ulid()}`;

/** The webhook events a fact stands for (SPEC §10): spam fires nothing until a moderator moves it. */
export function webhookEventsFor(fact: JournalEntry['fact']): WebhookEvent[] {
  switch (fact.type) {
    case 'created':
      if (fact.status === 'spam') return [];
      return fact.status === 'approved' ? ['comment.created', 'comment.approved'] : ['comment.created'];
    case 'status_changed': {
      const out: WebhookEvent[] = ['comment.status_changed'];
      if (fact.to === 'approved') out.push('comment.approved');
      if (fact.to === 'deleted') out.push('comment.deleted');
      return out;
    }
    case 'reported':
      return ['comment.reported'];
    case 'edited':
      return ['comment.edited'];
  }
}

/** Each webhook of the site paired with each of the fact's events it asked for. */
function wantedWebhooks(site: Site, fact: JournalEntry['fact']): { hook: Site['settings']['webhooks'][number]; event: WebhookEvent }[] {
  const events = webhookEventsFor(fact);
  return site.settings.webhooks.flatMap((hook) => events.filter((event) => hook.events.includes(event)).map((event) => ({ hook, event })));
}

/** What a webhook receiver learns of a comment: the public fields, its status and page. Never an address or an IP. */
export function webhookComment(c: Comment, page: PageInfo | null) {
  return {
    id: c.id,
    parentId: c.parentId,
    status: c.status,
    page: page ? { key: page.key, url: page.url, title: page.title } : null,
    author: { name: c.authorName, website: c.authorWebsite, avatar: `/api/v1/avatars/${c.avatar}.svg` },
    html: c.bodyHtml,
    createdAt: new Date(c.createdAt).toISOString(),
    editedAt: c.editedAt === null ? null : new Date(c.editedAt).toISOString(),
  };
}

export interface FanOutDeps {
  repos: Repositories;
  notifications: NotificationRepository;
  privacy: Privacy;
  /** Mail is configured (SMTP_URL): without it no mail is planned. */
  mail: boolean;
}

export class FanOut {
  constructor(private readonly deps: FanOutDeps) {}

  async plan(entry: JournalEntry, now: number): Promise<FanOutPlan> {
    const { repos, notifications } = this.deps;
    const plan: FanOutPlan = { deliveries: [] };
    const site = await repos.sites.get(entry.siteId);
    if (!site) return plan;
    const hooks = wantedWebhooks(site, entry.fact);
    // Without mail, only a webhook that wants one of the entry's events makes anything: skip reading the comment.
    if (!this.deps.mail && hooks.length === 0) return plan;
    const comment = await repos.comments.get(entry.fact.commentId);
    if (!comment) return plan;
    const page = await notifications.page(comment.pageId);
    this.webhooks(plan, entry, hooks, comment, page, now);
    if (!this.deps.mail) return plan;
    const fact = entry.fact;
    if (fact.type === 'created' && fact.notify) await this.askForReplies(plan, site, comment, now);
    const becamePublic = (fact.type === 'created' && fact.status === 'approved') || (fact.type === 'status_changed' && fact.to === 'approved');
    if (becamePublic && comment.parentId) await this.replyMail(plan, site, comment, page, now);
    const why =
      fact.type === 'created' ? fact.status : fact.type === 'reported' ? 'reported' : null;
    if (why === 'pending' || why === 'approved' || why === 'reported') this.moderatorMail(plan, site, comment, page, why, now);
    return plan;
  }

  private webhooks(plan: FanOutPlan, entry: JournalEntry, hooks: ReturnType<typeof wantedWebhooks>, comment: Comment, page: PageInfo | null, now: number): void {
    const fact = entry.fact;
    for (const { hook, event } of hooks) {
      const payload: Record<string, unknown> = {
        event,
        site: entry.siteId,
        occurredAt: new Date(entry.createdAt).toISOString(),
        comment: webhookComment(comment, page),
      };
      if (fact.type === 'status_changed') {
        payload.from = fact.from;
        payload.to = fact.to;
        payload.by = fact.actor.type === 'mail' ? 'moderator' : fact.actor.type === 'token' ? 'moderator' : fact.actor.type;
      }
      if (fact.type === 'reported') payload.reason = fact.reason;
      plan.deliveries.push({
        deliveryId: newDeliveryId(),
        siteId: entry.siteId,
        channel: 'webhook',
        topic: event,
        target: hook.url,
        recipientEnc: null,
        payload,
        dueAt: now,
      });
    }
  }

  /** Double opt-in: the address waits for confirmation; one confirmation mail per address and site a day at most. */
  private async askForReplies(plan: FanOutPlan, site: Site, comment: Comment, now: number): Promise<void> {
    const sub = await this.deps.notifications.subscriber(site.id, comment.emailHmac);
    plan.watch = { commentId: comment.id, siteId: site.id, emailHmac: comment.emailHmac };
    const needsConfirmation = !sub || sub.state !== 'confirmed';
    const sentRecently = sub?.confirmSentAt != null && now - sub.confirmSentAt < CONFIRM_RESEND_MS;
    const send = needsConfirmation && !sentRecently;
    plan.subscribe = { siteId: site.id, emailHmac: comment.emailHmac, confirmSentAt: send ? now : null, now };
    if (!send) return;
    plan.deliveries.push({
      deliveryId: newDeliveryId(),
      siteId: site.id,
      channel: 'mail',
      topic: 'confirm',
      target: null,
      recipientEnc: comment.emailEnc,
      payload: { emailHmac: comment.emailHmac },
      dueAt: now,
    });
  }

  /** A reply became public: its parent's author hears of it, if they asked, confirmed, and did not write it. */
  private async replyMail(plan: FanOutPlan, site: Site, reply: Comment, page: PageInfo | null, now: number): Promise<void> {
    const { notifications, repos } = this.deps;
    const watcher = await notifications.watcherOf(reply.parentId!);
    if (!watcher || watcher.emailHmac === reply.emailHmac) return;
    const sub = await notifications.subscriber(site.id, watcher.emailHmac);
    if (sub?.state !== 'confirmed') return;
    if (await notifications.threadUnsubscribed(site.id, watcher.emailHmac, reply.pageId)) return;
    const parent = await repos.comments.get(reply.parentId!);
    if (!parent || parent.emailHmac !== watcher.emailHmac) return;
    plan.deliveries.push({
      deliveryId: newDeliveryId(),
      siteId: site.id,
      channel: 'mail',
      topic: 'reply',
      target: null,
      recipientEnc: parent.emailEnc,
      payload: { emailHmac: watcher.emailHmac, pageId: reply.pageId, page },
      dueAt: now,
      batch: {
        key: `reply:${site.id}:${watcher.emailHmac}:${reply.pageId}`,
        windowMs: REPLY_BATCH_MS,
        item: { replyId: reply.id, authorName: reply.authorName, text: excerpt(reply.bodySource), at: reply.createdAt },
      },
      once: { replyId: reply.id, emailHmac: watcher.emailHmac },
    });
  }

  private moderatorMail(
    plan: FanOutPlan,
    site: Site,
    comment: Comment,
    page: PageInfo | null,
    why: 'pending' | 'approved' | 'reported',
    now: number,
  ): void {
    const { moderators, digestMinutes } = site.settings.notifications;
    for (const m of moderators) {
      const wants = m.on === 'all' || m.on === why;
      if (!wants) continue;
      const link: ActionLink = {
        id: `ml_${crypto.randomBytes(16).toString('base64url')}`,
        siteId: site.id,
        commentId: comment.id,
        moderator: m.email,
        expiresAt: now + ACTION_LINK_TTL_MS,
        usedAt: null,
        usedAction: null,
      };
      (plan.actionLinks ??= []).push(link);
      const item = {
        commentId: comment.id,
        linkId: link.id,
        why,
        authorName: comment.authorName,
        text: excerpt(comment.bodySource, 2000),
        reasons: comment.reasons.map((r) => r.detail),
        page,
        expiresAt: link.expiresAt,
      };
      const d: NewDelivery = {
        deliveryId: newDeliveryId(),
        siteId: site.id,
        channel: 'mail',
        topic: 'moderation',
        target: null,
        recipientEnc: this.deps.privacy.encryptEmail(m.email),
        payload: {},
        dueAt: now,
      };
      if (digestMinutes > 0) {
        const windowMs = digestMinutes * 60_000;
        // A digest gathers what arrives in its window; keyed by a hash, so no address sits in the key.
        const who = crypto.createHash('sha256').update(m.email.toLowerCase()).digest('hex').slice(0, 32);
        plan.deliveries.push({ ...d, dueAt: now + windowMs, batch: { key: `mod:${site.id}:${who}`, windowMs, item } });
      } else plan.deliveries.push({ ...d, payload: { items: [item] } });
    }
  }
}
