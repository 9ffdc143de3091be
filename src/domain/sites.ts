// Service: sites and their settings.
import type { Repositories } from './ports';
import type { Site } from './types';
import { defaultSettings, mergeSettings, siteIdSchema, type SiteSettingsPatch } from './settings';
import { invalidField, notFound } from './errors';

export class SiteService {
  constructor(
    private readonly deps: { repos: Repositories; onSiteChanged: (siteId: string) => void },
  ) {}

  async create(input: { id: string; name?: string; settings?: SiteSettingsPatch }, now: number): Promise<Site> {
    const id = siteIdSchema.safeParse(input.id);
    if (!id.success) throw invalidField('id', 'invalid_format', id.error.issues[0].message);
    const settings = mergeSettings(defaultSettings(), input.settings ?? {});
    return this.deps.repos.sites.create({ id: id.data, name: input.name ?? id.data, settings, createdAt: now });
  }

  list(): Promise<Site[]> {
    return this.deps.repos.sites.list();
  }

  async get(id: string): Promise<Site> {
    const site = await this.deps.repos.sites.get(id);
    if (!site) throw notFound('Site');
    return site;
  }

  async update(id: string, changes: { name?: string; settings?: SiteSettingsPatch }): Promise<Site> {
    const site = await this.get(id);
    const settings = changes.settings ? mergeSettings(site.settings, changes.settings) : undefined;
    const updated = await this.deps.repos.sites.update(id, { name: changes.name, settings });
    this.deps.onSiteChanged(id);
    return updated!;
  }

  /** First start: the demo site. Its own-origin access is added at request time, so any port works. */
  async ensureDemo(now: number): Promise<{ site: Site; created: boolean }> {
    const existing = await this.deps.repos.sites.get('demo');
    if (existing) return { site: existing, created: false };
    return { site: await this.create({ id: 'demo', name: 'Demo' }, now), created: true };
  }
}
