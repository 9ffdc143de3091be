import { SiteCache } from '../../src/domain/cache';

describe('SiteCache', () => {
  it('serves an answer until the next write to its site', () => {
    const cache = new SiteCache<string>();
    cache.set('a', 'k', 'v1', cache.version('a'));
    cache.set('b', 'k', 'other', cache.version('b'));
    expect(cache.get('a', 'k')).toBe('v1');
    cache.invalidate('a');
    expect(cache.get('a', 'k')).toBeUndefined();
    expect(cache.get('b', 'k')).toBe('other');
  });

  it('never serves an answer built from data read before a write that landed while it was being built', () => {
    const cache = new SiteCache<string>();
    const version = cache.version('a');
    cache.invalidate('a'); // a write lands between the read and the store
    cache.set('a', 'k', 'stale', version);
    expect(cache.get('a', 'k')).toBeUndefined();
  });

  it('evicts the oldest entry when full', () => {
    const cache = new SiteCache<number>(2);
    for (const k of ['x', 'y', 'z']) cache.set('a', k, 1, 0);
    expect(cache.get('a', 'x')).toBeUndefined();
    expect(cache.get('a', 'z')).toBe(1);
  });
});

describe('SiteCache while other replicas may go unheard', () => {
  it('serves and keeps nothing while suspended, and after resuming never stores an answer built before', () => {
    const cache = new SiteCache<string>();
    cache.set('a', 'k', 'v1', cache.version('a'));
    cache.suspend();
    expect(cache.get('a', 'k')).toBeUndefined();
    const during = cache.version('a');
    cache.set('a', 'k', 'built while suspended', during);
    expect(cache.get('a', 'k')).toBeUndefined();
    cache.resume();
    cache.set('a', 'k', 'built while suspended', during);
    expect(cache.get('a', 'k')).toBeUndefined();
    cache.set('a', 'k', 'v2', cache.version('a'));
    expect(cache.get('a', 'k')).toBe('v2');
  });
});
