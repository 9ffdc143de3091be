// Every in-memory structure whose keys come from requests stays within its written bound (docs/memory.md).
import type { Options } from 'express-rate-limit';
import { BoundedMemoryStore, memoryStores } from '../../src/http/rate-limit';
import { cachedSites } from '../../src/domain/site-directory';
import { holdBlockedWords, rememberedWordLists } from '../../src/domain/pipeline/blocked-words';
import { defaultSettings } from '../../src/domain/settings';
import type { SiteRepository } from '../../src/domain/ports';
import type { Site } from '../../src/domain/types';

const windowMs = 60_000;
function store(maxKeys: number) {
  let now = 1_000_000;
  const s = new BoundedMemoryStore(maxKeys, () => now);
  s.init({ windowMs } as Options);
  return { s, advance: (ms: number) => (now += ms) };
}

describe('rate-limit counters', () => {
  it('count hits in a fixed window and start again after it', async () => {
    const { s, advance } = store(10);
    expect((await s.increment('a')).totalHits).toBe(1);
    expect((await s.increment('a')).totalHits).toBe(2);
    await s.decrement('a');
    expect((await s.get('a'))?.totalHits).toBe(1);
    advance(windowMs);
    expect(await s.get('a')).toBeUndefined();
    const fresh = await s.increment('a');
    expect(fresh.totalHits).toBe(1);
    expect(fresh.resetTime!.getTime()).toBe(1_000_000 + 2 * windowMs);
  });

  it('hold at most maxKeys counters, forgetting the oldest window first', async () => {
    const { s, advance } = store(100);
    await s.increment('first');
    for (let i = 0; i < 5000; i++) {
      await s.increment(`client-${i}`);
      if (i % 1000 === 0) advance(1);
    }
    expect(s.size).toBe(100);
    expect(await s.get('first')).toBeUndefined();
    expect((await s.get('client-4999'))?.totalHits).toBe(1);
  });

  it('drop expired windows as new ones start, without a timer', async () => {
    const { s, advance } = store(1000);
    for (let i = 0; i < 500; i++) await s.increment(`old-${i}`);
    advance(windowMs + 1);
    await s.increment('new');
    expect(s.size).toBe(1);
  });

  it('are what the app uses unless a store factory is given', () => {
    const made = memoryStores('reads');
    expect(made).toBeInstanceOf(BoundedMemoryStore);
    expect((made as BoundedMemoryStore).maxKeys).toBe(10_000);
  });
});

describe('site directory', () => {
  const site: Site = { id: 'real', name: 'Real', settings: defaultSettings(), createdAt: 0 } as unknown as Site;
  function repo() {
    const calls: string[] = [];
    const inner: SiteRepository = {
      get: async (id) => (calls.push(id), id === 'real' ? site : null),
      list: async () => [site],
      create: async (s) => s,
      update: async () => site,
    };
    return { inner, calls };
  }

  it('remembers at most its bound of site ids, made-up ones included', async () => {
    const { inner, calls } = repo();
    const sites = cachedSites(inner, undefined, () => 0, 50);
    expect(await sites.get('real')).toBe(site);
    for (let i = 0; i < 2000; i++) expect(await sites.get(`made-up-${i}`)).toBeNull();
    calls.length = 0;
    // The 50 most recent made-up ids are still remembered; the real site, used long ago, was pushed out.
    for (let i = 1950; i < 2000; i++) await sites.get(`made-up-${i}`);
    expect(calls).toEqual([]);
    expect(await sites.get('real')).toBe(site);
    expect(calls).toEqual(['real']);
  });

  it('keeps a site in use while made-up ids come and go', async () => {
    const { inner, calls } = repo();
    const sites = cachedSites(inner, undefined, () => 0, 50);
    for (let i = 0; i < 2000; i++) {
      await sites.get('real');
      await sites.get(`made-up-${i}`);
    }
    expect(calls.filter((c) => c === 'real')).toHaveLength(1);
  });
});

describe('blocked-word matchers', () => {
  it('keep at most 256 compiled lists however many lists are tried', async () => {
    const base = { name: 'Ada', website: null, bodyHtml: '<p>hello there</p>' } as const;
    for (let i = 0; i < 600; i++) {
      const settings = { ...defaultSettings(), blockedWords: [`word${i}`, 'hello'] };
      const r = await holdBlockedWords({ ...base, settings } as never);
      expect(r?.status).toBe('pending');
    }
    expect(rememberedWordLists()).toBeLessThanOrEqual(256);
    expect(rememberedWordLists()).toBeGreaterThan(0);
  });
});
