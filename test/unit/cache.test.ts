import { AnswerCache, changeOf, type AnswerScope } from '../../src/domain/cache';
import { Lru } from '../../src/domain/lru';

const page = (...pageIds: number[]): AnswerScope => ({ pageIds, newPages: false, allPages: false });
const KB = 1024;

/** A cache of strings whose size is their length, with a 100 KB budget unless told. */
function cacheOf(maxBytes = 100 * KB, maxShare?: number) {
  return new AnswerCache<string>({ maxBytes, maxShare, sizeOf: (v) => v.length });
}

/** Gets through the cache, counting how often the answer had to be built. */
function reader(cache: AnswerCache<string>) {
  const built: string[] = [];
  const read = (site: string, key: string, value: string, scope: AnswerScope = page(1)) =>
    cache.getOrBuild(site, key, async () => {
      built.push(`${site}/${key}`);
      return { value, scope };
    });
  return { read, built };
}

describe('Lru', () => {
  it('pushes out the least recently used entry, where a read counts as a use', () => {
    const lru = new Lru<string, number>({ maxEntries: 2 });
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // b is now the oldest
    lru.set('c', 3);
    expect([...lru.keys()]).toEqual(['a', 'c']);
    expect(lru.get('b')).toBeUndefined();
  });

  it('keeps its total within the byte budget and refuses a value larger than the whole budget', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, string>({ maxBytes: 10, sizeOf: (v) => v.length, onEvict: (k) => evicted.push(k) });
    lru.set('a', 'xxxx');
    lru.set('b', 'xxxx');
    lru.set('c', 'xxxx');
    expect(lru.bytes).toBe(8);
    expect(evicted).toEqual(['a']);
    expect(lru.set('huge', 'x'.repeat(11))).toBe(false);
    expect(lru.has('huge')).toBe(false);
    expect(lru.bytes).toBe(8);
  });

  it('counts a replaced value once', () => {
    const lru = new Lru<string, string>({ maxBytes: 100, sizeOf: (v) => v.length });
    lru.set('a', 'xxxx');
    lru.set('a', 'xx');
    expect(lru.bytes).toBe(2);
    expect(lru.size).toBe(1);
  });
});

describe('AnswerCache', () => {
  it('answers a repeated question from memory and counts hits and misses', async () => {
    const cache = cacheOf();
    const { read, built } = reader(cache);
    expect(await read('a', 'k', 'v1')).toBe('v1');
    expect(await read('a', 'k', 'never built')).toBe('v1');
    expect(built).toEqual(['a/k']);
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
    expect(cache.stats().bytes).toBeGreaterThanOrEqual(2);
  });

  it('keeps the bytes it holds within its budget, pushing out the least recently used answers', async () => {
    const cache = cacheOf(100 * KB);
    const { read, built } = reader(cache);
    const ten = 'x'.repeat(10 * KB);
    for (let i = 0; i < 9; i++) await read('a', `k${i}`, ten);
    await read('a', 'k0', ten); // k0 used again: k1 is now the oldest
    for (let i = 9; i < 30; i++) await read('a', `k${i}`, ten);
    const s = cache.stats();
    expect(s.bytes).toBeLessThanOrEqual(100 * KB);
    expect(s.entries).toBeLessThan(10);
    expect(s.evictions).toBe(30 - s.entries);
    // The most recent ones are still there.
    built.length = 0;
    await read('a', 'k29', ten);
    await read('a', 'k28', ten);
    expect(built).toEqual([]);
  });

  it('evicts in order of last use, not of storing', async () => {
    const cache = cacheOf(40 * KB, 1);
    const { read, built } = reader(cache);
    const ten = 'x'.repeat(10 * KB);
    await read('a', 'old', ten);
    await read('a', 'mid', ten);
    await read('a', 'old', ten); // a hit: mid becomes the least recently used
    await read('a', 'new', ten);
    await read('a', 'newer', ten); // over budget: one must go
    built.length = 0;
    await read('a', 'old', ten);
    expect(built).toEqual([]);
    await read('a', 'mid', ten);
    expect(built).toEqual(['a/mid']);
  });

  it('serves an answer larger than its share of the budget without keeping it', async () => {
    const cache = cacheOf(100 * KB, 1 / 4);
    const { read, built } = reader(cache);
    const big = 'x'.repeat(30 * KB);
    expect(await read('a', 'big', big)).toBe(big);
    expect(await read('a', 'big', big)).toBe(big);
    expect(built).toEqual(['a/big', 'a/big']);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0, oversize: 2 });
    // Within the share it is kept.
    await read('a', 'fits', 'x'.repeat(20 * KB));
    expect(cache.stats().entries).toBe(1);
  });

  it('keeps nothing with a budget of zero', async () => {
    const cache = cacheOf(0);
    const { read, built } = reader(cache);
    await read('a', 'k', 'v');
    await read('a', 'k', 'v');
    expect(built).toHaveLength(2);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('frees the answers of the changed page and of the site-wide ones, keeping other pages and sites', async () => {
    const cache = cacheOf();
    const { read, built } = reader(cache);
    await read('a', 'thread1', 't1', page(1));
    await read('a', 'thread2', 't2', page(2));
    await read('a', 'counts12', 'c', page(1, 2));
    await read('a', 'counts2', 'c2', page(2));
    await read('a', 'feed', 'f', { pageIds: [], newPages: false, allPages: true });
    await read('a', 'empty', 'e', { pageIds: [], newPages: true, allPages: false });
    await read('b', 'thread1', 'other site', page(1));
    const before = cache.stats();

    cache.invalidate('a', { pageIds: [1], pageMayBeNew: false });
    const after = cache.stats();
    expect(after.entries).toBe(before.entries - 3); // thread1, counts12, feed
    expect(after.bytes).toBeLessThan(before.bytes);
    expect(after.invalidated).toBe(3);

    built.length = 0;
    for (const [site, key] of [['a', 'thread1'], ['a', 'thread2'], ['a', 'counts12'], ['a', 'counts2'], ['a', 'feed'], ['a', 'empty'], ['b', 'thread1']])
      await read(site, key, 'rebuilt');
    expect(built.sort()).toEqual(['a/counts12', 'a/feed', 'a/thread1']);
  });

  it('drops answers about pages that did not exist when a page may have been created', async () => {
    const cache = cacheOf();
    const { read, built } = reader(cache);
    await read('a', 'empty', 'e', { pageIds: [], newPages: true, allPages: false });
    await read('a', 'thread2', 't2', page(2));
    cache.invalidate('a', { pageIds: [1], pageMayBeNew: false });
    await read('a', 'empty', 'e');
    expect(built).toEqual(['a/empty', 'a/thread2']);
    cache.invalidate('a', { pageIds: [7], pageMayBeNew: true });
    await read('a', 'empty', 'e');
    await read('a', 'thread2', 't2');
    expect(built).toEqual(['a/empty', 'a/thread2', 'a/empty']);
  });

  it('frees every answer of a site on a site-wide change', async () => {
    const cache = cacheOf();
    const { read } = reader(cache);
    await read('a', 'x', 'x', page(1));
    await read('a', 'y', 'y', page(2));
    await read('b', 'x', 'x', page(1));
    cache.invalidate('a', { site: true });
    expect(cache.stats()).toMatchObject({ entries: 1, invalidated: 2 });
  });

  it('does not keep an answer built from data read before a write that landed while it was being built', async () => {
    const cache = cacheOf();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const building = cache.getOrBuild('a', 'k', async () => {
      await gate; // the read happened; the write lands before the answer is stored
      return { value: 'stale', scope: page(1) };
    });
    cache.invalidate('a', { pageIds: [1], pageMayBeNew: false });
    release();
    expect(await building).toBe('stale'); // the request that raced still gets its answer
    expect(cache.stats().entries).toBe(0);
    const { read } = reader(cache);
    expect(await read('a', 'k', 'fresh')).toBe('fresh');
  });

  it('keeps an answer built while an unrelated page changed', async () => {
    const cache = cacheOf();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const building = cache.getOrBuild('a', 'k', async () => {
      await gate;
      return { value: 'v', scope: page(1) };
    });
    cache.invalidate('a', { pageIds: [2], pageMayBeNew: false });
    cache.invalidate('b', { site: true });
    release();
    await building;
    expect(cache.stats().entries).toBe(1);
  });

  it('does not store an answer whose build failed, and forgets the build', async () => {
    const cache = cacheOf();
    await expect(cache.getOrBuild('a', 'k', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(cache.stats()).toMatchObject({ entries: 0, misses: 1 });
    const { read } = reader(cache);
    expect(await read('a', 'k', 'v')).toBe('v');
    expect(cache.stats().entries).toBe(1);
  });

  it('reports its stats after a miss at most once per interval', async () => {
    let now = 0;
    const seen: number[] = [];
    const cache = new AnswerCache<string>({ maxBytes: KB * 100, sizeOf: (v) => v.length, statsEveryMs: 1000, now: () => now, onStats: (s) => seen.push(s.misses) });
    const { read } = reader(cache);
    await read('a', 'k1', 'v');
    await read('a', 'k2', 'v');
    now = 1500;
    await read('a', 'k3', 'v');
    await read('a', 'k3', 'v'); // a hit reports nothing
    expect(seen).toEqual([1, 3]);
  });
});

describe('changeOf', () => {
  const at = 0;
  it('narrows each domain event to what it changed', () => {
    expect(changeOf({ type: 'comment.created', siteId: 's', pageId: 3, newPage: false, commentId: 'c', parentId: null, status: 'approved', at })).toEqual({ pageIds: [3], pageMayBeNew: false });
    // An emitter that does not say whether the page is new: assume it may be.
    expect(changeOf({ type: 'comment.created', siteId: 's', pageId: 3, commentId: 'c', parentId: null, status: 'approved', at })).toEqual({ pageIds: [3], pageMayBeNew: true });
    expect(changeOf({ type: 'comments.changed', siteId: 's', pageIds: [1, 2], commentIds: ['c'], cause: 'moderated', at })).toEqual({ pageIds: [1, 2], pageMayBeNew: false });
    expect(changeOf({ type: 'comments.changed', siteId: 's', pageIds: null, commentIds: ['c'], cause: 'imported', at })).toEqual({ site: true });
    expect(changeOf({ type: 'page.changed', siteId: 's', pageId: 4, at })).toEqual({ pageIds: [4], pageMayBeNew: true });
    expect(changeOf({ type: 'site.changed', siteId: 's', at })).toEqual({ site: true });
  });
});

describe('AnswerCache while the replicas link is down', () => {
  it('answers nothing from memory and keeps nothing while suspended, and starts empty on resume', async () => {
    const cache = cacheOf();
    const { read, built } = reader(cache);
    await read('s', 'a', 'one');
    await read('s', 'a', 'one');
    expect(built).toEqual(['s/a']);
    cache.suspend();
    expect(cache.stats().entries).toBe(0);
    await read('s', 'a', 'one');
    await read('s', 'a', 'one');
    expect(built).toEqual(['s/a', 's/a', 's/a']);
    expect(cache.stats().entries).toBe(0);
    cache.resume();
    await read('s', 'a', 'one');
    await read('s', 'a', 'one');
    expect(built).toEqual(['s/a', 's/a', 's/a', 's/a']);
  });

  it('never stores an answer whose build began before a resume (it may have read what went unheard)', async () => {
    const cache = cacheOf();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = cache.getOrBuild('s', 'k', async () => {
      await gate;
      return { value: 'old', scope: page(1) };
    });
    cache.suspend();
    cache.resume();
    release();
    expect(await slow).toBe('old');
    expect(cache.stats().entries).toBe(0);
  });
});
