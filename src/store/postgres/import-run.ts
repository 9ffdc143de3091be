// Store: one import run on PostgreSQL, as src/store/sqlite/import-run.ts does it on SQLite. The run holds one
// connection of the pool from start to end, because its working tables are temporary tables of that session:
// records are staged there (checked, linked, ordered) so a file that breaks a rule changes nothing, then copied into
// the real tables in batches of one transaction each, parents before replies. A run that fails part-way removes what
// it wrote.
import type { Client, Pool } from './pool';
import type { ImportRun, ResolvedRun, StagedComment, StagedLogEntry, StagedPage, StagedReport, StagedVote } from '../../domain/transfer-ports';
import type { Ban } from '../../domain/types';
import { ImportError } from '../../import/records';

const WARNING_LINES = 100;
const TABLES = ['import_comments', 'import_bodies', 'import_votes', 'import_pages', 'import_new_pages', 'import_reports', 'import_log', 'import_bans'];
const S = 'import_comments';
const P = 'import_pages';
/** Rows sent per statement while staging: one round trip carries them all as arrays. */
const CHUNK = 1000;

type Opts = { siteId: string; marginaliaIds: boolean; auditSource: string | null; now: number };

export class PgImportRun implements ImportRun {
  private written = 0;
  private pagesWritten = false;
  private readonly createdSites: string[] = [];
  private resolved = false;
  private released = false;
  private broken: Error | undefined;

  private constructor(
    private readonly c: Client,
    private readonly opts: Opts,
    /** Source and id of every comment earlier runs imported into the site, so `alreadyImported` answers at once. */
    private readonly known: Set<string>,
  ) {}

  static async open(pool: Pool, opts: Opts): Promise<PgImportRun> {
    const c = await pool.connect();
    try {
      // Tables of an earlier run on this connection that could not be dropped (a crash between statements) go first.
      await c.query(TABLES.map((t) => `DROP TABLE IF EXISTS pg_temp.${t};`).join('\n'));
      await c.query(`
        CREATE TEMP TABLE import_comments (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text COLLATE "C" NOT NULL, source_id text NOT NULL UNIQUE,
          parent_ref text COLLATE "C", thread_ref text NOT NULL, status text NOT NULL, origin_source text, origin_id text,
          upvotes integer NOT NULL, downvotes integer NOT NULL, entry text NOT NULL, skip boolean NOT NULL DEFAULT false,
          parent_id text COLLATE "C", warning text, page_key text COLLATE "C", page_id bigint, root_id text COLLATE "C",
          depth integer, path text COLLATE "C", ord bigint);
        -- What each comment says, written once and read once: the passes that link the tree rewrite only the table above
        -- (an UPDATE writes a new version of the whole row).
        CREATE TEMP TABLE import_bodies (
          seq bigint PRIMARY KEY, status_before_delete text, author_name text NOT NULL, author_website text, avatar text NOT NULL,
          email_enc bytea NOT NULL, email_hmac text NOT NULL, ip_hmac text, user_agent text, body_source text NOT NULL,
          body_html text NOT NULL, body_hash text NOT NULL, reasons text NOT NULL, created_at bigint NOT NULL, edited_at bigint,
          status_changed_at bigint NOT NULL, featured_at bigint, voter_hmac text);
        CREATE TEMP TABLE import_votes (comment_id text COLLATE "C" NOT NULL, voter_hmac text NOT NULL, value integer NOT NULL,
          voted_at bigint NOT NULL, PRIMARY KEY (comment_id, voter_hmac));
        CREATE TEMP TABLE import_pages (ref text PRIMARY KEY, key text COLLATE "C" NOT NULL, url text, title text, closed boolean NOT NULL,
          metadata_locked boolean NOT NULL, created_at bigint NOT NULL, seq bigint GENERATED ALWAYS AS IDENTITY);
        CREATE TEMP TABLE import_new_pages (id bigint PRIMARY KEY);
        CREATE TEMP TABLE import_reports (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, comment_id text COLLATE "C" NOT NULL,
          reporter_hmac text NOT NULL, reason text NOT NULL, note text, created_at bigint NOT NULL, resolved_at bigint);
        CREATE TEMP TABLE import_log (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, comment_id text COLLATE "C" NOT NULL,
          actor_type text NOT NULL, actor_id text, action text NOT NULL, from_status text, to_status text NOT NULL, reason text,
          created_at bigint NOT NULL);
        CREATE TEMP TABLE import_bans (id text COLLATE "C" PRIMARY KEY, kind text NOT NULL, value_hmac text NOT NULL, email_enc bytea,
          reason text, comment_id text, expires_at bigint, created_at bigint NOT NULL, created_by text);
      `);
      const known = new Set<string>();
      const r = await c.query<{ k: string }>({
        text: `SELECT source || chr(1) || source_id AS k FROM comment_sources WHERE site_id = $1`,
        values: [opts.siteId],
      });
      for (const row of r.rows) known.add(row.k);
      return new PgImportRun(c, opts, known);
    } catch (err) {
      c.release(err as Error);
      throw err;
    }
  }

  /** One transaction on the run's connection. */
  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const { c } = this;
    await c.query('BEGIN');
    try {
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => {
        this.broken = e;
      });
      throw err;
    }
  }

  alreadyImported(source: string, sourceId: string): boolean {
    return this.known.has(`${source}\u0001${sourceId}`);
  }

  async addPages(pages: StagedPage[]): Promise<void> {
    for (let i = 0; i < pages.length; i += CHUNK) {
      const part = pages.slice(i, i + CHUNK);
      await this.c.query(
        `INSERT INTO ${P} (ref, key, url, title, closed, metadata_locked, created_at)
         SELECT ref, key, url, title, closed, metadata_locked, created_at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::bigint[]) WITH ORDINALITY
             AS t(ref, key, url, title, closed, metadata_locked, created_at, k)
          ORDER BY k ON CONFLICT (ref) DO NOTHING`,
        [
          part.map((p) => p.ref),
          part.map((p) => p.key),
          part.map((p) => p.url),
          part.map((p) => p.title),
          part.map((p) => p.closed),
          part.map((p) => p.metadataLocked),
          part.map((p) => p.createdAt),
        ],
      );
    }
  }

  async addComments(comments: StagedComment[]): Promise<void> {
    for (let i = 0; i < comments.length; i += CHUNK) await this.addChunk(comments.slice(i, i + CHUNK));
  }

  private async addChunk(part: StagedComment[]): Promise<void> {
    const seen = new Set<string>();
    for (const c of part) {
      if (seen.has(c.sourceId)) throw new ImportError(`${c.sourceId} comes twice in the file`, { entry: c.entry });
      seen.add(c.sourceId);
    }
    const col = <K extends keyof StagedComment>(k: K) => part.map((c) => c[k]);
    // Staged and given a body row in one statement; a source id staged by an earlier chunk is not inserted again.
    const r = await this.tx((c) =>
      c.query<{ source_id: string }>(
        `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::integer[],
             $9::integer[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bytea[], $16::text[], $17::text[],
             $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::bigint[], $24::bigint[], $25::bigint[],
             $26::bigint[], $27::text[]) WITH ORDINALITY
           AS t(id, source_id, parent_ref, thread_ref, status, origin_source, origin_id, upvotes, downvotes, entry,
             status_before_delete, author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source,
             body_html, body_hash, reasons, created_at, edited_at, status_changed_at, featured_at, voter_hmac, k)),
         ins AS (
           INSERT INTO ${S} (id, source_id, parent_ref, thread_ref, status, origin_source, origin_id, upvotes, downvotes, entry)
           SELECT id, source_id, parent_ref, thread_ref, status, origin_source, origin_id, upvotes, downvotes, entry FROM input ORDER BY k
           ON CONFLICT (source_id) DO NOTHING RETURNING seq, source_id),
         bodies AS (
           INSERT INTO import_bodies (seq, status_before_delete, author_name, author_website, avatar, email_enc, email_hmac, ip_hmac,
             user_agent, body_source, body_html, body_hash, reasons, created_at, edited_at, status_changed_at, featured_at, voter_hmac)
           SELECT ins.seq, i.status_before_delete, i.author_name, i.author_website, i.avatar, i.email_enc, i.email_hmac, i.ip_hmac,
             i.user_agent, i.body_source, i.body_html, i.body_hash, i.reasons, i.created_at, i.edited_at, i.status_changed_at,
             i.featured_at, i.voter_hmac
           FROM ins JOIN input i ON i.source_id = ins.source_id)
         SELECT source_id FROM ins`,
        [
          col('id'),
          col('sourceId'),
          col('parentRef'),
          col('threadRef'),
          col('status'),
          part.map((c) => c.origin?.source ?? null),
          part.map((c) => c.origin?.id ?? null),
          part.map((c) => c.origin?.upvotes ?? 0),
          part.map((c) => c.origin?.downvotes ?? 0),
          col('entry'),
          col('statusBeforeDelete'),
          col('authorName'),
          col('authorWebsite'),
          col('avatar'),
          col('emailEnc'),
          col('emailHmac'),
          col('ipHmac'),
          col('userAgent'),
          col('bodySource'),
          col('bodyHtml'),
          col('bodyHash'),
          col('reasons'),
          col('createdAt'),
          col('editedAt'),
          col('statusChangedAt'),
          col('featuredAt'),
          col('voterHmac'),
        ],
      ),
    );
    if (r.rows.length < part.length) {
      const inserted = new Set(r.rows.map((x) => x.source_id));
      const dup = part.find((c) => !inserted.has(c.sourceId))!;
      throw new ImportError(`${dup.sourceId} comes twice in the file`, { entry: dup.entry });
    }
  }

  async addReports(reports: StagedReport[]): Promise<void> {
    for (let i = 0; i < reports.length; i += CHUNK) {
      const part = reports.slice(i, i + CHUNK);
      await this.c.query(
        `INSERT INTO import_reports (comment_id, reporter_hmac, reason, note, created_at, resolved_at)
         SELECT comment_id, reporter_hmac, reason, note, created_at, resolved_at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) WITH ORDINALITY
             AS t(comment_id, reporter_hmac, reason, note, created_at, resolved_at, k) ORDER BY k`,
        [part.map((r) => r.commentId), part.map((r) => r.reporterHmac), part.map((r) => r.reason), part.map((r) => r.note), part.map((r) => r.createdAt), part.map((r) => r.resolvedAt)],
      );
    }
  }

  async addLog(entries: StagedLogEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += CHUNK) {
      const part = entries.slice(i, i + CHUNK);
      await this.c.query(
        `INSERT INTO import_log (comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
         SELECT comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[]) WITH ORDINALITY
             AS t(comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at, k) ORDER BY k`,
        [
          part.map((e) => e.commentId),
          part.map((e) => e.actor.type),
          part.map((e) => (e.actor.type === 'token' ? e.actor.id : null)),
          part.map((e) => e.action),
          part.map((e) => e.from),
          part.map((e) => e.to),
          part.map((e) => e.reason),
          part.map((e) => e.createdAt),
        ],
      );
    }
  }

  async addBans(bans: Ban[]): Promise<void> {
    for (let i = 0; i < bans.length; i += CHUNK) {
      const part = bans.slice(i, i + CHUNK);
      await this.c.query(
        `INSERT INTO import_bans (id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by)
         SELECT id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[]) WITH ORDINALITY
             AS t(id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by, k)
          ORDER BY k ON CONFLICT (id) DO NOTHING`,
        [
          part.map((b) => b.id),
          part.map((b) => b.kind),
          part.map((b) => b.valueHmac),
          part.map((b) => b.emailEnc),
          part.map((b) => b.reason),
          part.map((b) => b.commentId),
          part.map((b) => b.expiresAt),
          part.map((b) => b.createdAt),
          part.map((b) => b.createdBy),
        ],
      );
    }
  }

  async addVotes(votes: StagedVote[]): Promise<void> {
    for (let i = 0; i < votes.length; i += CHUNK) {
      const part = votes.slice(i, i + CHUNK);
      await this.c.query(
        `INSERT INTO import_votes (comment_id, voter_hmac, value, voted_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[]) ON CONFLICT DO NOTHING`,
        [part.map((v) => v.commentId), part.map((v) => v.voterHmac), part.map((v) => v.value), part.map((v) => v.votedAt)],
      );
    }
  }

  async resolve(): Promise<ResolvedRun> {
    const site = this.opts.siteId;
    return this.tx(async (c) => {
      const q = (text: string, values: unknown[] = []) => c.query(text, values);
      const orphan = (await q(`SELECT entry, thread_ref FROM ${S} s WHERE NOT EXISTS (SELECT 1 FROM ${P} p WHERE p.ref = s.thread_ref) LIMIT 1`)).rows[0] as
        | { entry: string; thread_ref: string }
        | undefined;
      if (orphan) throw new ImportError(`its thread ${orphan.thread_ref} is not in the file`, { entry: orphan.entry });
      // Temporary tables are never analysed by autovacuum: without statistics the linking joins plan badly.
      await q(`CREATE INDEX ON ${S} (id); ANALYZE ${S}; ANALYZE ${P}`);
      await q(`UPDATE ${S} s SET page_key = p.key FROM ${P} p WHERE p.ref = s.thread_ref`);
      // Already there: the same source and id from an earlier run, or (our export) the same comment id.
      await q(
        `UPDATE ${S} s SET skip = true, id = cs.comment_id FROM comment_sources cs
          WHERE cs.site_id = $1 AND cs.source = s.origin_source AND cs.source_id = s.origin_id`,
        [site],
      );
      if (this.opts.marginaliaIds) await q(`UPDATE ${S} s SET skip = true WHERE NOT skip AND EXISTS (SELECT 1 FROM comments c WHERE c.id = s.id)`);
      // Parents: in this file, else from an earlier run of the same source (or already in the database, for our ids).
      await q(`UPDATE ${S} s SET parent_id = p.id FROM ${S} p WHERE s.parent_ref IS NOT NULL AND p.source_id = s.parent_ref`);
      if (this.opts.marginaliaIds)
        await q(`UPDATE ${S} s SET parent_id = c.id FROM comments c WHERE s.parent_id IS NULL AND s.parent_ref = c.id AND c.site_id = $1`, [site]);
      else
        await q(
          `UPDATE ${S} s SET parent_id = cs.comment_id FROM comment_sources cs WHERE s.parent_id IS NULL AND s.parent_ref IS NOT NULL
            AND cs.site_id = $1 AND cs.source = s.origin_source AND cs.source_id = s.parent_ref`,
          [site],
        );
      await q(
        `UPDATE ${S} SET warning = 'its parent ' || parent_ref || ' is not in the file: imported as a top-level comment'
          WHERE NOT skip AND parent_ref IS NOT NULL AND parent_id IS NULL`,
      );
      // A reply stays on its parent's page.
      await q(
        `UPDATE ${S} s SET parent_id = NULL, warning = 'its parent ' || s.parent_ref || ' is on another page: imported as a top-level comment'
          WHERE NOT s.skip AND s.parent_id IS NOT NULL AND s.page_key IS DISTINCT FROM coalesce(
            (SELECT p.page_key FROM ${S} p WHERE p.id = s.parent_id LIMIT 1),
            (SELECT pg.key FROM comments c JOIN pages pg ON pg.id = c.page_id WHERE c.id = s.parent_id))`,
      );
      await q(`CREATE INDEX ON ${S} (parent_id); ANALYZE ${S}`);
      await this.orderTree(c);
      const unreached = (await q(`SELECT count(*)::int AS k FROM ${S} WHERE NOT skip AND path IS NULL`)).rows[0].k as number;
      if (unreached > 0) {
        // Only a loop of parents leaves comments unreached; every loop has a reply that names a later entry as parent.
        await q(
          `UPDATE ${S} s SET parent_id = NULL, warning = 'its parent ' || s.parent_ref || ' is its own descendant: imported as a top-level comment'
            WHERE NOT s.skip AND s.path IS NULL AND (SELECT p.seq FROM ${S} p WHERE p.id = s.parent_id LIMIT 1) > s.seq`,
        );
        await this.orderTree(c);
      }
      await q(`CREATE INDEX ON ${S} (ord); ANALYZE ${S}`);
      const counts = (
        await q(`SELECT count(*) FILTER (WHERE NOT skip)::int AS todo, count(*) FILTER (WHERE skip)::int AS there,
            count(*) FILTER (WHERE NOT skip AND warning IS NOT NULL)::int AS warned FROM ${S}`)
      ).rows[0] as { todo: number; there: number; warned: number };
      const newPages = (
        await q(
          `SELECT count(DISTINCT page_key)::int AS k FROM ${S} s WHERE NOT skip
            AND NOT EXISTS (SELECT 1 FROM pages WHERE site_id = $1 AND key = s.page_key)`,
          [site],
        )
      ).rows[0].k as number;
      const warnings = (
        await q(`SELECT entry || ': ' || warning AS line FROM ${S} WHERE NOT skip AND warning IS NOT NULL ORDER BY seq LIMIT $1`, [WARNING_LINES])
      ).rows.map((r) => r.line as string);
      this.resolved = true;
      return { toImport: counts.todo, alreadyThere: counts.there, newPages, warnings, warningCount: counts.warned };
    });
  }

  /** Depth, root and path of every comment to add, from the roots down; `ord` puts parents before their replies. */
  private async orderTree(c: Client): Promise<void> {
    await c.query(
      `WITH RECURSIVE tree(seq, id, root, depth, path) AS (
         SELECT * FROM (
           SELECT seq, id, id, 0, id FROM ${S} WHERE NOT skip AND parent_id IS NULL
           UNION ALL
           SELECT s.seq, s.id, c.root_id, c.depth + 1, c.path || '/' || s.id FROM ${S} s JOIN comments c ON c.id = s.parent_id
            WHERE NOT s.skip) roots
         UNION ALL
         SELECT ch.seq, ch.id, t.root, t.depth + 1, t.path || '/' || ch.id FROM tree t JOIN ${S} ch ON ch.parent_id = t.id AND NOT ch.skip)
       UPDATE ${S} s SET root_id = t.root, depth = t.depth, path = t.path FROM tree t WHERE s.seq = t.seq`,
    );
    await c.query(
      `UPDATE ${S} s SET ord = r.k FROM (SELECT seq, row_number() OVER (ORDER BY depth, seq) AS k FROM ${S}
         WHERE NOT skip AND path IS NOT NULL) r WHERE s.seq = r.seq`,
    );
  }

  ownSite(siteId: string): void {
    this.createdSites.push(siteId);
  }

  async writeBatch(size: number): Promise<number> {
    if (!this.resolved) throw new Error('resolve() comes before writeBatch()');
    const siteId = this.opts.siteId;
    return this.tx(async (c) => {
      if (!this.pagesWritten) {
        // New pages first (remembered, so an undo can remove them); a page already there gains a title or URL it lacks.
        // Our export brings every page (closed or titled ones without comments too); other sources, pages with comments.
        const keys = this.opts.marginaliaIds ? `SELECT key FROM ${P}` : `SELECT DISTINCT page_key FROM ${S} WHERE NOT skip`;
        await c.query(
          `WITH ins AS (
             INSERT INTO pages (site_id, key, url, title, closed, metadata_locked, created_at)
             SELECT $1, key, url, title, closed, metadata_locked, created_at FROM ${P} x
              WHERE key IN (${keys}) AND seq = (SELECT min(seq) FROM ${P} q WHERE q.key = x.key)
                AND NOT EXISTS (SELECT 1 FROM pages WHERE site_id = $1 AND pages.key = x.key)
             ORDER BY seq RETURNING id)
           INSERT INTO import_new_pages (id) SELECT id FROM ins`,
          [siteId],
        );
        await c.query(
          `UPDATE pages SET url = coalesce(url, (SELECT p.url FROM ${P} p WHERE p.key = pages.key ORDER BY p.seq LIMIT 1)),
             title = coalesce(title, (SELECT p.title FROM ${P} p WHERE p.key = pages.key ORDER BY p.seq LIMIT 1))
           WHERE site_id = $1 AND NOT metadata_locked AND key IN (${keys}) AND (url IS NULL OR title IS NULL)`,
          [siteId],
        );
        await c.query(`UPDATE ${S} s SET page_id = pg.id FROM pages pg WHERE NOT s.skip AND pg.site_id = $1 AND pg.key = s.page_key`, [siteId]);
        this.pagesWritten = true;
      }
      const from = this.written;
      const to = this.written + size;
      const k =
        (
          await c.query(
            `INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, status_before_delete, shown,
               author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source, body_html, body_hash, reasons,
               created_at, edited_at, status_changed_at, featured_at, voter_hmac)
             SELECT s.id, $1, s.page_id, s.parent_id, s.root_id, s.depth, s.path, s.status, b.status_before_delete, s.status = 'approved',
               b.author_name, b.author_website, b.avatar, b.email_enc, b.email_hmac, b.ip_hmac, b.user_agent, b.body_source, b.body_html,
               b.body_hash, b.reasons, b.created_at, b.edited_at, b.status_changed_at, b.featured_at, b.voter_hmac
             FROM ${S} s JOIN import_bodies b ON b.seq = s.seq WHERE s.ord > $2 AND s.ord <= $3 ORDER BY s.ord`,
            [siteId, from, to],
          )
        ).rowCount ?? 0;
      await c.query(
        `INSERT INTO comment_sources (site_id, source, source_id, comment_id, upvotes, downvotes)
         SELECT $1, origin_source, origin_id, id, upvotes, downvotes FROM ${S}
          WHERE ord > $2 AND ord <= $3 AND origin_source IS NOT NULL`,
        [siteId, from, to],
      );
      if (this.opts.auditSource)
        await c.query(
          `INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
           SELECT $1, id, 'system', NULL, 'import', NULL, status, $4, $5 FROM ${S} WHERE ord > $2 AND ord <= $3 ORDER BY ord`,
          [siteId, from, to, `imported from ${this.opts.auditSource}`, this.opts.now],
        );
      this.written += k;
      return k;
    });
  }

  async finish(): Promise<void> {
    const siteId = this.opts.siteId;
    await this.tx(async (c) => {
      // A comment that is not public but has a shown reply is shown as a placeholder; walk up level by level.
      for (;;) {
        const r = await c.query(
          `UPDATE comments SET shown = true WHERE NOT shown AND id IN (
             SELECT x.parent_id FROM comments x WHERE x.site_id = $1 AND x.shown AND x.parent_id IS NOT NULL)`,
          [siteId],
        );
        if (!r.rowCount) break;
      }
      const added = `(SELECT id FROM ${S} WHERE NOT skip AND ord IS NOT NULL)`;
      await c.query(
        `INSERT INTO reports (comment_id, reporter_hmac, reason, note, created_at, resolved_at)
         SELECT comment_id, reporter_hmac, reason, note, created_at, resolved_at FROM import_reports
          WHERE comment_id IN ${added} ORDER BY seq ON CONFLICT (comment_id, reporter_hmac) DO NOTHING`,
      );
      await c.query(
        `UPDATE comments SET report_count = (SELECT count(*) FROM reports r WHERE r.comment_id = comments.id AND r.resolved_at IS NULL)
          WHERE id IN (SELECT comment_id FROM import_reports)`,
      );
      await c.query(
        `INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
         SELECT $1, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at FROM import_log
          WHERE comment_id IN ${added} ORDER BY seq`,
        [siteId],
      );
      await c.query(
        `INSERT INTO bans (id, site_id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by)
         SELECT id, $1, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by
           FROM import_bans ORDER BY created_at, id ON CONFLICT (id) DO NOTHING`,
        [siteId],
      );
      // Votes on the comments added, and their totals from those votes (as a vote keeps them).
      await c.query(
        `INSERT INTO votes (comment_id, voter_hmac, value, voted_at)
         SELECT comment_id, voter_hmac, value, voted_at FROM import_votes WHERE comment_id IN ${added} ORDER BY comment_id, voter_hmac`,
      );
      await c.query(
        `UPDATE comments SET upvotes = t.up, downvotes = t.down
           FROM (SELECT comment_id, count(*) FILTER (WHERE value = 1)::int AS up, count(*) FILTER (WHERE value = -1)::int AS down
                   FROM votes WHERE comment_id IN (SELECT comment_id FROM import_votes WHERE comment_id IN ${added}) GROUP BY comment_id) t
          WHERE comments.id = t.comment_id`,
      );
    });
  }

  async undo(): Promise<void> {
    const siteId = this.opts.siteId;
    await this.tx(async (c) => {
      for (const id of this.createdSites) await c.query('DELETE FROM sites WHERE id = $1', [id]);
      // One statement: the reference from a reply to its parent is checked at its end, when both are gone.
      await c.query(`DELETE FROM comments WHERE site_id = $1 AND id IN (SELECT id FROM ${S} WHERE NOT skip AND ord IS NOT NULL AND ord <= $2)`, [
        siteId,
        this.written,
      ]);
      await c.query(
        `DELETE FROM pages WHERE id IN (SELECT id FROM import_new_pages)
           AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.page_id = pages.id)`,
      );
    });
    this.written = 0;
  }

  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if (!this.broken) await this.c.query(TABLES.map((t) => `DROP TABLE IF EXISTS pg_temp.${t};`).join('\n'));
    } catch (err) {
      this.broken = err as Error;
    } finally {
      // A connection in an unknown state is closed rather than reused; closing it drops its temporary tables too.
      this.c.release(this.broken);
    }
  }
}
