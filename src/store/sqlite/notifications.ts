// Store: the notifier's tables — journal, outbox, subscribers, reply watches, moderators' action links.
import { atomic, type Db } from '../db';
import { toActionLink, toAuthoredComment, toDelivery, type ActionLinkRow, type AuthoredRow, type OutboxRow } from '../notify-rows';
import type {
  ActionLink,
  AttemptOutcome,
  Channel,
  Delivery,
  FanOutPlan,
  JournalEntry,
  JournalFact,
  AuthoredComment,
  NewDelivery,
  NotificationRepository,
  PageInfo,
  Subscriber,
} from '../../domain/notify/types';


export class SqliteNotifications implements NotificationRepository {
  private readonly s;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      journal: p('SELECT id, site_id, payload, created_at FROM notification_events ORDER BY id LIMIT ?'),
      dropEntry: p('DELETE FROM notification_events WHERE id = ?'),
      insertDelivery: p(`INSERT INTO outbox (delivery_id, site_id, channel, topic, target, recipient_enc, batch_key, payload, state,
          next_attempt_at, created_at)
        VALUES (@deliveryId, @siteId, @channel, @topic, @target, @recipientEnc, @batchKey, @payload, 'pending', @dueAt, @now)`),
      openBatch: p(`SELECT id FROM outbox WHERE batch_key = ? AND state = 'pending' ORDER BY id DESC LIMIT 1`),
      joinBatch: p(`UPDATE outbox SET payload = json_insert(payload, '$.items[#]', json(@item)) WHERE id = @id`),
      lastOfBatch: p(`SELECT max(coalesce(last_attempt_at, next_attempt_at)) AS t FROM outbox WHERE batch_key = ?`),
      notice: p('INSERT INTO reply_notices (reply_id, email_hmac) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      subscribe: p(`INSERT INTO subscribers (site_id, email_hmac, state, confirm_sent_at, updated_at)
          VALUES (@siteId, @emailHmac, 'pending', @confirmSentAt, @now)
        ON CONFLICT (site_id, email_hmac) DO UPDATE SET
          confirm_sent_at = coalesce(@confirmSentAt, confirm_sent_at),
          state = CASE WHEN state = 'unsubscribed' THEN 'pending' ELSE state END,
          updated_at = @now`),
      watch: p('INSERT INTO reply_watches (comment_id, site_id, email_hmac) VALUES (@commentId, @siteId, @emailHmac) ON CONFLICT DO NOTHING'),
      insertLink: p(`INSERT INTO action_links (id, site_id, comment_id, moderator, expires_at) VALUES (@id, @siteId, @commentId, @moderator, @expiresAt)`),
      due: p(`SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`),
      claim: p(`UPDATE outbox SET state = 'sending', claimed_until = ? WHERE id = ? AND state = 'pending'`),
      releaseAll: p(`UPDATE outbox SET state = 'pending', claimed_until = NULL WHERE state = 'sending'`),
      releaseStale: p(`UPDATE outbox SET state = 'pending', claimed_until = NULL WHERE state = 'sending' AND claimed_until < ?`),
      attempt: p(`UPDATE outbox SET state = @state, attempts = attempts + 1, last_attempt_at = @now, last_status = @status,
          last_error = @error, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at), claimed_until = NULL,
          -- A finished mail keeps no address: the encrypted recipient goes once it is no longer needed.
          recipient_enc = CASE WHEN @state = 'pending' THEN recipient_enc ELSE NULL END,
          delivered_at = CASE WHEN @state = 'delivered' THEN @now ELSE delivered_at END
        WHERE id = @id`),
      nextDue: p(`SELECT min(next_attempt_at) AS t FROM outbox WHERE state = 'pending'`),
      eventCount: p('SELECT count(*) AS n FROM notification_events'),
      pendingCount: p(`SELECT count(*) AS n FROM outbox WHERE state IN ('pending','sending')`),
      list: p(`SELECT * FROM outbox WHERE site_id = @siteId AND channel = @channel AND id < @beforeId ORDER BY id DESC LIMIT @limit`),
      get: p('SELECT * FROM outbox WHERE id = ?'),
      resend: p(`UPDATE outbox SET state = 'pending', next_attempt_at = @now, created_at = @now, claimed_until = NULL
        WHERE id = @id AND site_id = @siteId AND channel = 'webhook' AND state IN ('delivered','failed','cancelled')`),
      subscriber: p('SELECT * FROM subscribers WHERE site_id = ? AND email_hmac = ?'),
      confirm: p(`UPDATE subscribers SET state = 'confirmed', confirmed_at = coalesce(confirmed_at, @now), updated_at = @now
        WHERE site_id = @siteId AND email_hmac = @emailHmac AND state IN ('pending','confirmed')`),
      unsubscribeSite: p(`UPDATE subscribers SET state = 'unsubscribed', updated_at = @now WHERE site_id = @siteId AND email_hmac = @emailHmac`),
      unsubscribeThread: p(`INSERT INTO thread_unsubscribes (site_id, email_hmac, page_id, created_at) VALUES (@siteId, @emailHmac, @pageId, @now)
        ON CONFLICT DO NOTHING`),
      threadUnsubscribed: p('SELECT 1 FROM thread_unsubscribes WHERE site_id = ? AND email_hmac = ? AND page_id = ?'),
      watcher: p('SELECT email_hmac FROM reply_watches WHERE comment_id = ?'),
      link: p('SELECT * FROM action_links WHERE id = ?'),
      page: p('SELECT key, url, title FROM pages WHERE id = ?'),
      byAuthor: p(`SELECT c.id, c.status, c.body_source, c.body_html, c.created_at, c.edited_at, c.parent_id,
          p.key AS page_key, p.url AS page_url, p.title AS page_title
        FROM comments c JOIN pages p ON p.id = c.page_id
        WHERE c.email_hmac = ? AND +c.site_id = ? AND c.status <> 'deleted' ORDER BY c.id DESC LIMIT 1000`),
      useLink: p(`UPDATE action_links SET used_at = @now, used_action = @action WHERE id = @id AND used_at IS NULL AND expires_at > @now`),
    };
  }

  async journal(limit: number): Promise<JournalEntry[]> {
    return (this.s.journal.all(limit) as { id: number; site_id: string; payload: string; created_at: number }[]).map((r) => ({
      id: r.id,
      siteId: r.site_id,
      fact: JSON.parse(r.payload) as JournalFact,
      createdAt: r.created_at,
    }));
  }

  async applyFanOut(entryId: number, plan: FanOutPlan, now: number): Promise<boolean> {
    return atomic(this.db, () => {
      // Removing the entry first makes a second fan-out of the same entry a no-op.
      if (this.s.dropEntry.run(entryId).changes === 0) return false;
      if (plan.subscribe) this.s.subscribe.run(plan.subscribe);
      if (plan.watch) this.s.watch.run(plan.watch);
      for (const link of plan.actionLinks ?? []) this.s.insertLink.run(link);
      for (const d of plan.deliveries) this.enqueue1(d, now);
      return true;
    });
  }

  async dropEntries(entryIds: readonly number[]): Promise<number> {
    return atomic(this.db, () => entryIds.reduce((n, id) => n + this.s.dropEntry.run(id).changes, 0));
  }

  private enqueue1(d: NewDelivery, now: number): void {
    if (d.once && this.s.notice.run(d.once.replyId, d.once.emailHmac).changes === 0) return;
    let dueAt = d.dueAt;
    if (d.batch) {
      const open = this.s.openBatch.get(d.batch.key) as { id: number } | undefined;
      if (open) {
        this.s.joinBatch.run({ id: open.id, item: JSON.stringify(d.batch.item) });
        return;
      }
      const last = (this.s.lastOfBatch.get(d.batch.key) as { t: number | null }).t;
      if (last !== null) dueAt = Math.max(dueAt, last + d.batch.windowMs);
    }
    const payload = d.batch ? { ...d.payload, items: [d.batch.item] } : d.payload;
    this.s.insertDelivery.run({
      deliveryId: d.deliveryId,
      siteId: d.siteId,
      channel: d.channel,
      topic: d.topic,
      target: d.target,
      recipientEnc: d.recipientEnc,
      batchKey: d.batch?.key ?? null,
      payload: JSON.stringify(payload),
      dueAt,
      now: Math.min(now, dueAt),
    });
  }

  async claimDue(now: number, limit: number, leaseUntil: number): Promise<Delivery[]> {
    return this.db.transaction(() => {
      const rows = this.s.due.all(now, limit) as OutboxRow[];
      const claimed: Delivery[] = [];
      for (const r of rows) if (this.s.claim.run(leaseUntil, r.id).changes === 1) claimed.push({ ...toDelivery(r), state: 'sending' });
      return claimed;
    })();
  }

  async releaseClaims(now: number, all: boolean): Promise<number> {
    return (all ? this.s.releaseAll.run() : this.s.releaseStale.run(now)).changes;
  }

  async recordAttempt(id: number, o: AttemptOutcome, now: number): Promise<void> {
    this.s.attempt.run({
      id,
      now,
      state: o.state,
      status: o.status,
      error: 'error' in o ? o.error : null,
      nextAttemptAt: o.state === 'pending' ? o.nextAttemptAt : null,
    });
  }

  async nextDueAt(): Promise<number | null> {
    return (this.s.nextDue.get() as { t: number | null }).t;
  }

  async backlog(): Promise<{ events: number; pending: number }> {
    return { events: (this.s.eventCount.get() as { n: number }).n, pending: (this.s.pendingCount.get() as { n: number }).n };
  }

  async deliveries(siteId: string, opts: { channel: Channel; beforeId: number | null; limit: number }): Promise<Delivery[]> {
    return (this.s.list.all({ siteId, channel: opts.channel, beforeId: opts.beforeId ?? Number.MAX_SAFE_INTEGER, limit: opts.limit }) as OutboxRow[]).map(toDelivery);
  }

  async resend(siteId: string, id: number, now: number): Promise<Delivery | null> {
    if (this.s.resend.run({ siteId, id, now }).changes === 0) return null;
    return toDelivery(this.s.get.get(id) as OutboxRow);
  }

  async subscriber(siteId: string, emailHmac: string): Promise<Subscriber | null> {
    const r = this.s.subscriber.get(siteId, emailHmac) as
      | { site_id: string; email_hmac: string; state: Subscriber['state']; confirm_sent_at: number | null; confirmed_at: number | null }
      | undefined;
    return r ? { siteId: r.site_id, emailHmac: r.email_hmac, state: r.state, confirmSentAt: r.confirm_sent_at, confirmedAt: r.confirmed_at } : null;
  }

  async confirm(siteId: string, emailHmac: string, now: number): Promise<boolean> {
    return this.s.confirm.run({ siteId, emailHmac, now }).changes > 0;
  }

  async unsubscribe(siteId: string, emailHmac: string, pageId: number | null, now: number): Promise<void> {
    if (pageId === null) this.s.unsubscribeSite.run({ siteId, emailHmac, now });
    else this.s.unsubscribeThread.run({ siteId, emailHmac, pageId, now });
  }

  async threadUnsubscribed(siteId: string, emailHmac: string, pageId: number): Promise<boolean> {
    return this.s.threadUnsubscribed.get(siteId, emailHmac, pageId) !== undefined;
  }

  async watcherOf(commentId: string): Promise<{ emailHmac: string } | null> {
    const r = this.s.watcher.get(commentId) as { email_hmac: string } | undefined;
    return r ? { emailHmac: r.email_hmac } : null;
  }

  async enqueue(d: NewDelivery, now: number): Promise<void> {
    this.db.transaction(() => this.enqueue1(d, now))();
  }

  async page(pageId: number): Promise<PageInfo | null> {
    return (this.s.page.get(pageId) as PageInfo | undefined) ?? null;
  }

  async commentsByAuthor(siteId: string, emailHmac: string): Promise<AuthoredComment[]> {
    return (this.s.byAuthor.all(emailHmac, siteId) as AuthoredRow[]).map(toAuthoredComment);
  }

  async actionLink(id: string): Promise<ActionLink | null> {
    const r = this.s.link.get(id) as ActionLinkRow | undefined;
    return r ? toActionLink(r) : null;
  }

  async useActionLink(id: string, action: string, now: number): Promise<boolean> {
    return this.s.useLink.run({ id, action, now }).changes > 0;
  }
}
