// Service: the install check. Notes per site and origin when the widget loaded, written behind the hottest read:
// a sighting is remembered in memory and written at most once per site and origin per interval.
import type { SiteActivityRepository, SiteRepository } from './ports';
import { isOrigin } from './settings';

export interface InstallCheckOptions {
  /** At most one write per site and origin in this time. */
  intervalMs: number;
  /** Site+origin pairs remembered in memory; past it the oldest is forgotten (and may be written again sooner). */
  maxRemembered: number;
  /** Origins not in a site's list that the store keeps per site (anyone can send any Origin). */
  keepUnlistedPerSite: number;
}

export const INSTALL_CHECK_DEFAULTS: InstallCheckOptions = Object.freeze({
  intervalMs: 60_000,
  // A key is a site id and an origin (≤ 40 + 255 characters): about 3 MB at the very worst.
  maxRemembered: 10_000,
  keepUnlistedPerSite: 20,
});

export class InstallCheck {
  /** site + "\0" + origin → when it was last written; Map order is the order of writing, oldest first. */
  private readonly written = new Map<string, number>();
  private readonly options: InstallCheckOptions;

  constructor(
    private readonly deps: {
      repo: SiteActivityRepository;
      /** Read once per write, after the answer went out; whether the origin is listed is decided here. */
      sites: Pick<SiteRepository, 'get'>;
      onError: (err: unknown) => void;
      options?: Partial<InstallCheckOptions>;
    },
  ) {
    this.options = { ...INSTALL_CHECK_DEFAULTS, ...deps.options };
  }

  /** True when this sighting was written recently, so the caller has nothing to do: one map lookup. */
  isFresh(siteId: string, origin: string, now: number): boolean {
    const at = this.written.get(siteId + '\0' + origin);
    return at !== undefined && now - at < this.options.intervalMs;
  }

  /**
   * Notes a load of the widget of site `siteId` on `origin` (an unknown site is ignored). Returns at once: the
   * site is read and the sighting written without holding up anything.
   */
  note(siteId: string, origin: string, now: number): void {
    if (!isOrigin(origin) || this.isFresh(siteId, origin, now)) return;
    // Remembered before the write starts, so concurrent reads of the same pair do not write it again.
    const key = siteId + '\0' + origin;
    this.written.delete(key); // re-inserted last: the Map stays ordered by time of writing
    this.written.set(key, now);
    if (this.written.size > this.options.maxRemembered) this.written.delete(this.written.keys().next().value!);
    void this.write(siteId, origin, now).catch((err: unknown) => this.deps.onError(err));
  }

  private async write(siteId: string, origin: string, now: number): Promise<void> {
    const site = await this.deps.sites.get(siteId);
    if (!site) return;
    const allowed = site.settings.origins.includes(origin);
    await this.deps.repo.noteWidgetSeen({ siteId, origin, allowed, at: now }, this.options.keepUnlistedPerSite);
  }

  /** How many site+origin pairs are remembered (for tests of the bound). */
  get remembered(): number {
    return this.written.size;
  }
}
