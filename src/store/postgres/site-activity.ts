// Store: where a site's widget loaded, and when anything last happened, on PostgreSQL.
import type { SiteActivityRepository, WidgetSighting } from '../../domain/ports';
import { one, rows, run, sql, transaction, type Pool } from './pool';

const S = {
  // Two replicas noting unlisted origins of one site at once would each prune without seeing the other's row.
  lockSite: sql('installs.lockSite', `SELECT pg_advisory_xact_lock(hashtext('site_installs:' || $1))`),
  upsert: sql(
    'installs.upsert',
    `INSERT INTO site_installs (site_id, origin, allowed, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (site_id, origin) DO UPDATE SET allowed = excluded.allowed,
       last_seen_at = greatest(site_installs.last_seen_at, excluded.last_seen_at)`,
  ),
  // Anyone can send any Origin header: keep only the most recently seen of the origins a site does not list.
  prune: sql(
    'installs.prune',
    `DELETE FROM site_installs WHERE site_id = $1 AND NOT allowed AND origin NOT IN (
       SELECT origin FROM site_installs WHERE site_id = $1 AND NOT allowed ORDER BY last_seen_at DESC, origin LIMIT $2)`,
  ),
  list: sql(
    'installs.list',
    'SELECT origin, allowed, first_seen_at, last_seen_at FROM site_installs WHERE site_id = $1 ORDER BY last_seen_at DESC, origin',
  ),
  // Every post and every status change appends an audit row: the newest one is the site's last activity.
  lastAction: sql('installs.lastAction', 'SELECT created_at FROM moderation_actions WHERE site_id = $1 ORDER BY id DESC LIMIT 1'),
};

export class PgSiteActivity implements SiteActivityRepository {
  constructor(private readonly pool: Pool) {}

  async noteWidgetSeen(s: { siteId: string; origin: string; allowed: boolean; at: number }, keepOthers: number): Promise<void> {
    await transaction(this.pool, async (c) => {
      if (!s.allowed) await run(c, S.lockSite, [s.siteId]);
      await run(c, S.upsert, [s.siteId, s.origin, s.allowed, s.at]);
      if (!s.allowed) await run(c, S.prune, [s.siteId, keepOthers]);
    });
  }

  async widgetSightings(siteId: string): Promise<WidgetSighting[]> {
    const list = await rows<{ origin: string; allowed: boolean; first_seen_at: number; last_seen_at: number }>(this.pool, S.list, [siteId]);
    return list.map((r) => ({ origin: r.origin, allowedWhenSeen: r.allowed, firstSeenAt: r.first_seen_at, lastSeenAt: r.last_seen_at }));
  }

  async lastActivityAt(siteId: string): Promise<number | null> {
    return (await one<{ created_at: number }>(this.pool, S.lastAction, [siteId]))?.created_at ?? null;
  }
}
