// Store: the notifier's tables on PostgreSQL — journal, outbox, subscribers, reply watches, moderators' action links.
// Several replicas run workers on one database: a delivery is claimed with FOR UPDATE SKIP LOCKED (so two workers
// never take the same row), a journal entry is fanned out by whichever worker deletes it first, and a batch of mail
// is joined under a per-key lock.
import type {
  ActionLink,
  AttemptOutcome,
  AuthoredComment,
  Channel,
  Delivery,
  FanOutPlan,
  JournalEntry,
  JournalFact,
  NewDelivery,
  NotificationRepository,
  PageInfo,
  Subscriber,
} from '../../domain/notify/types';
import { one, rows, run, sql, transaction, type Client, type Pool } from './pool';
import { toActionLink, toAuthoredComment, toDelivery, type ActionLinkRow, type AuthoredRow, type OutboxRow } from '../notify-rows';


const S = {
  journalInsert: sql('notify.journalInsert', 'INSERT INTO notification_events (site_id, type, payload, created_at) VALUES ($1, $2, $3, $4)'),
  journal: sql('notify.journal', 'SELECT id, site_id, payload, created_at FROM notification_events ORDER BY id LIMIT $1'),
  // A second worker deleting the same entry waits for the first to commit, then deletes nothing: one fan-out.
  dropEntry: sql('notify.dropEntry', 'DELETE FROM notification_events WHERE id = $1'),
  dropEntries: sql('notify.dropEntries', 'DELETE FROM notification_events WHERE id = ANY($1::bigint[])'),
  insertDelivery: sql(
    'notify.insertDelivery',
    `INSERT INTO outbox (delivery_id, site_id, channel, topic, target, recipient_enc, batch_key, payload, state, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)`,
  ),
  // Two workers adding to one batch at once would each find no open one and make two mails.
  lockBatch: sql('notify.lockBatch', `SELECT pg_advisory_xact_lock(hashtext('outbox_batch:' || $1))`),
  // Locked, so a worker claiming it (state 'sending') waits, or this sees it is no longer pending and starts a new one.
  openBatch: sql('notify.openBatch', `SELECT id FROM outbox WHERE batch_key = $1 AND state = 'pending' ORDER BY id DESC LIMIT 1 FOR UPDATE`),
  joinBatch: sql(
    'notify.joinBatch',
    `UPDATE outbox SET payload = jsonb_set(payload::jsonb, '{items}', coalesce(payload::jsonb -> 'items', '[]'::jsonb) || jsonb_build_array($2::jsonb))::text
     WHERE id = $1`,
  ),
  lastOfBatch: sql('notify.lastOfBatch', 'SELECT max(coalesce(last_attempt_at, next_attempt_at)) AS t FROM outbox WHERE batch_key = $1'),
  notice: sql('notify.notice', 'INSERT INTO reply_notices (reply_id, email_hmac) VALUES ($1, $2) ON CONFLICT DO NOTHING'),
  subscribe: sql(
    'notify.subscribe',
    `INSERT INTO subscribers (site_id, email_hmac, state, confirm_sent_at, updated_at) VALUES ($1, $2, 'pending', $3, $4)
     ON CONFLICT (site_id, email_hmac) DO UPDATE SET
       confirm_sent_at = coalesce(excluded.confirm_sent_at, subscribers.confirm_sent_at),
       state = CASE WHEN subscribers.state = 'unsubscribed' THEN 'pending' ELSE subscribers.state END,
       updated_at = excluded.updated_at`,
  ),
  watch: sql('notify.watch', 'INSERT INTO reply_watches (comment_id, site_id, email_hmac) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING'),
  insertLink: sql('notify.insertLink', 'INSERT INTO action_links (id, site_id, comment_id, moderator, expires_at) VALUES ($1, $2, $3, $4, $5)'),
  // Due rows, and rows whose claimer's lease ran out (a replica that stopped while sending), skipping rows another
  // worker holds right now; the update marks them in the same statement.
  claim: sql(
    'notify.claim',
    `WITH due AS (
       SELECT id FROM outbox
       WHERE (state = 'pending' AND next_attempt_at <= $1) OR (state = 'sending' AND claimed_until < $1)
       ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE outbox o SET state = 'sending', claimed_until = $3 FROM due WHERE o.id = due.id RETURNING o.*`,
  ),
  releaseStale: sql('notify.releaseStale', `UPDATE outbox SET state = 'pending', claimed_until = NULL WHERE state = 'sending' AND claimed_until < $1`),
  attempt: sql(
    'notify.attempt',
    `UPDATE outbox SET state = $2, attempts = attempts + 1, last_attempt_at = $3, last_status = $4,
       last_error = $5, next_attempt_at = coalesce($6, next_attempt_at), claimed_until = NULL,
       -- A finished mail keeps no address: the encrypted recipient goes once it is no longer needed.
       recipient_enc = CASE WHEN $2 = 'pending' THEN recipient_enc ELSE NULL END,
       delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE delivered_at END
     WHERE id = $1`,
  ),
  nextDue: sql('notify.nextDue', `SELECT min(next_attempt_at) AS t FROM outbox WHERE state = 'pending'`),
  eventCount: sql('notify.eventCount', 'SELECT count(*) AS n FROM notification_events'),
  pendingCount: sql('notify.pendingCount', `SELECT count(*) AS n FROM outbox WHERE state IN ('pending','sending')`),
  list: sql('notify.list', 'SELECT * FROM outbox WHERE site_id = $1 AND channel = $2 AND id < $3 ORDER BY id DESC LIMIT $4'),
  resend: sql(
    'notify.resend',
    `UPDATE outbox SET state = 'pending', next_attempt_at = $3, created_at = $3, claimed_until = NULL
     WHERE id = $2 AND site_id = $1 AND channel = 'webhook' AND state IN ('delivered','failed','cancelled') RETURNING *`,
  ),
  subscriber: sql('notify.subscriber', 'SELECT * FROM subscribers WHERE site_id = $1 AND email_hmac = $2'),
  confirm: sql(
    'notify.confirm',
    `UPDATE subscribers SET state = 'confirmed', confirmed_at = coalesce(confirmed_at, $3), updated_at = $3
     WHERE site_id = $1 AND email_hmac = $2 AND state IN ('pending','confirmed')`,
  ),
  unsubscribeSite: sql('notify.unsubscribeSite', `UPDATE subscribers SET state = 'unsubscribed', updated_at = $3 WHERE site_id = $1 AND email_hmac = $2`),
  unsubscribeThread: sql(
    'notify.unsubscribeThread',
    'INSERT INTO thread_unsubscribes (site_id, email_hmac, page_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
  ),
  threadUnsubscribed: sql('notify.threadUnsubscribed', 'SELECT 1 FROM thread_unsubscribes WHERE site_id = $1 AND email_hmac = $2 AND page_id = $3'),
  watcher: sql('notify.watcher', 'SELECT email_hmac FROM reply_watches WHERE comment_id = $1'),
  link: sql('notify.link', 'SELECT * FROM action_links WHERE id = $1'),
  page: sql('notify.page', 'SELECT key, url, title FROM pages WHERE id = $1'),
  byAuthor: sql(
    'notify.byAuthor',
    `SELECT c.id, c.status, c.body_source, c.body_html, c.created_at, c.edited_at, c.parent_id,
       p.key AS page_key, p.url AS page_url, p.title AS page_title
     FROM comments c JOIN pages p ON p.id = c.page_id
     WHERE c.email_hmac = $1 AND c.site_id = $2 AND c.status <> 'deleted' ORDER BY c.id DESC LIMIT 1000`,
  ),
  useLink: sql('notify.useLink', 'UPDATE action_links SET used_at = $3, used_action = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $3'),
};

/**
 * Records a fact about a comment for the notifier on the caller's transaction client, so it commits or rolls back
 * with the change it describes.
 */
export async function recordFact(c: Client, siteId: string, fact: JournalFact, now: number): Promise<void> {
  await run(c, S.journalInsert, [siteId, fact.type, JSON.stringify(fact), now]);
}

export class PgNotifications implements NotificationRepository {
  constructor(private readonly pool: Pool) {}

  async journal(limit: number): Promise<JournalEntry[]> {
    return (await rows<{ id: number; site_id: string; payload: string; created_at: number }>(this.pool, S.journal, [limit])).map((r) => ({
      id: r.id,
      siteId: r.site_id,
      fact: JSON.parse(r.payload) as JournalFact,
      createdAt: r.created_at,
    }));
  }

  async applyFanOut(entryId: number, plan: FanOutPlan, now: number): Promise<boolean> {
    return transaction(this.pool, async (c) => {
      // Removing the entry first makes a second fan-out of the same entry (here or on another replica) a no-op.
      if ((await run(c, S.dropEntry, [entryId])) === 0) return false;
      const s = plan.subscribe;
      if (s) await run(c, S.subscribe, [s.siteId, s.emailHmac, s.confirmSentAt, s.now]);
      if (plan.watch) await run(c, S.watch, [plan.watch.commentId, plan.watch.siteId, plan.watch.emailHmac]);
      for (const l of plan.actionLinks ?? []) await run(c, S.insertLink, [l.id, l.siteId, l.commentId, l.moderator, l.expiresAt]);
      for (const d of plan.deliveries) await this.enqueue1(c, d, now);
      return true;
    });
  }

  async dropEntries(entryIds: readonly number[]): Promise<number> {
    // One statement: its own transaction.
    return run(this.pool, S.dropEntries, [entryIds]);
  }

  private async enqueue1(c: Client, d: NewDelivery, now: number): Promise<void> {
    if (d.once && (await run(c, S.notice, [d.once.replyId, d.once.emailHmac])) === 0) return;
    let dueAt = d.dueAt;
    if (d.batch) {
      await run(c, S.lockBatch, [d.batch.key]);
      const open = await one<{ id: number }>(c, S.openBatch, [d.batch.key]);
      if (open) {
        await run(c, S.joinBatch, [open.id, JSON.stringify(d.batch.item)]);
        return;
      }
      const last = (await one<{ t: number | null }>(c, S.lastOfBatch, [d.batch.key]))!.t;
      if (last !== null) dueAt = Math.max(dueAt, last + d.batch.windowMs);
    }
    const payload = d.batch ? { ...d.payload, items: [d.batch.item] } : d.payload;
    await run(c, S.insertDelivery, [
      d.deliveryId,
      d.siteId,
      d.channel,
      d.topic,
      d.target,
      d.recipientEnc,
      d.batch?.key ?? null,
      JSON.stringify(payload),
      dueAt,
      Math.min(now, dueAt),
    ]);
  }

  async claimDue(now: number, limit: number, leaseUntil: number): Promise<Delivery[]> {
    const claimed = await rows<OutboxRow>(this.pool, S.claim, [now, limit, leaseUntil]);
    // RETURNING keeps no order: oldest first, as the selection had them.
    claimed.sort((x, y) => x.next_attempt_at - y.next_attempt_at || x.id - y.id);
    return claimed.map(toDelivery);
  }

  /**
   * Other replicas share this outbox and may be sending right now, so even at start (`all`) only claims whose lease
   * ran out go back: a claim left by a stopped process is taken again once its lease ends.
   */
  async releaseClaims(now: number, _all: boolean): Promise<number> {
    return run(this.pool, S.releaseStale, [now]);
  }

  async recordAttempt(id: number, o: AttemptOutcome, now: number): Promise<void> {
    await run(this.pool, S.attempt, [id, o.state, now, o.status, 'error' in o ? o.error : null, o.state === 'pending' ? o.nextAttemptAt : null]);
  }

  async nextDueAt(): Promise<number | null> {
    return (await one<{ t: number | null }>(this.pool, S.nextDue))!.t;
  }

  async backlog(): Promise<{ events: number; pending: number }> {
    const [events, pending] = await Promise.all([one<{ n: number }>(this.pool, S.eventCount), one<{ n: number }>(this.pool, S.pendingCount)]);
    return { events: events!.n, pending: pending!.n };
  }

  async deliveries(siteId: string, opts: { channel: Channel; beforeId: number | null; limit: number }): Promise<Delivery[]> {
    return (await rows<OutboxRow>(this.pool, S.list, [siteId, opts.channel, opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.limit])).map(toDelivery);
  }

  async resend(siteId: string, id: number, now: number): Promise<Delivery | null> {
    const r = await one<OutboxRow>(this.pool, S.resend, [siteId, id, now]);
    return r ? toDelivery(r) : null;
  }

  async subscriber(siteId: string, emailHmac: string): Promise<Subscriber | null> {
    type Row = { site_id: string; email_hmac: string; state: Subscriber['state']; confirm_sent_at: number | null; confirmed_at: number | null };
    const r = await one<Row>(this.pool, S.subscriber, [siteId, emailHmac]);
    return r ? { siteId: r.site_id, emailHmac: r.email_hmac, state: r.state, confirmSentAt: r.confirm_sent_at, confirmedAt: r.confirmed_at } : null;
  }

  async confirm(siteId: string, emailHmac: string, now: number): Promise<boolean> {
    return (await run(this.pool, S.confirm, [siteId, emailHmac, now])) > 0;
  }

  async unsubscribe(siteId: string, emailHmac: string, pageId: number | null, now: number): Promise<void> {
    if (pageId === null) await run(this.pool, S.unsubscribeSite, [siteId, emailHmac, now]);
    else await run(this.pool, S.unsubscribeThread, [siteId, emailHmac, pageId, now]);
  }

  async threadUnsubscribed(siteId: string, emailHmac: string, pageId: number): Promise<boolean> {
    return (await one(this.pool, S.threadUnsubscribed, [siteId, emailHmac, pageId])) !== undefined;
  }

  async watcherOf(commentId: string): Promise<{ emailHmac: string } | null> {
    const r = await one<{ email_hmac: string }>(this.pool, S.watcher, [commentId]);
    return r ? { emailHmac: r.email_hmac } : null;
  }

  async enqueue(d: NewDelivery, now: number): Promise<void> {
    await transaction(this.pool, (c) => this.enqueue1(c, d, now));
  }

  async page(pageId: number): Promise<PageInfo | null> {
    return (await one<PageInfo>(this.pool, S.page, [pageId])) ?? null;
  }

  async commentsByAuthor(siteId: string, emailHmac: string): Promise<AuthoredComment[]> {
    return (await rows<AuthoredRow>(this.pool, S.byAuthor, [emailHmac, siteId])).map(toAuthoredComment);
  }

  async actionLink(id: string): Promise<ActionLink | null> {
    const r = await one<ActionLinkRow>(this.pool, S.link, [id]);
    return r ? toActionLink(r) : null;
  }

  async useActionLink(id: string, action: string, now: number): Promise<boolean> {
    return (await run(this.pool, S.useLink, [id, action, now])) > 0;
  }
}
