// Live updates: what readers of a page should see change while they read it, worked out from the domain events.
// A comment that just became public is a `comment`; an edit, a vote, a feature or a comment leaving public view is
// an `update`. Pending comments never appear. The last events are kept in a ring, so a reader who lost the
// connection resumes with what they missed.
import type { DomainEvent, DomainEvents } from './events';
import type { Repositories } from './ports';
import type { Comment, Site } from './types';

export interface LiveEvent {
  /** `<epoch>.<seq>`: the epoch tells one process run from another, so a stale id is never taken for a new one. */
  id: string;
  seq: number;
  siteId: string;
  pageKey: string;
  kind: 'comment' | 'update';
  /** The comment as it is now (shown only when approved), or only its id when it left public view. */
  comment: Comment | { id: string; removed: true };
  maxDepth: number;
}

export type Resume = { events: LiveEvent[] } | { reset: true };

export interface LiveUpdatesOptions {
  /** How many recent events are kept for resuming, across all sites (memory is bounded by this). */
  keep?: number;
  onError?: (err: unknown) => void;
}

type Deps = { events: DomainEvents; repos: Pick<Repositories, 'comments' | 'pages' | 'sites'> };

const PAGE_KEYS_KEPT = 10_000;

export class LiveUpdates {
  private readonly epoch = Date.now().toString(36);
  private readonly ring: LiveEvent[] = [];
  private readonly keep: number;
  private seq = 0;
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  /** Page keys never change: remembered by id, the oldest forgotten first. */
  private readonly pageKeys = new Map<number, string>();
  /** Events are worked out one after another, so readers get them in the order the changes happened. */
  private queue: Promise<void> = Promise.resolve();
  private readonly off: () => void;

  constructor(
    private readonly deps: Deps,
    private readonly options: LiveUpdatesOptions = {},
  ) {
    this.keep = options.keep ?? 1000;
    const offs = [
      deps.events.on('comment.created', (e, written) => this.enqueue(e, written)),
      deps.events.on('comments.changed', (e) => this.enqueue(e)),
    ];
    this.off = () => offs.forEach((f) => f());
  }

  /** Hears every live event of every page; returns the function that stops it. */
  listen(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every event emitted so far has been worked out (for tests and orderly shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  close(): void {
    this.off();
    this.listeners.clear();
  }

  /**
   * The events of a page after `lastId`. A reset when the id is from another run or older than the ring: the
   * reader must load the thread again. Null when `lastId` is not an id at all (nothing to resume).
   */
  since(siteId: string, pageKey: string, lastId: string): Resume | null {
    const m = /^([0-9a-z]{1,12})\.(\d{1,15})$/.exec(lastId);
    if (!m) return null;
    const seq = Number(m[2]);
    if (m[1] !== this.epoch || seq > this.seq) return { reset: true };
    const oldest = this.ring.length ? this.ring[0].seq : this.seq + 1;
    if (seq < oldest - 1) return { reset: true };
    return { events: this.ring.filter((e) => e.seq > seq && e.siteId === siteId && e.pageKey === pageKey) };
  }

  private enqueue(e: DomainEvent, written?: Comment): void {
    this.queue = this.queue.then(() => this.handle(e, written)).catch((err) => this.options.onError?.(err));
  }

  private async handle(e: DomainEvent, written?: Comment): Promise<void> {
    if (e.type === 'comment.created') {
      if (e.status !== 'approved') return;
      // A later change to it comes as its own event, after this one.
      const c = written ?? (await this.deps.repos.comments.get(e.commentId));
      if (c && c.status === 'approved') await this.publish('comment', c);
      return;
    }
    if (e.type !== 'comments.changed') return;
    const moved = new Map((e.statusChanges ?? []).map((s) => [s.commentId, s]));
    for (const id of e.commentIds) {
      const c = await this.deps.repos.comments.get(id);
      if (!c || c.siteId !== e.siteId) continue;
      const s = moved.get(id);
      if (s) {
        const was = s.from === 'approved';
        const is = s.to === 'approved';
        if (is && !was) await this.publish('comment', c);
        else if (was && !is) await this.publish('update', c, { id, removed: true });
      } else if (c.status === 'approved') await this.publish('update', c);
    }
  }

  private async publish(kind: LiveEvent['kind'], c: Comment, body: LiveEvent['comment'] = c): Promise<void> {
    const [pageKey, site] = await Promise.all([this.pageKey(c.pageId), this.deps.repos.sites.get(c.siteId)]);
    if (pageKey === null || !site) return;
    const seq = ++this.seq;
    const event: LiveEvent = { id: `${this.epoch}.${seq}`, seq, siteId: c.siteId, pageKey, kind, comment: body, maxDepth: maxDepthOf(site) };
    this.ring.push(event);
    if (this.ring.length > this.keep) this.ring.shift();
    for (const l of this.listeners) l(event);
  }

  private async pageKey(pageId: number): Promise<string | null> {
    const known = this.pageKeys.get(pageId);
    if (known !== undefined) return known;
    const page = await this.deps.repos.pages.byId(pageId);
    if (!page) return null;
    if (this.pageKeys.size >= PAGE_KEYS_KEPT) this.pageKeys.delete(this.pageKeys.keys().next().value as number);
    this.pageKeys.set(pageId, page.key);
    return page.key;
  }
}

const maxDepthOf = (site: Site) => site.settings.maxDepth;
