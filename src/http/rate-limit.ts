// HTTP: rate limits with express-rate-limit, limits read from the site's settings, counters behind a Store.
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator, MemoryStore, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { SiteSettings } from '../domain/settings';
import { tooManyRequests } from '../domain/errors';

/** Makes one counter store per limiter; a Redis-backed factory slots in here for replicas. */
export type RateLimitStoreFactory = (name: string) => Store;
export const memoryStores: RateLimitStoreFactory = () => new MemoryStore();

/**
 * Counters in Redis, shared by every replica: one address's sixth post is refused whichever replica it reaches.
 * The limiters named in `perReplica` keep counting in memory: a cached read must not wait on a round trip, so a
 * reader spread over N replicas may make up to N times readsPerMinute.
 */
export function redisStores(sendCommand: (...args: string[]) => Promise<never>, prefix: string, perReplica: string[] = ['reads']): RateLimitStoreFactory {
  return (name) => (perReplica.includes(name) ? new MemoryStore() : new RedisStore({ sendCommand, prefix: `${prefix}rl:${name}:` }));
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
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : opts.windowMs / 1000;
      next(tooManyRequests(`Too many requests; try again in ${seconds} s.`, seconds));
    },
  });
}
