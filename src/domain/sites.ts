// Service: sites and their settings. The CLI and the HTTP API create sites through the same rules here.
import { z } from 'zod';
import type { Repositories, WidgetSighting } from './ports';
import type { CommentStatus, Site, Token } from './types';
import {
  defaultSettings,
  mergeSettings,
  moderationPolicies,
  siteIdSchema,
  siteSettingsSchema,
  type SiteSettingsPatch,
} from './settings';
import { hasBidiControls, hasControlCharacters, hasLoneSurrogate } from './text';
import { forbidden, invalidField, notFound } from './errors';
import { covers } from './access';
import type { DomainEvents } from './events';

/**
 * The page the console's live preview of a site's widget uses. Not a path, so no article's default page key
 * (its `location.pathname`) is ever this one: the preview's comments stay apart from the site's real pages.
 */
export const PREVIEW_PAGE = 'marginalia:preview';

const siteName = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(100, 'must be at most 100 characters')
  .refine((v) => !hasControlCharacters(v) && !hasBidiControls(v) && !hasLoneSurrogate(v), 'must be plain text on one line');

/** What an owner gives for a new site; every field is checked at once so each error can be shown beside its field. */
export const newSiteSchema = z
  .object({
    id: siteIdSchema,
    name: siteName.optional(),
    origins: siteSettingsSchema.shape.origins.optional(),
    moderation: z.enum(moderationPolicies, { error: `must be one of ${moderationPolicies.join(', ')}` }).optional(),
  })
  .strict();
export type NewSite = z.input<typeof newSiteSchema>;

export interface SiteOverview {
  site: Site;
  counts: Record<CommentStatus | 'reported', number>;
  lastActivityAt: number | null;
  sightings: WidgetSighting[];
}

export class SiteService {
  constructor(
    private readonly deps: { repos: Repositories; events: DomainEvents; checkWebhookTarget?: (url: string) => Promise<string | null> },
  ) {}

  /** `settings` sets anything else at creation (tests, scripts); the fields of `NewSite` win over it. */
  async create(input: NewSite & { settings?: SiteSettingsPatch }, now: number): Promise<Site> {
    const { settings: extra, ...fields } = input;
    const v = newSiteSchema.parse(fields);
    const patch: SiteSettingsPatch = { ...extra };
    if (v.origins) patch.origins = v.origins;
    if (v.moderation) patch.moderation = v.moderation;
    const settings = mergeSettings(defaultSettings(), patch);
    return this.deps.repos.sites.create({ id: v.id, name: v.name ?? v.id, settings, createdAt: now });
  }

  /**
   * Only an owner whose token covers every site may add one (a site-scoped token could otherwise widen its own
   * reach). The right is checked before the input, which is anything a client sent.
   */
  async createAs(actor: Token, input: unknown, now: number): Promise<SiteOverview> {
    if (actor.role !== 'owner' || actor.siteId !== null)
      throw forbidden('all_sites_owner_only', 'Only an owner token for all sites may create a site.');
    return this.overview(await this.create(newSiteSchema.parse(input), now));
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
    if (changes.settings?.webhooks && this.deps.checkWebhookTarget) {
      // Checked on the resolved address here, and again at every send (the name may resolve elsewhere later).
      for (const [i, hook] of changes.settings.webhooks.entries()) {
        const refused = await this.deps.checkWebhookTarget(hook.url);
        if (refused) throw invalidField(`webhooks.${i}.url`, 'not_allowed', `must reach a public address: ${refused}`);
      }
    }
    const updated = await this.deps.repos.sites.update(id, { name: changes.name, settings });
    this.deps.events.emit({ type: 'site.changed', siteId: id, at: Date.now() });
    return updated!;
  }

  /** Comment counts, last activity and where the widget was seen: what the console's Sites view shows. */
  async overview(site: Site): Promise<SiteOverview> {
    const { comments, siteActivity } = this.deps.repos;
    return {
      site,
      counts: await comments.statusCounts(site.id),
      lastActivityAt: await siteActivity.lastActivityAt(site.id),
      sightings: await siteActivity.widgetSightings(site.id),
    };
  }

  /** Every site the token covers, with its overview. */
  async overviewsFor(actor: Token): Promise<SiteOverview[]> {
    const sites = await this.deps.repos.sites.list();
    return Promise.all(sites.filter((s) => covers(actor, s.id)).map((s) => this.overview(s)));
  }

  /** First start: the demo site. Its own-origin access is added at request time, so any port works. */
  async ensureDemo(now: number): Promise<{ site: Site; created: boolean }> {
    const existing = await this.deps.repos.sites.get('demo');
    if (existing) return { site: existing, created: false };
    return { site: await this.create({ id: 'demo', name: 'Demo' }, now), created: true };
  }
}
