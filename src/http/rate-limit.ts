// HTTP: rate limits with express-rate-limit, limits read from the site's settings, counters behind a Store.
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { SiteSettings } from '../domain/settings';
import { sharedStateUnavailable, tooManyRequests } from '../domain/errors';

/** Makes one counter store per limiter; a Redis-backed factory slots in here for replicas. */
export type RateLimitStoreFactory = (name: string) => Store;

/** Clients counted at once per limiter: about 2 MB of counters at most (docs/memory.md). */
export const MAX_COUNTED_CLIENTS = 10_000;

/**
 * Fixed-window counters in memory, at most `maxKeys` of them. Every window of a store has the same length, so Map
 * order (a key is re-inserted when its window starts) is the order windows end: expired ones are dropped from the
 * front as new ones start, and past the bound the oldest window is forgotten (that client starts a fresh one).
 */
export class BoundedMemoryStore implements Store {
  readonly localKeys = true;
  private windowMs = 60_000;
  private readonly clients = new Map<string, { hits: number; resetAt: number }>();

  constructor(
    readonly maxKeys: number = MAX_COUNTED_CLIENTS,
    private readonly now: () => number = Date.now,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private live(key: string) {
    const c = this.clients.get(key);
    return c && c.resetAt > this.now() ? c : undefined;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const c = this.live(key);
    return c && { totalHits: c.hits, resetTime: new Date(c.resetAt) };
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const now = this.now();
    let c = this.clients.get(key);
    if (!c || c.resetAt <= now) {
      this.clients.delete(key);
      c = { hits: 0, resetAt: now + this.windowMs };
      this.clients.set(key, c);
      this.prune(now);
    }
    c.hits++;
    return { totalHits: c.hits, resetTime: new Date(c.resetAt) };
  }

  private prune(now: number): void {
    for (const [key, c] of this.clients) {
      if (c.resetAt > now && this.clients.size <= this.maxKeys) return;
      this.clients.delete(key);
    }
  }

  async decrement(key: string): Promise<void> {
    const c = this.live(key);
    if (c && c.hits > 0) c.hits--;
  }

  async resetKey(key: string): Promise<void> {
    this.clients.delete(key);
  }

  async resetAll(): Promise<void> {
    this.clients.clear();
  }

  /** Counters held now (for tests of the bound). */
  get size(): number {
    return this.clients.size;
  }
}

export const memoryStores: RateLimitStoreFactory = () => new BoundedMemoryStore();

/**
 * Counters in Redis, shared by every replica: one address's sixth post is refused whichever replica it reaches.
 * The limiters named in `perReplica` keep counting in memory: a cached read must not wait on a round trip, so a
 * reader spread over N replicas may make up to N times readsPerMinute.
 */
export function redisStores(sendCommand: (...args: string[]) => Promise<never>, prefix: string, perReplica: string[] = ['reads']): RateLimitStoreFactory {
  return (name) => (perReplica.includes(name) ? new BoundedMemoryStore() : new SharedCounters({ sendCommand, prefix: `${prefix}rl:${name}:` }));
}

/** While Redis does not answer, a limited request is refused as unavailable (503), never let through uncounted. */
class SharedCounters extends RedisStore {
  override async increment(key: string): Promise<ClientRateLimitInfo> {
    try {
      return await super.increment(key);
    } catch {
      throw sharedStateUnavailable();
    }
  }
}

type Limits = SiteSettings['rateLimits'];

export function siteLimiter(opts: {
  name: string;
  windowMs: number;
  limit: (limits: Limits) => number;
  /** Defaults to the site and the client address. */
  key?: (req: Request, res: Response) => string;
  stores: RateLimitStoreFactory;
}): RequestHandler {
  return rateLimit({
    windowMs: opts.windowMs,
    limit: (_req, res) => opts.limit((res.locals.settings as SiteSettings).rateLimits),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: opts.stores(opts.name),
    keyGenerator: opts.key ?? ((req, res) => `${res.locals.siteId}:${ipKeyGenerator(req.ip ?? '')}`),
    handler: (req, res, next) => {
      // Counted by the metrics middleware when the answer goes out.
      res.locals.rateLimited = opts.name;
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : opts.windowMs / 1000;
      next(tooManyRequests(`Too many requests; try again in ${seconds} s.`, seconds));
    },
  });
}
