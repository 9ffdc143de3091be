// Store: what the console shows about a site's use — where its widget loaded, and when anything last happened.
import type { Db } from '../db';
import type { SiteActivityRepository, WidgetSighting } from '../../domain/ports';

interface SightingRow {
  origin: string;
  allowed: number;
  first_seen_at: number;
  last_seen_at: number;
}

export class SqliteSiteActivity implements SiteActivityRepository {
  private readonly upsertStmt;
  private readonly pruneStmt;
  private readonly listStmt;
  private readonly lastActionStmt;
  private readonly note;

  constructor(db: Db) {
    this.upsertStmt = db.prepare<{ siteId: string; origin: string; allowed: number; at: number }>(
      `INSERT INTO site_installs (site_id, origin, allowed, first_seen_at, last_seen_at)
       VALUES (@siteId, @origin, @allowed, @at, @at)
       ON CONFLICT (site_id, origin) DO UPDATE SET allowed = excluded.allowed,
         last_seen_at = max(last_seen_at, excluded.last_seen_at)`,
    );
    // Anyone can send any Origin header: keep only the most recently seen of the origins a site does not list.
    this.pruneStmt = db.prepare<{ siteId: string; keep: number }>(
      `DELETE FROM site_installs WHERE site_id = @siteId AND allowed = 0 AND origin NOT IN (
         SELECT origin FROM site_installs WHERE site_id = @siteId AND allowed = 0 ORDER BY last_seen_at DESC, origin LIMIT @keep)`,
    );
    this.listStmt = db.prepare<[string], SightingRow>(
      'SELECT origin, allowed, first_seen_at, last_seen_at FROM site_installs WHERE site_id = ? ORDER BY last_seen_at DESC, origin',
    );
    // Every post and every status change appends an audit row: the newest one is the site's last activity.
    this.lastActionStmt = db.prepare<[string], { created_at: number }>(
      'SELECT created_at FROM moderation_actions WHERE site_id = ? ORDER BY id DESC LIMIT 1',
    );
    this.note = db.transaction((s: { siteId: string; origin: string; allowed: boolean; at: number }, keepOthers: number) => {
      this.upsertStmt.run({ siteId: s.siteId, origin: s.origin, allowed: s.allowed ? 1 : 0, at: s.at });
      if (!s.allowed) this.pruneStmt.run({ siteId: s.siteId, keep: keepOthers });
    });
  }

  async noteWidgetSeen(s: { siteId: string; origin: string; allowed: boolean; at: number }, keepOthers: number): Promise<void> {
    this.note.immediate(s, keepOthers);
  }

  async widgetSightings(siteId: string): Promise<WidgetSighting[]> {
    return this.listStmt.all(siteId).map((r) => ({
      origin: r.origin,
      allowedWhenSeen: r.allowed === 1,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
    }));
  }

  async lastActivityAt(siteId: string): Promise<number | null> {
    return this.lastActionStmt.get(siteId)?.created_at ?? null;
  }
}
