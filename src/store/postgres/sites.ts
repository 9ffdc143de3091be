// Store: sites and pages on PostgreSQL.
import type { PageRepository, SiteRepository } from '../../domain/ports';
import type { Page, PageChange, Site } from '../../domain/types';
import { conflict } from '../../domain/errors';
import { toSite, type SiteRow } from '../sqlite/rows';
import { likePattern, one, rows, sql, type Pool } from './pool';
import { toPgPage, type PgPageRow } from './rows';

const S = {
  get: sql('sites.get', 'SELECT * FROM sites WHERE id = $1'),
  list: sql('sites.list', 'SELECT * FROM sites ORDER BY id'),
  insert: sql('sites.insert', 'INSERT INTO sites (id, name, settings, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id'),
  update: sql('sites.update', 'UPDATE sites SET name = coalesce($2, name), settings = coalesce($3, settings) WHERE id = $1 RETURNING *'),
};

export class PgSites implements SiteRepository {
  constructor(private readonly pool: Pool) {}

  async get(id: string): Promise<Site | null> {
    const row = await one<SiteRow>(this.pool, S.get, [id]);
    return row ? toSite(row) : null;
  }

  async list(): Promise<Site[]> {
    return (await rows<SiteRow>(this.pool, S.list)).map(toSite);
  }

  async create(site: Site): Promise<Site> {
    const r = await one(this.pool, S.insert, [site.id, site.name, JSON.stringify(site.settings), site.createdAt]);
    if (!r) throw conflict('site_exists', `Site ${site.id} already exists.`);
    return site;
  }

  async update(id: string, changes: { name?: string; settings?: Site['settings'] }): Promise<Site | null> {
    const row = await one<SiteRow>(this.pool, S.update, [id, changes.name ?? null, changes.settings ? JSON.stringify(changes.settings) : null]);
    return row ? toSite(row) : null;
  }
}

// A page's counts are its columns plus the changes spread over page_counts (migrations/postgres/0009_spread_counters.sql).
const COUNTS = `LEFT JOIN LATERAL (SELECT sum(approved)::bigint AS approved_delta, sum(pending)::bigint AS pending_delta
  FROM page_counts WHERE page_id = p.id) d ON true`;

const P = {
  find: sql('pages.find', `SELECT p.*, d.* FROM pages p ${COUNTS} WHERE p.site_id = $1 AND p.key = $2`),
  findMany: sql('pages.findMany', `SELECT p.*, d.* FROM pages p ${COUNTS} WHERE p.site_id = $1 AND p.key = ANY($2::text[])`),
  byId: sql('pages.byId', `SELECT p.*, d.* FROM pages p ${COUNTS} WHERE p.id = $1`),
  // Each field changes only when given (its set flag); giving the title or URL locks both.
  update: sql(
    'pages.update',
    `WITH u AS (
       INSERT INTO pages (site_id, key, closed, title, url, metadata_locked, created_at)
         VALUES ($1, $2, coalesce($3::boolean, false), $5, $7, $4::boolean OR $6::boolean, $8)
       ON CONFLICT (site_id, key) DO UPDATE SET
         closed = coalesce($3::boolean, pages.closed),
         title = CASE WHEN $4::boolean THEN $5 ELSE pages.title END,
         url = CASE WHEN $6::boolean THEN $7 ELSE pages.url END,
         metadata_locked = pages.metadata_locked OR $4::boolean OR $6::boolean
       RETURNING *)
     SELECT p.*, d.* FROM u p ${COUNTS}`,
  ),
  list: sql(
    'pages.list',
    `SELECT p.*, d.* FROM pages p ${COUNTS} WHERE p.site_id = $1 AND p.id < $2
       AND ($4::text IS NULL OR p.key ILIKE $4 OR p.title ILIKE $4)
     ORDER BY p.id DESC LIMIT $3`,
  ),
};

export class PgPages implements PageRepository {
  constructor(private readonly pool: Pool) {}

  async find(siteId: string, key: string): Promise<Page | null> {
    const row = await one<PgPageRow>(this.pool, P.find, [siteId, key]);
    return row ? toPgPage(row) : null;
  }

  async byId(id: number): Promise<Page | null> {
    const row = await one<PgPageRow>(this.pool, P.byId, [id]);
    return row ? toPgPage(row) : null;
  }

  async findMany(siteId: string, keys: string[]): Promise<Page[]> {
    return (await rows<PgPageRow>(this.pool, P.findMany, [siteId, keys])).map(toPgPage);
  }

  async update(siteId: string, key: string, change: PageChange, now: number): Promise<Page> {
    const row = await one<PgPageRow>(this.pool, P.update, [
      siteId,
      key,
      change.closed === undefined ? null : change.closed,
      change.title !== undefined,
      change.title ?? null,
      change.url !== undefined,
      change.url ?? null,
      now,
    ]);
    return toPgPage(row!);
  }

  async list(siteId: string, opts: { afterId: number | null; limit: number; q: string | null }): Promise<Page[]> {
    const like = opts.q ? likePattern(opts.q) : null;
    return (await rows<PgPageRow>(this.pool, P.list, [siteId, opts.afterId ?? Number.MAX_SAFE_INTEGER, opts.limit, like])).map(toPgPage);
  }
}
