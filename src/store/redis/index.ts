// Store: what replicas share through Redis — rate-limit counters, post locks, and the domain events that keep every
// replica's answer cache and site directory current. Keys and channels are under REDIS_PREFIX.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import type { DomainEvent, DomainEvents } from '../../domain/events';
import type { KeyedLocks } from '../../domain/locks';
import { LocalLocks } from '../../domain/locks';
import type { SuspendableCache } from '../../domain/cache';
import { AppError, sharedStateUnavailable } from '../../domain/errors';

export interface SharedState {
  locks: KeyedLocks;
  /** A raw-command sender for express-rate-limit's Redis store. */
  sendCommand: (...args: string[]) => Promise<never>;
  prefix: string;
  shareState: (local: { events: DomainEvents; answers: SuspendableCache }) => void;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface RedisLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

// Takes every key or none: a post's locks are one round trip.
const ACQUIRE = `for i, k in ipairs(KEYS) do if redis.call('EXISTS', k) == 1 then return 0 end end
for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) end
return 1`;
// Releases only what this holder still holds (a lock that outlived its time may be someone else's now).
const RELEASE = `local n = 0
for i, k in ipairs(KEYS) do if redis.call('GET', k) == ARGV[1] then n = n + redis.call('DEL', k) end end
return n`;

const LOCK_TTL_MS = 10_000;
const LOCK_WAIT_MS = 10_000;

class RedisLocks implements KeyedLocks {
  // Callers in this process queue locally first, so only one of them at a time polls Redis for a key.
  private readonly local = new LocalLocks();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  withLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    return this.local.withLocks(keys, async () => {
      const redisKeys = [...new Set(keys)].sort().map((k) => `${this.prefix}lock:${k}`);
      const token = crypto.randomBytes(12).toString('base64url');
      const deadline = Date.now() + LOCK_WAIT_MS;
      for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
        const taken = await this.redis.eval(ACQUIRE, redisKeys.length, ...redisKeys, token, String(LOCK_TTL_MS)).catch(() => {
          throw sharedStateUnavailable();
        });
        if (taken === 1) break;
        if (Date.now() > deadline) throw new AppError('busy', 503, 'Service Unavailable', 'The service is busy; try again in a moment.');
        await new Promise((r) => setTimeout(r, wait));
      }
      try {
        return await fn();
      } finally {
        // Not waited for: the answer need not wait a round trip, and this process's next holder of a key sends its
        // acquire on the same connection, so Redis runs this release first.
        void this.redis.eval(RELEASE, redisKeys.length, ...redisKeys, token).catch(() => undefined);
      }
    });
  }
}

interface Relayed {
  from: string;
  event: DomainEvent;
}

/** Connects to Redis (commands on one connection, the event channel on another) and waits until both answer. */
export async function connectRedis(url: string, prefix: string, log?: RedisLog): Promise<SharedState> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true };
  // Named, so an operator's CLIENT LIST shows which connections are whose.
  const name = prefix.replace(/[^\w:.-]/g, '_');
  // No auto-pipelining: it holds a command until the end of the event loop's turn, and a change's PUBLISH must leave
  // before the answer that reports the change does, so the other replicas hear of it before the client can ask them.
  const redis = new Redis(url, { ...options, connectionName: `${name}commands` });
  const sub = new Redis(url, { ...options, connectionName: `${name}events` });
  redis.on('error', () => {});
  sub.on('error', () => {});
  await Promise.all([redis.connect(), sub.connect()]);
  const channel = `${prefix}events`;
  const replica = crypto.randomBytes(8).toString('hex');
  let closed = false;

  return {
    prefix,
    locks: new RedisLocks(redis, prefix),
    sendCommand: ((...args: string[]) => redis.call(args[0], ...args.slice(1))) as (...args: string[]) => Promise<never>,
    shareState({ events, answers }) {
      // Events that came from another replica are told here, not sent back.
      const fromElsewhere = new WeakSet<DomainEvent>();
      events.onAny((event) => {
        if (fromElsewhere.has(event)) return;
        redis.publish(channel, JSON.stringify({ from: replica, event } satisfies Relayed)).catch((err: Error) => {
          log?.warn({ err: err.message }, 'could not tell the other replicas about a change');
        });
      });
      sub.on('message', (ch: string, text: string) => {
        if (ch !== channel) return;
        let msg: Relayed;
        try {
          msg = JSON.parse(text) as Relayed;
        } catch {
          return;
        }
        if (msg.from === replica || !msg.event || typeof msg.event.siteId !== 'string') return;
        fromElsewhere.add(msg.event);
        events.emit(msg.event);
      });
      // While the channel is down, changes made elsewhere go unheard: answer from the database until it is back.
      const subscribe = () =>
        sub.subscribe(channel).then(
          () => answers.resume(),
          () => answers.suspend(),
        );
      sub.on('close', () => {
        if (closed) return;
        answers.suspend();
        log?.warn({}, 'lost the Redis event channel; cached answers are off until it is back');
      });
      sub.on('ready', () => {
        void subscribe().then(() => log?.info({}, 'Redis event channel back; cached answers are on'));
      });
      answers.suspend();
      void subscribe();
    },
    async ping() {
      return (await redis.ping().catch(() => '')) === 'PONG';
    },
    async close() {
      closed = true;
      await Promise.allSettled([redis.quit(), sub.quit()]);
      // A connection that was reconnecting has no quit to wait for: stop its retries too.
      redis.disconnect();
      sub.disconnect();
    },
  };
}
