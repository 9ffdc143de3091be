// Wiring: with REDIS_URL, what the app must share with other replicas (rate limits, post locks, events) goes through
// Redis; without it, everything stays in this process.
import type { Config } from './config';
import type { Logger } from './log';
import type { AppDeps } from './app';
import { connectRedis } from './store/redis';
import { redisStores } from './http/rate-limit';

export interface SharedStateDeps extends Pick<AppDeps, 'rateLimitStores' | 'locks' | 'shareState'> {
  /** Where shared state lives, for the start-up log line. */
  sharedState: 'redis' | 'in-process';
  close(): Promise<void>;
}

export async function openSharedState(config: Pick<Config, 'redisUrl' | 'redisPrefix'>, logger: Logger): Promise<SharedStateDeps> {
  if (!config.redisUrl) return { sharedState: 'in-process', close: async () => {} };
  const shared = await connectRedis(config.redisUrl, config.redisPrefix, logger);
  return {
    sharedState: 'redis',
    rateLimitStores: redisStores(shared.sendCommand, shared.prefix),
    locks: shared.locks,
    shareState: shared.shareState,
    close: () => shared.close(),
  };
}
