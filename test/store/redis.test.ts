// The Redis side of replicas, on a real Redis: events relayed between two processes' buses, locks across them,
// and an answer cache that stops serving while its event channel is down.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { connectRedis, type SharedState } from '../../src/store/redis';
import { DomainEvents, type DomainEvent } from '../../src/domain/events';
import { AnswerCache, changeOf } from '../../src/domain/cache';
import { testRedisUrl } from '../helpers/stores';

let prefix: string;
let one: SharedState;
let two: SharedState;
const until = async (ok: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
};

const untilAsync = async (ok: () => Promise<boolean>, ms = 3000) => {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
};

beforeEach(async () => {
  prefix = `marginalia-test-${crypto.randomBytes(6).toString('hex')}:`;
  one = await connectRedis(testRedisUrl, prefix);
  two = await connectRedis(testRedisUrl, prefix);
});
afterEach(async () => {
  await one.close();
  await two.close();
  const redis = new Redis(testRedisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

function replica(shared: SharedState) {
  const events = new DomainEvents();
  const answers = new AnswerCache<string>({ maxBytes: 1 << 20, sizeOf: (v) => v.length });
  const heard: DomainEvent[] = [];
  events.onAny((e) => heard.push(e));
  events.onAny((e) => answers.invalidate(e.siteId, changeOf(e)));
  shared.shareState({ events, answers });
  // What a read answers: the stored answer, or `fresh` (stored when the cache keeps answers).
  const read = (fresh: string) => answers.getOrBuild('s', 'k', async () => ({ value: fresh, scope: { pageIds: [], allPages: true, newPages: false } }));
  return { events, answers, heard, read };
}

/** True once the cache keeps answers: a second read gets the first one's value back. */
async function caching(r: ReturnType<typeof replica>, value: string): Promise<boolean> {
  await r.read(value);
  return (await r.read('other')) === value;
}

describe('Redis shared state', () => {
  it('relays each event to the other replica once, and not back to its sender', async () => {
    const a = replica(one);
    const b = replica(two);
    await untilAsync(() => caching(a, 'x'));
    await untilAsync(() => caching(b, 'x'));
    a.events.emit({ type: 'site.changed', siteId: 's', at: 1 });
    await until(() => b.heard.length === 1);
    expect(b.heard[0]).toEqual({ type: 'site.changed', siteId: 's', at: 1 });
    expect(await b.read('fresh')).toBe('fresh');
    await new Promise((r) => setTimeout(r, 100));
    expect(a.heard).toHaveLength(1);
    expect(b.heard).toHaveLength(1);
  });

  it('ignores another deployment\'s events (another prefix) and messages that are not events', async () => {
    const b = replica(two);
    const other = await connectRedis(testRedisUrl, `${prefix}other:`);
    try {
      const o = replica(other);
      await new Promise((r) => setTimeout(r, 100));
      o.events.emit({ type: 'site.changed', siteId: 's', at: 1 });
      const raw = new Redis(testRedisUrl);
      await raw.publish(`${prefix}events`, 'not json');
      await raw.publish(`${prefix}events`, JSON.stringify({ from: 'x', event: { type: 'site.changed' } }));
      await raw.quit();
      await new Promise((r) => setTimeout(r, 150));
      expect(b.heard).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('lets one holder at a time into a keyed section across processes', async () => {
    const log: string[] = [];
    const section = (s: SharedState, name: string) =>
      s.locks.withLocks(['flood:site:ip'], async () => {
        log.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 50));
        log.push(`${name} out`);
      });
    await Promise.all([section(one, 'a'), section(two, 'b')]);
    expect([log.slice(0, 2), log.slice(2)].map((pair) => pair[0].split(' ')[0] === pair[1].split(' ')[0])).toEqual([true, true]);
    const redis = new Redis(testRedisUrl);
    expect(await redis.keys(`${prefix}lock:*`)).toEqual([]);
    await redis.quit();
  });

  it('stops serving cached answers while the event channel is down, and serves again once it is back', async () => {
    const a = replica(one);
    await untilAsync(() => caching(a, 'x'));
    const admin = new Redis(testRedisUrl);
    try {
      // Drop this prefix's event connections, as a network failure would; they reconnect by themselves.
      const lines = String(await admin.client('LIST')).split('\n').filter((l) => l.includes(` name=${prefix}events `));
      expect(lines).toHaveLength(2);
      for (const line of lines) await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]);
      // Suspended: every read is built afresh and nothing is kept.
      await untilAsync(async () => (await a.read('y')) === 'y' && (await a.read('y2')) === 'y2');
      // Back: answers are kept again.
      await untilAsync(() => caching(a, 'z'), 5000);
    } finally {
      await admin.quit();
    }
  });
});
