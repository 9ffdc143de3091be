// Sites are read on every request and change rarely: keep them in memory, refreshed on write and after a short time.
import type { SiteRepository } from './ports';
import type { Site } from './types';
import type { DomainEvents } from './events';

const TTL_MS = 5_000;

/** With `events`, a site changed anywhere (another replica's events arrive here too) is read afresh at once. */
export function cachedSites(inner: SiteRepository, events?: DomainEvents, now: () => number = Date.now): SiteRepository {
  const cache = new Map<string, { site: Site | null; at: number }>();
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
