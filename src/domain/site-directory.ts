// Sites are read on every request and change rarely: keep them in memory, refreshed on write and after a short time.
import type { SiteRepository } from './ports';
import type { Site } from './types';

const TTL_MS = 5_000;

export function cachedSites(inner: SiteRepository, now: () => number = Date.now): SiteRepository {
  const cache = new Map<string, { site: Site | null; at: number }>();
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
