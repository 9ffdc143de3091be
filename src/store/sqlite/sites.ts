// Store: sites and pages.
import type { Db } from '../db';
import type { PageRepository, SiteRepository } from '../../domain/ports';
import type { Page, PageChange, Site } from '../../domain/types';
import { conflict } from '../../domain/errors';
import { toPage, toSite, type PageRow, type SiteRow } from './rows';

export class SqliteSites implements SiteRepository {
  private readonly getStmt;
  private readonly listStmt;
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], SiteRow>('SELECT * FROM sites WHERE id = ?');
    this.listStmt = db.prepare<[], SiteRow>('SELECT * FROM sites ORDER BY id');
    this.insertStmt = db.prepare(
      'INSERT INTO sites (id, name, settings, created_at) VALUES (@id, @name, @settings, @createdAt) ON CONFLICT (id) DO NOTHING',
    );
    this.updateStmt = db.prepare<{ id: string; name: string | null; settings: string | null }, SiteRow>(
      `UPDATE sites SET name = coalesce(@name, name), settings = coalesce(@settings, settings)
        WHERE id = @id RETURNING *`,
    );
  }

  async get(id: string): Promise<Site | null> {
    const row = this.getStmt.get(id);
    return row ? toSite(row) : null;
  }

  async list(): Promise<Site[]> {
    return this.listStmt.all().map(toSite);
  }

  async create(site: Site): Promise<Site> {
    const r = this.insertStmt.run({ id: site.id, name: site.name, settings: JSON.stringify(site.settings), createdAt: site.createdAt });
    if (r.changes === 0) throw conflict('site_exists', `Site ${site.id} already exists.`);
    return site;
  }

  async update(id: string, changes: { name?: string; settings?: Site['settings'] }): Promise<Site | null> {
    const row = this.updateStmt.get({
      id,
      name: changes.name ?? null,
      settings: changes.settings ? JSON.stringify(changes.settings) : null,
    });
    return row ? toSite(row) : null;
  }
}

export class SqlitePages implements PageRepository {
  private readonly findStmt;
  private readonly findManyStmt;
  private readonly byIdStmt;
  private readonly updateStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.findStmt = db.prepare<[string, string], PageRow>('SELECT * FROM pages WHERE site_id = ? AND key = ?');
    this.findManyStmt = db.prepare<[string, string], PageRow>(
      'SELECT * FROM pages WHERE site_id = ? AND key IN (SELECT value FROM json_each(?))',
    );
    this.byIdStmt = db.prepare<[number], PageRow>('SELECT * FROM pages WHERE id = ?');
    // Each field changes only when given (its set* flag); giving the title or URL locks both.
    this.updateStmt = db.prepare<
      { siteId: string; key: string; closed: number | null; setTitle: number; title: string | null; setUrl: number; url: string | null; now: number },
      PageRow
    >(
      `INSERT INTO pages (site_id, key, closed, title, url, metadata_locked, created_at)
         VALUES (@siteId, @key, coalesce(@closed, 0), @title, @url, max(@setTitle, @setUrl), @now)
       ON CONFLICT (site_id, key) DO UPDATE SET
         closed = coalesce(@closed, closed),
         title = CASE WHEN @setTitle THEN @title ELSE title END,
         url = CASE WHEN @setUrl THEN @url ELSE url END,
         metadata_locked = max(metadata_locked, @setTitle, @setUrl)
       RETURNING *`,
    );
    this.listStmt = db.prepare<{ siteId: string; afterId: number; limit: number; like: string | null }, PageRow>(
      `SELECT * FROM pages WHERE site_id = @siteId AND id < @afterId
         AND (@like IS NULL OR key LIKE @like ESCAPE '\\' OR title LIKE @like ESCAPE '\\')
       ORDER BY id DESC LIMIT @limit`,
    );
  }

  async find(siteId: string, key: string): Promise<Page | null> {
    const row = this.findStmt.get(siteId, key);
    return row ? toPage(row) : null;
  }

  async findMany(siteId: string, keys: string[]): Promise<Page[]> {
    return this.findManyStmt.all(siteId, JSON.stringify(keys)).map(toPage);
  }

  async byId(id: number): Promise<Page | null> {
    const row = this.byIdStmt.get(id);
    return row ? toPage(row) : null;
  }

  async update(siteId: string, key: string, change: PageChange, now: number): Promise<Page> {
    const row = this.updateStmt.get({
      siteId,
      key,
      closed: change.closed === undefined ? null : change.closed ? 1 : 0,
      setTitle: change.title === undefined ? 0 : 1,
      title: change.title ?? null,
      setUrl: change.url === undefined ? 0 : 1,
      url: change.url ?? null,
      now,
    });
    return toPage(row!);
  }

  async list(siteId: string, opts: { afterId: number | null; limit: number; q: string | null }): Promise<Page[]> {
    return this.listStmt
      .all({ siteId, afterId: opts.afterId ?? Number.MAX_SAFE_INTEGER, limit: opts.limit, like: opts.q ? likePattern(opts.q) : null })
      .map(toPage);
  }
}

/** A LIKE pattern that matches the text literally anywhere. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
}
