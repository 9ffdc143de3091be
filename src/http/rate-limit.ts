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

  /** Counts one request now; what `increment` does, without a promise or a Date. */
  hit(key: string, now: number = this.now()): { readonly hits: number; readonly resetAt: number } {
    let c = this.clients.get(key);
    if (!c || c.resetAt <= now) {
      this.clients.delete(key);
      c = { hits: 0, resetAt: now + this.windowMs };
      this.clients.set(key, c);
      this.prune(now);
    }
    c.hits++;
    return c;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const c = this.hit(key);
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

interface LimiterOptions {
  name: string;
  windowMs: number;
  limit: (limits: Limits) => number;
  /** Defaults to the site and the client address. */
  key?: (req: Request, res: Response) => string;
  stores: RateLimitStoreFactory;
}

const siteAndAddress = (req: Request, res: Response) => `${res.locals.siteId}:${ipKeyGenerator(req.ip ?? '')}`;

/** The refusal: a 429 problem whose Retry-After says when the window ends. */
function refuse(name: string, res: Response, next: (err: unknown) => void, seconds: number): void {
  // Counted by the metrics middleware when the answer goes out.
  res.locals.rateLimited = name;
  next(tooManyRequests(`Too many requests; try again in ${seconds} s.`, seconds));
}

export function siteLimiter(opts: LimiterOptions): RequestHandler {
  const store = opts.stores(opts.name);
  if (store instanceof BoundedMemoryStore) return localLimiter(store, opts);
  return rateLimit({
    windowMs: opts.windowMs,
    limit: (_req, res) => opts.limit((res.locals.settings as SiteSettings).rateLimits),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store,
    keyGenerator: opts.key ?? siteAndAddress,
    handler: (req, res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : opts.windowMs / 1000;
      refuse(opts.name, res, next, seconds);
    },
  });
}

/**
 * The same fixed window, headers (IETF draft 7) and refusal as express-rate-limit gives over this store, counted in
 * one synchronous step. Every cached read passes a limiter, and the library's promises, Dates and per-request
 * checks cost about a tenth of a cache hit (docs/performance.md); counters shared through Redis still go through
 * the library.
 */
function localLimiter(store: BoundedMemoryStore, opts: LimiterOptions): RequestHandler {
  store.init({ windowMs: opts.windowMs } as Options);
  const key = opts.key ?? siteAndAddress;
  const policySuffix = `;w=${Math.ceil(opts.windowMs / 1000)}`;
  return (req, res, next) => {
    const limit = opts.limit((res.locals.settings as SiteSettings).rateLimits);
    const now = Date.now();
    const { hits, resetAt } = store.hit(key(req, res), now);
    const reset = Math.max(0, Math.ceil((resetAt - now) / 1000));
    res.setHeader('RateLimit-Policy', limit + policySuffix);
    res.setHeader('RateLimit', `limit=${limit}, remaining=${Math.max(limit - hits, 0)}, reset=${reset}`);
    if (hits > limit) refuse(opts.name, res, next, Math.max(1, reset));
    else next();
  };
}
