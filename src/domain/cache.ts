// Public answers (threads, counts, feeds) kept in memory within a byte budget, least recently used out first, each
// dropped as soon as a write changes what it was built from. One process is exact; with replicas, every replica's
// writes reach every cache as events (Redis pub/sub), and while that link is down the cache answers nothing from memory.
import { Lru } from './lru';
import type { DomainEvent } from './events';

/** What an answer was built from, so a write can drop exactly the answers it changes. */
export interface AnswerScope {
  /** Pages whose comments or fields the answer shows. */
  pageIds: readonly number[];
  /** The answer shows a page that did not exist yet (an empty thread, a zero count): a new page may change it. */
  newPages: boolean;
  /** The answer shows every page of the site (the site's feed). */
  allPages: boolean;
}

/** What a write changed on a site, as the cache needs to know it. */
export type Change = { site: true } | { pageIds: readonly number[]; pageMayBeNew: boolean };

/** As narrow as the event allows: a page's change stales that page's answers and the site-wide ones that show it. */
export function changeOf(e: DomainEvent): Change {
  switch (e.type) {
    case 'comment.created':
      return { pageIds: [e.pageId], pageMayBeNew: e.newPage ?? true };
    case 'comments.changed':
      return e.pageIds === null ? { site: true } : { pageIds: e.pageIds, pageMayBeNew: false };
    case 'page.changed':
      // A moderator may close or title a page nobody has commented on yet, which creates it.
      return { pageIds: [e.pageId], pageMayBeNew: true };
    case 'site.changed':
      return { site: true };
  }
}

/** What a link to other replicas needs of the cache: to stop answering from memory while it may miss their writes. */
export interface SuspendableCache {
  suspend(): void;
  resume(): void;
}

export interface CacheStats {
  maxBytes: number;
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  /** Entries pushed out to make room. */
  evictions: number;
  /** Entries dropped because a write made them stale. */
  invalidated: number;
  /** Answers served but not stored: larger than the share of the budget one answer may take. */
  oversize: number;
}

export interface AnswerCacheOptions<V> {
  maxBytes: number;
  /** Largest share of the budget one answer may take; larger ones are served and not kept. */
  maxShare?: number;
  /** Bytes the value holds (its body); the cache adds its own bookkeeping. */
  sizeOf: (value: V) => number;
  /** Hears the stats after a miss, at most once per `statsEveryMs` (the log at debug level). */
  onStats?: (stats: CacheStats) => void;
  statsEveryMs?: number;
  now?: () => number;
}

const ALL = 'all';
const NEW = 'new';
const pageTag = (id: number) => `p${id}`;
/** Map slots, the key and tag strings, the index sets: measured roughly, rounded up. */
const ENTRY_OVERHEAD = 320;
const TAG_OVERHEAD = 96;

interface Entry<V> {
  siteId: string;
  tags: string[];
  value: V;
}

/** A build in flight: the tags invalidated since it started reading, so it never stores a stale answer. */
interface Build {
  siteId: string;
  dropped: Set<string> | 'site';
}

function tagsOf(scope: AnswerScope): string[] {
  const tags = scope.pageIds.map(pageTag);
  if (scope.newPages) tags.push(NEW);
  if (scope.allPages) tags.push(ALL);
  return tags;
}

export class AnswerCache<V> implements SuspendableCache {
  private readonly lru: Lru<string, Entry<V>>;
  /** siteId → tag → keys of the entries that carry it; '' holds every key of the site. */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  private readonly builds = new Set<Build>();
  private readonly maxEntryBytes: number;
  private counters = { hits: 0, misses: 0, evictions: 0, invalidated: 0, oversize: 0 };
  private statsAt = -Infinity;
  private suspended = false;

  constructor(private readonly opts: AnswerCacheOptions<V>) {
    this.maxEntryBytes = Math.floor(opts.maxBytes * (opts.maxShare ?? 1 / 8));
    this.lru = new Lru<string, Entry<V>>({
      maxBytes: opts.maxBytes,
      sizeOf: (e, key) => this.entryBytes(key, e),
      onEvict: (key, e) => {
        this.counters.evictions++;
        this.unindex(key, e);
      },
    });
  }

  private entryBytes(key: string, e: Entry<V>): number {
    return this.opts.sizeOf(e.value) + key.length * 2 + ENTRY_OVERHEAD + e.tags.length * TAG_OVERHEAD;
  }

  /** The stored answer, or the one `build` makes (stored unless a write landed while it was being built). */
  async getOrBuild(siteId: string, key: string, build: () => Promise<{ value: V; scope: AnswerScope }>): Promise<V> {
    const full = `${siteId}\0${key}`;
    const hit = this.suspended ? undefined : this.lru.get(full);
    if (hit) {
      this.counters.hits++;
      return hit.value;
    }
    this.counters.misses++;
    const b: Build = { siteId, dropped: new Set() };
    this.builds.add(b);
    try {
      const { value, scope } = await build();
      const tags = tagsOf(scope);
      const stale = b.dropped === 'site' || tags.some((t) => (b.dropped as Set<string>).has(t));
      if (!stale && !this.suspended) this.store(full, { siteId, tags, value });
      this.report();
      return value;
    } finally {
      this.builds.delete(b);
    }
  }

  private report(): void {
    if (!this.opts.onStats) return;
    const now = (this.opts.now ?? Date.now)();
    if (now - this.statsAt < (this.opts.statsEveryMs ?? 60_000)) return;
    this.statsAt = now;
    this.opts.onStats(this.stats());
  }

  private store(key: string, e: Entry<V>): void {
    if (this.entryBytes(key, e) > this.maxEntryBytes) {
      this.counters.oversize++;
      return;
    }
    const old = this.lru.peek(key);
    if (old) this.unindex(key, old);
    this.lru.set(key, e);
    let site = this.index.get(e.siteId);
    if (!site) this.index.set(e.siteId, (site = new Map()));
    for (const tag of ['', ...e.tags]) {
      let keys = site.get(tag);
      if (!keys) site.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, e: Entry<V>): void {
    const site = this.index.get(e.siteId);
    if (!site) return;
    for (const tag of ['', ...e.tags]) {
      const keys = site.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) site.delete(tag);
    }
    if (site.size === 0) this.index.delete(e.siteId);
  }

  /** Drops (and frees) every answer the change makes stale, and keeps builds in flight from storing one. */
  invalidate(siteId: string, change: Change): void {
    const tags = 'site' in change ? [''] : [ALL, ...(change.pageMayBeNew ? [NEW] : []), ...change.pageIds.map(pageTag)];
    for (const b of this.builds) {
      if (b.siteId !== siteId || b.dropped === 'site') continue;
      if ('site' in change) b.dropped = 'site';
      else for (const t of tags) b.dropped.add(t);
    }
    const site = this.index.get(siteId);
    if (!site) return;
    for (const tag of tags) {
      for (const key of [...(site.get(tag) ?? [])]) {
        const e = this.lru.peek(key);
        if (!e) continue;
        this.lru.delete(key);
        this.unindex(key, e);
        this.counters.invalidated++;
      }
    }
  }

  stats(): CacheStats {
    return { maxBytes: this.opts.maxBytes, bytes: this.lru.bytes, entries: this.lru.size, ...this.counters };
  }

  /** Stops serving and keeping answers: other replicas' writes may be going unheard. */
  suspend(): void {
    this.suspended = true;
    this.dropAll();
  }

  /** Serves answers again, starting from nothing (whatever was missed is not in memory). */
  resume(): void {
    this.dropAll();
    this.suspended = false;
  }

  private dropAll(): void {
    // A build that started before now may have read what the unheard writes changed.
    for (const b of this.builds) b.dropped = 'site';
    this.counters.invalidated += this.lru.size;
    this.lru.clear();
    this.index.clear();
  }
}
