// Notifier: fans journal entries out into the outbox, then delivers what is due, with retries and backoff.
import type { Repositories } from '../ports';
import type { Privacy } from '../privacy';
import type { Site } from '../types';
import { FanOut } from './fan-out';
import { MailComposer } from './messages';
import { signWebhook } from './signature';
import { describeFailure, WebhookTargetRefused, type MailTransport, type WebhookTransport } from './transports';
import type { AttemptOutcome, Delivery, FanOutPlan, NotificationRepository } from './types';

export interface RetryPolicy {
  /** Delay after the first failure; each later one doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this long since it was made, a delivery that still fails is given up. */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 30_000, maxDelayMs: 2 * 60 * 60_000, giveUpAfterMs: 24 * 60 * 60_000 };

/** Exponential backoff with jitter: between half and all of base·2^(n−1), so failed receivers are not hit in step. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

export interface NotifierDeps {
  repos: Repositories;
  notifications: NotificationRepository;
  privacy: Privacy;
  publicUrl: string;
  mail: MailTransport | null;
  webhooks: WebhookTransport;
  retry?: RetryPolicy;
  /** How many deliveries are sent at once. */
  concurrency?: number;
  onError?: (err: unknown, what: string) => void;
  /** Told after each delivery attempt (metrics, logs): never the address. */
  onAttempt?: (d: Delivery, outcome: AttemptOutcome) => void;
}

const JOURNAL_BATCH = 200;

const isEmpty = (p: FanOutPlan) => p.deliveries.length === 0 && !p.subscribe && !p.watch && !(p.actionLinks?.length);

/** How long a wake waits for others to join it; a notification goes out this much later at most. */
const WAKE_COALESCE_MS = 20;

export class Notifier {
  private readonly fanOut: FanOut;
  private readonly composer: MailComposer;
  private readonly retry: RetryPolicy;
  private readonly host: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** A pass asked for and about to start: later wakes before it join it. */
  private soon: NodeJS.Timeout | null = null;
  private started = false;

  constructor(private readonly deps: NotifierDeps) {
    this.fanOut = new FanOut({ repos: deps.repos, notifications: deps.notifications, privacy: deps.privacy, mail: deps.mail !== null });
    this.composer = new MailComposer({ privacy: deps.privacy, publicUrl: deps.publicUrl });
    this.retry = deps.retry ?? DEFAULT_RETRY;
    this.host = new URL(deps.publicUrl).hostname || 'marginalia';
  }

  get mailEnabled(): boolean {
    return this.deps.mail !== null;
  }

  get composerFor(): MailComposer {
    return this.composer;
  }

  /** Fans out every journal entry, then sends every delivery due at `now`, once. Returns how many were attempted. */
  async runOnce(now: number = Date.now()): Promise<{ fannedOut: number; attempted: number }> {
    let fannedOut = 0;
    for (let more = true; more; ) {
      const entries = await this.deps.notifications.journal(JOURNAL_BATCH);
      // A short batch drained the journal: entries written since have woken the worker for another pass.
      more = entries.length === JOURNAL_BATCH;
      // Most entries lead to nothing (no webhook, no mail): those are removed together, one commit for all of them.
      const nothing: number[] = [];
      for (const e of entries) {
        const plan = await this.fanOut.plan(e, now);
        if (isEmpty(plan)) nothing.push(e.id);
        else if (await this.deps.notifications.applyFanOut(e.id, plan, now)) fannedOut++;
      }
      if (nothing.length > 0) fannedOut += await this.deps.notifications.dropEntries(nothing);
    }
    let attempted = 0;
    const batch = this.deps.concurrency ?? 16;
    for (;;) {
      const due = await this.deps.notifications.claimDue(now, batch, now + 5 * 60_000);
      if (due.length === 0) break;
      await Promise.all(due.map((d) => this.attempt(d, now)));
      attempted += due.length;
    }
    return { fannedOut, attempted };
  }

  private async attempt(d: Delivery, now: number): Promise<void> {
    let outcome: AttemptOutcome;
    try {
      outcome = await this.send(d, now);
    } catch (err) {
      outcome = this.failure(d, now, null, describeFailure(err), !(err instanceof WebhookTargetRefused));
    }
    try {
      await this.deps.notifications.recordAttempt(d.id, outcome, now);
      this.deps.onAttempt?.(d, outcome);
    } catch (err) {
      this.deps.onError?.(err, 'recording a delivery attempt');
    }
  }

  private failure(d: Delivery, now: number, status: number | null, error: string, retry: boolean): AttemptOutcome {
    if (!retry) return { state: 'failed', status, error };
    const next = now + retryDelay(this.retry, d.attempts + 1);
    if (next > d.createdAt + this.retry.giveUpAfterMs) return { state: 'failed', status, error: `${error}; gave up after 24 h` };
    return { state: 'pending', nextAttemptAt: next, status, error };
  }

  private async send(d: Delivery, now: number): Promise<AttemptOutcome> {
    const site = await this.deps.repos.sites.get(d.siteId);
    if (!site) return { state: 'cancelled', status: null, error: 'site removed' };
    return d.channel === 'webhook' ? this.sendWebhook(d, site, now) : this.sendMail(d, site, now);
  }

  private async sendWebhook(d: Delivery, site: Site, now: number): Promise<AttemptOutcome> {
    // The secret is read at send time: a rotated secret signs what is still waiting; a removed webhook gets nothing.
    const hook = site.settings.webhooks.find((h) => h.url === d.target);
    if (!hook) return { state: 'cancelled', status: null, error: 'webhook removed from the site settings' };
    const body = JSON.stringify({ ...d.payload, deliveryId: d.deliveryId });
    const res = await this.deps.webhooks.post(hook.url, body, {
      'content-type': 'application/json',
      'user-agent': 'Marginalia-Webhooks/1',
      'marginalia-event': d.topic,
      'marginalia-delivery': d.deliveryId,
      'marginalia-signature': signWebhook(hook.secret, body, Math.floor(now / 1000)),
    });
    if (res.status >= 200 && res.status < 300) return { state: 'delivered', status: res.status };
    // 3xx too: redirects are not followed, a receiver must answer at the configured URL.
    return this.failure(d, now, res.status, `answered ${res.status}`, true);
  }

  private async sendMail(d: Delivery, site: Site, now: number): Promise<AttemptOutcome> {
    if (!this.deps.mail || !d.recipientEnc) return { state: 'cancelled', status: null, error: 'mail is not configured' };
    if (d.topic === 'reply') {
      // An address that unsubscribed while the mail waited gets nothing.
      const h = String(d.payload.emailHmac);
      const sub = await this.deps.notifications.subscriber(site.id, h);
      if (sub?.state !== 'confirmed') return { state: 'cancelled', status: null, error: 'unsubscribed' };
      if (await this.deps.notifications.threadUnsubscribed(site.id, h, Number(d.payload.pageId)))
        return { state: 'cancelled', status: null, error: 'unsubscribed from the thread' };
    }
    const parts = this.composer.compose(d, site, now);
    await this.deps.mail.send({
      to: this.deps.privacy.decryptEmail(d.recipientEnc),
      subject: parts.subject,
      text: parts.text,
      html: parts.html,
      headers: { ...parts.headers, 'X-Marginalia-Delivery': d.deliveryId },
      messageId: `<${d.deliveryId}@${this.host}>`,
    });
    return { state: 'delivered', status: null };
  }

  /** Starts delivering in the background: now, whenever `wake()` is called, and when the next retry is due. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // One process owns a SQLite file: whatever a killed predecessor left half-sent is sent again (same delivery id).
    // A store shared by replicas gives back only claims whose lease ran out (another replica may be sending the rest).
    await this.deps.notifications.releaseClaims(Date.now(), true);
    this.wake();
  }

  wake(): void {
    if (!this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soon) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // A burst of writes (every post wakes the worker) makes one pass over all its entries, not one pass per write:
    // the journal read, the claim and the next-due query would otherwise run once per comment.
    this.soon = setTimeout(() => {
      this.soon = null;
      this.run();
    }, WAKE_COALESCE_MS);
  }

  private run(): void {
    if (!this.started) return;
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.runOnce(Date.now());
        } catch (err) {
          this.deps.onError?.(err, 'delivering notifications');
        }
      } while (this.again && this.started);
    })().finally(() => {
      this.running = null;
      void this.schedule();
    });
  }

  private async schedule(): Promise<void> {
    if (!this.started) return;
    const next = await this.deps.notifications.nextDueAt().catch(() => null);
    // Also a slow poll, for entries written by another process sharing the file (the CLI).
    const delay = Math.max(50, Math.min(next === null ? 5000 : next - Date.now(), 5000));
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  /** Stops scheduling and waits for the attempts under way. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.soon = null;
    this.timer = null;
    await this.running;
    this.deps.mail?.close?.();
  }
}
