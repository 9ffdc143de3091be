// Sites are read on every request and change rarely: keep them in memory, refreshed on write and after a short time.
import type { SiteRepository } from './ports';
import type { Site } from './types';
import { Lru } from './lru';
import type { DomainEvents } from './events';

const TTL_MS = 5_000;
/**
 * Site ids remembered, known or not, least recently used out first. An unknown id is remembered as null (about
 * 150 bytes), so a flood of made-up ids costs one lookup each and cannot grow this past the bound.
 */
export const MAX_REMEMBERED_SITES = 1_000;

/** With `events`, a site changed anywhere (another replica's events arrive here too) is read afresh at once. */
export function cachedSites(
  inner: SiteRepository,
  events?: DomainEvents,
  now: () => number = Date.now,
  maxEntries = MAX_REMEMBERED_SITES,
): SiteRepository {
  const cache = new Lru<string, { site: Site | null; at: number }>({ maxEntries });
  events?.on('site.changed', (e) => cache.delete(e.siteId));
  return {
    async get(id) {
      const hit = cache.get(id);
      if (hit && now() - hit.at < TTL_MS) return hit.site;
      const site = await inner.get(id);
      cache.set(id, { site, at: now() });
      return site;
    },
    list: () => inner.list(),
    async create(site) {
      const created = await inner.create(site);
      cache.delete(site.id);
      return created;
    },
    async update(id, changes) {
      const updated = await inner.update(id, changes);
      cache.delete(id);
      return updated;
    },
  };
}
