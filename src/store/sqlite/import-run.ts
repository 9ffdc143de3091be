// Store: one import run. Records are staged in temporary tables first (checked, linked, ordered), so a file that
// breaks a rule changes nothing; then they are copied into the real tables in batches of one transaction each,
// parents before replies. A run that fails part-way removes what it wrote.
import type Database from 'better-sqlite3';
import type { Db } from '../db';
import type { ImportRun, ResolvedRun, StagedComment, StagedLogEntry, StagedPage, StagedReport, StagedVote } from '../../domain/transfer-ports';
import type { Ban } from '../../domain/types';
import { ImportError } from '../../import/records';
import { writeWhenFree } from './busy';

type Statement = Database.Statement<unknown[], unknown>;

const WARNING_LINES = 100;
let runs = 0;

export class SqliteImportRun implements ImportRun {
  private readonly n = ++runs;
  private readonly s: Record<string, Statement>;
  private written = 0;
  private pagesWritten = false;
  private readonly createdSites: string[] = [];
  private resolved = false;

  constructor(
    private readonly db: Db,
    private readonly opts: { siteId: string; marginaliaIds: boolean; auditSource: string | null; now: number },
  ) {
    const n = this.n;
    // The linking passes rewrite the narrow table several times: give the temporary schema room for it.
    db.pragma('temp.cache_size = -8192');
    const S = `temp.import_comments_${n}`;
    const P = `temp.import_pages_${n}`;
    db.exec(`
      CREATE TEMP TABLE import_comments_${n} (
        seq INTEGER PRIMARY KEY, id TEXT NOT NULL, source_id TEXT NOT NULL UNIQUE, parent_ref TEXT, thread_ref TEXT NOT NULL,
        status TEXT NOT NULL, origin_source TEXT, origin_id TEXT, upvotes INTEGER NOT NULL, downvotes INTEGER NOT NULL,
        entry TEXT NOT NULL, skip INTEGER NOT NULL DEFAULT 0, parent_id TEXT, warning TEXT, page_key TEXT, page_id INTEGER,
        root_id TEXT, depth INTEGER, path TEXT, ord INTEGER);
      -- What each comment says, written once and read once: the passes that link the tree rewrite only the table above.
      CREATE TEMP TABLE import_bodies_${n} (
        seq INTEGER PRIMARY KEY, status_before_delete TEXT, author_name TEXT NOT NULL, author_website TEXT, avatar TEXT NOT NULL,
        email_enc BLOB NOT NULL, email_hmac TEXT NOT NULL, ip_hmac TEXT, user_agent TEXT, body_source TEXT NOT NULL,
        body_html TEXT NOT NULL, body_hash TEXT NOT NULL, reasons TEXT NOT NULL, created_at INTEGER NOT NULL, edited_at INTEGER,
        status_changed_at INTEGER NOT NULL, featured_at INTEGER, voter_hmac TEXT);
      CREATE TEMP TABLE import_votes_${n} (comment_id TEXT NOT NULL, voter_hmac TEXT NOT NULL, value INTEGER NOT NULL,
        voted_at INTEGER NOT NULL, PRIMARY KEY (comment_id, voter_hmac));
      CREATE TEMP TABLE import_pages_${n} (ref TEXT PRIMARY KEY, key TEXT NOT NULL, url TEXT, title TEXT, closed INTEGER NOT NULL,
        metadata_locked INTEGER NOT NULL, created_at INTEGER NOT NULL, seq INTEGER NOT NULL);
      CREATE TEMP TABLE import_new_pages_${n} (id INTEGER PRIMARY KEY);
      CREATE TEMP TABLE import_reports_${n} (seq INTEGER PRIMARY KEY, comment_id TEXT NOT NULL, reporter_hmac TEXT NOT NULL,
        reason TEXT NOT NULL, note TEXT, created_at INTEGER NOT NULL, resolved_at INTEGER);
      CREATE TEMP TABLE import_log_${n} (seq INTEGER PRIMARY KEY, comment_id TEXT NOT NULL, actor_type TEXT NOT NULL, actor_id TEXT,
        action TEXT NOT NULL, from_status TEXT, to_status TEXT NOT NULL, reason TEXT, created_at INTEGER NOT NULL);
      CREATE TEMP TABLE import_bans_${n} (id TEXT PRIMARY KEY, kind TEXT NOT NULL, value_hmac TEXT NOT NULL, email_enc BLOB,
        reason TEXT, comment_id TEXT, expires_at INTEGER, created_at INTEGER NOT NULL, created_by TEXT);
    `);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      addComment: p(`INSERT INTO ${S} (id, source_id, parent_ref, thread_ref, status, origin_source, origin_id, upvotes, downvotes, entry)
        VALUES (@id, @sourceId, @parentRef, @threadRef, @status, @originSource, @originId, @upvotes, @downvotes, @entry)
        ON CONFLICT (source_id) DO NOTHING`),
      known: p('SELECT 1 FROM comment_sources WHERE site_id = @siteId AND source = @source AND source_id = @sourceId'),
      anyKnown: p('SELECT 1 FROM comment_sources WHERE site_id = @siteId AND source = @source LIMIT 1'),
      addBody: p(`INSERT INTO temp.import_bodies_${n} (seq, status_before_delete, author_name, author_website, avatar, email_enc,
          email_hmac, ip_hmac, user_agent, body_source, body_html, body_hash, reasons, created_at, edited_at, status_changed_at,
          featured_at, voter_hmac)
        VALUES (@seq, @statusBeforeDelete, @authorName, @authorWebsite, @avatar, @emailEnc, @emailHmac, @ipHmac, @userAgent,
          @bodySource, @bodyHtml, @bodyHash, @reasons, @createdAt, @editedAt, @statusChangedAt, @featuredAt, @voterHmac)`),
      addVote: p(`INSERT INTO temp.import_votes_${n} (comment_id, voter_hmac, value, voted_at)
        VALUES (@commentId, @voterHmac, @value, @votedAt) ON CONFLICT DO NOTHING`),
      addPage: p(`INSERT INTO ${P} (ref, key, url, title, closed, metadata_locked, created_at, seq)
        VALUES (@ref, @key, @url, @title, @closed, @metadataLocked, @createdAt, (SELECT count(*) FROM ${P}))
        ON CONFLICT (ref) DO NOTHING`),
      addReport: p(`INSERT INTO temp.import_reports_${n} (comment_id, reporter_hmac, reason, note, created_at, resolved_at)
        VALUES (@commentId, @reporterHmac, @reason, @note, @createdAt, @resolvedAt)`),
      addLog: p(`INSERT INTO temp.import_log_${n} (comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
        VALUES (@commentId, @actorType, @actorId, @action, @from, @to, @reason, @createdAt)`),
      addBan: p(`INSERT INTO temp.import_bans_${n} (id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by)
        VALUES (@id, @kind, @valueHmac, @emailEnc, @reason, @commentId, @expiresAt, @createdAt, @createdBy) ON CONFLICT (id) DO NOTHING`),
      batch: p(`INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, status_before_delete, shown,
          author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source, body_html, body_hash, reasons,
          created_at, edited_at, status_changed_at, featured_at, voter_hmac)
        SELECT s.id, @siteId, s.page_id, s.parent_id, s.root_id, s.depth, s.path, s.status, b.status_before_delete, s.status = 'approved',
          b.author_name, b.author_website, b.avatar, b.email_enc, b.email_hmac, b.ip_hmac, b.user_agent, b.body_source, b.body_html,
          b.body_hash, b.reasons, b.created_at, b.edited_at, b.status_changed_at, b.featured_at, b.voter_hmac
        FROM ${S} s JOIN temp.import_bodies_${n} b ON b.seq = s.seq WHERE s.ord > @from AND s.ord <= @to ORDER BY s.ord`),
      batchOrigins: p(`INSERT INTO comment_sources (site_id, source, source_id, comment_id, upvotes, downvotes)
        SELECT @siteId, origin_source, origin_id, id, upvotes, downvotes FROM ${S}
        WHERE ord > @from AND ord <= @to AND origin_source IS NOT NULL`),
      batchAudit: p(`INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
        SELECT @siteId, id, 'system', NULL, 'import', NULL, status, @reason, @now FROM ${S} WHERE ord > @from AND ord <= @to ORDER BY ord`),
    };
  }

  private get S() {
    return `temp.import_comments_${this.n}`;
  }
  private get P() {
    return `temp.import_pages_${this.n}`;
  }

  /** Sources the site had comments from when the run began; a first import skips the look-up per comment. */
  private readonly sourcesSeen = new Map<string, boolean>();

  /**
   * Only spares preparing a comment that is surely skipped; resolve() decides what is already there, against the
   * database as it is then.
   */
  alreadyImported(source: string, sourceId: string): boolean {
    let any = this.sourcesSeen.get(source);
    if (any === undefined) this.sourcesSeen.set(source, (any = this.s.anyKnown.get({ siteId: this.opts.siteId, source }) !== undefined));
    return any && this.s.known.get({ siteId: this.opts.siteId, source, sourceId }) !== undefined;
  }

  async addPages(pages: StagedPage[]): Promise<void> {
    this.db.transaction(() => {
      for (const pg of pages) this.s.addPage.run({ ...pg, closed: pg.closed ? 1 : 0, metadataLocked: pg.metadataLocked ? 1 : 0 });
    })();
  }

  async addComments(comments: StagedComment[]): Promise<void> {
    this.db.transaction(() => {
      for (const c of comments) {
        const r = this.s.addComment.run({
          id: c.id,
          sourceId: c.sourceId,
          parentRef: c.parentRef,
          threadRef: c.threadRef,
          status: c.status,
          originSource: c.origin?.source ?? null,
          originId: c.origin?.id ?? null,
          upvotes: c.origin?.upvotes ?? 0,
          downvotes: c.origin?.downvotes ?? 0,
          entry: c.entry,
        });
        if (r.changes === 0) throw new ImportError(`${c.sourceId} comes twice in the file`, { entry: c.entry });
        this.s.addBody.run({
          seq: r.lastInsertRowid,
          statusBeforeDelete: c.statusBeforeDelete,
          authorName: c.authorName,
          authorWebsite: c.authorWebsite,
          avatar: c.avatar,
          emailEnc: c.emailEnc,
          emailHmac: c.emailHmac,
          ipHmac: c.ipHmac,
          userAgent: c.userAgent,
          bodySource: c.bodySource,
          bodyHtml: c.bodyHtml,
          bodyHash: c.bodyHash,
          reasons: c.reasons,
          createdAt: c.createdAt,
          editedAt: c.editedAt,
          statusChangedAt: c.statusChangedAt,
          featuredAt: c.featuredAt,
          voterHmac: c.voterHmac,
        });
      }
    })();
  }

  async addReports(reports: StagedReport[]): Promise<void> {
    this.db.transaction(() => {
      for (const r of reports) this.s.addReport.run(r);
    })();
  }

  async addLog(entries: StagedLogEntry[]): Promise<void> {
    this.db.transaction(() => {
      for (const e of entries)
        this.s.addLog.run({
          commentId: e.commentId,
          actorType: e.actor.type,
          actorId: e.actor.type === 'token' ? e.actor.id : null,
          action: e.action,
          from: e.from,
          to: e.to,
          reason: e.reason,
          createdAt: e.createdAt,
        });
    })();
  }

  async addBans(bans: Ban[]): Promise<void> {
    this.db.transaction(() => {
      for (const b of bans) this.s.addBan.run(b);
    })();
  }

  async addVotes(votes: StagedVote[]): Promise<void> {
    this.db.transaction(() => {
      for (const v of votes) this.s.addVote.run(v);
    })();
  }

  async resolve(): Promise<ResolvedRun> {
    const { db, S, P, n } = this;
    const site = this.opts.siteId;
    return db.transaction(() => {
      const orphan = db.prepare(`SELECT entry, thread_ref FROM ${S} WHERE thread_ref NOT IN (SELECT ref FROM ${P}) LIMIT 1`).get() as
        | { entry: string; thread_ref: string }
        | undefined;
      if (orphan) throw new ImportError(`its thread ${orphan.thread_ref} is not in the file`, { entry: orphan.entry });
      db.exec(`CREATE INDEX temp.import_comments_${n}_id ON import_comments_${n} (id)`);
      db.prepare(`UPDATE ${S} SET page_key = (SELECT key FROM ${P} p WHERE p.ref = thread_ref)`).run();
      // Already there: the same source and id from an earlier run, or (our export) the same comment id.
      db.prepare(
        `UPDATE ${S} AS s SET skip = 1, id = cs.comment_id FROM comment_sources cs
          WHERE cs.site_id = @site AND cs.source = s.origin_source AND cs.source_id = s.origin_id`,
      ).run({ site });
      if (this.opts.marginaliaIds) db.prepare(`UPDATE ${S} SET skip = 1 WHERE skip = 0 AND id IN (SELECT id FROM comments)`).run();
      // Parents: in this file, else from an earlier run of the same source (or already in the database, for our ids).
      db.prepare(`UPDATE ${S} AS s SET parent_id = p.id FROM ${S} p WHERE s.parent_ref IS NOT NULL AND p.source_id = s.parent_ref`).run();
      if (this.opts.marginaliaIds)
        db.prepare(
          `UPDATE ${S} AS s SET parent_id = c.id FROM comments c WHERE s.parent_id IS NULL AND s.parent_ref = c.id AND c.site_id = @site`,
        ).run({ site });
      else
        db.prepare(
          `UPDATE ${S} AS s SET parent_id = cs.comment_id FROM comment_sources cs WHERE s.parent_id IS NULL AND s.parent_ref IS NOT NULL
            AND cs.site_id = @site AND cs.source = s.origin_source AND cs.source_id = s.parent_ref`,
        ).run({ site });
      db.prepare(
        `UPDATE ${S} SET warning = 'its parent ' || parent_ref || ' is not in the file: imported as a top-level comment'
          WHERE skip = 0 AND parent_ref IS NOT NULL AND parent_id IS NULL`,
      ).run();
      // A reply stays on its parent's page.
      db.prepare(
        `UPDATE ${S} AS s SET parent_id = NULL, warning = 'its parent ' || s.parent_ref || ' is on another page: imported as a top-level comment'
          WHERE s.skip = 0 AND s.parent_id IS NOT NULL AND s.page_key IS NOT coalesce(
            (SELECT p.page_key FROM ${S} p WHERE p.id = s.parent_id),
            (SELECT pg.key FROM comments c JOIN pages pg ON pg.id = c.page_id WHERE c.id = s.parent_id))`,
      ).run();
      db.exec(`CREATE INDEX temp.import_comments_${n}_parent ON import_comments_${n} (parent_id)`);
      this.orderTree();
      const unreached = db.prepare(`SELECT count(*) AS k FROM ${S} WHERE skip = 0 AND path IS NULL`).get() as { k: number };
      if (unreached.k > 0) {
        // Only a loop of parents leaves comments unreached; every loop has a reply that names a later entry as parent.
        db.prepare(
          `UPDATE ${S} AS s SET parent_id = NULL, warning = 'its parent ' || s.parent_ref || ' is its own descendant: imported as a top-level comment'
            WHERE s.skip = 0 AND s.path IS NULL AND (SELECT p.seq FROM ${S} p WHERE p.id = s.parent_id) > s.seq`,
        ).run();
        this.orderTree();
      }
      db.exec(`CREATE INDEX temp.import_comments_${n}_ord ON import_comments_${n} (ord)`);
      const counts = db.prepare(`SELECT coalesce(sum(skip = 0), 0) AS todo, coalesce(sum(skip = 1), 0) AS there,
          coalesce(sum(skip = 0 AND warning IS NOT NULL), 0) AS warned FROM ${S}`).get() as { todo: number; there: number; warned: number };
      const newPages = db
        .prepare(`SELECT count(DISTINCT page_key) AS k FROM ${S} s WHERE skip = 0
          AND NOT EXISTS (SELECT 1 FROM pages WHERE site_id = @site AND key = s.page_key)`)
        .get({ site }) as { k: number };
      const warnings = (db.prepare(`SELECT entry || ': ' || warning AS line FROM ${S} WHERE skip = 0 AND warning IS NOT NULL ORDER BY seq LIMIT ?`).pluck().all(WARNING_LINES) as string[]);
      this.resolved = true;
      return { toImport: counts.todo, alreadyThere: counts.there, newPages: newPages.k, warnings, warningCount: counts.warned };
    })();
  }

  /** Depth, root and path of every comment to add, from the roots down; `ord` puts parents before their replies. */
  private orderTree(): void {
    const { db, S } = this;
    db.prepare(
      `WITH RECURSIVE tree(seq, id, root, depth, path) AS (
         SELECT * FROM (
           SELECT seq, id, id, 0, id FROM ${S} WHERE skip = 0 AND parent_id IS NULL
           UNION ALL
           SELECT s.seq, s.id, c.root_id, c.depth + 1, c.path || '/' || s.id FROM ${S} s JOIN comments c ON c.id = s.parent_id
            WHERE s.skip = 0)
         UNION ALL
         SELECT ch.seq, ch.id, t.root, t.depth + 1, t.path || '/' || ch.id FROM tree t JOIN ${S} ch ON ch.parent_id = t.id AND ch.skip = 0)
       UPDATE ${S} AS s SET root_id = t.root, depth = t.depth, path = t.path FROM tree t WHERE s.seq = t.seq`,
    ).run();
    db.prepare(
      `UPDATE ${S} AS s SET ord = r.k FROM (SELECT seq, row_number() OVER (ORDER BY depth, seq) AS k FROM ${S}
         WHERE skip = 0 AND path IS NOT NULL) r WHERE s.seq = r.seq`,
    ).run();
  }

  ownSite(siteId: string): void {
    this.createdSites.push(siteId);
  }

  async writeBatch(size: number): Promise<number> {
    if (!this.resolved) throw new Error('resolve() comes before writeBatch()');
    const { db, S, P, n } = this;
    const siteId = this.opts.siteId;
    return writeWhenFree(db, () => {
      if (!this.pagesWritten) {
        // New pages first (remembered, so an undo can remove them); a page already there gains a title or URL it lacks.
        // Our export brings every page (closed or titled ones without comments too); other sources, pages with comments.
        const keys = this.opts.marginaliaIds ? `SELECT key FROM ${P}` : `SELECT DISTINCT page_key FROM ${S} WHERE skip = 0`;
        const insert = db.prepare(
          `INSERT INTO pages (site_id, key, url, title, closed, metadata_locked, created_at)
           SELECT @siteId, key, url, title, closed, metadata_locked, created_at FROM ${P}
            WHERE key IN (${keys}) AND seq = (SELECT min(seq) FROM ${P} q WHERE q.key = ${P}.key)
              AND NOT EXISTS (SELECT 1 FROM pages WHERE site_id = @siteId AND pages.key = ${P}.key)
           ORDER BY seq RETURNING id`,
        );
        const remember = db.prepare(`INSERT INTO temp.import_new_pages_${n} (id) VALUES (?)`);
        for (const id of insert.pluck().all({ siteId }) as number[]) remember.run(id);
        db.prepare(
          `UPDATE pages SET url = coalesce(url, (SELECT p.url FROM ${P} p WHERE p.key = pages.key ORDER BY p.seq LIMIT 1)),
             title = coalesce(title, (SELECT p.title FROM ${P} p WHERE p.key = pages.key ORDER BY p.seq LIMIT 1))
           WHERE site_id = @siteId AND metadata_locked = 0 AND key IN (${keys}) AND (url IS NULL OR title IS NULL)`,
        ).run({ siteId });
        db.prepare(`UPDATE ${S} SET page_id = (SELECT id FROM pages WHERE site_id = @siteId AND key = page_key) WHERE skip = 0`).run({ siteId });
        this.pagesWritten = true;
      }
      const range = { siteId, from: this.written, to: this.written + size };
      const k = this.s.batch.run(range).changes;
      this.s.batchOrigins.run(range);
      if (this.opts.auditSource) this.s.batchAudit.run({ ...range, reason: `imported from ${this.opts.auditSource}`, now: this.opts.now });
      this.written += k;
      return k;
    });
  }

  async finish(): Promise<void> {
    const { db, S, n } = this;
    const siteId = this.opts.siteId;
    await writeWhenFree(db, () => {
      // A comment that is not public but has a shown reply is shown as a placeholder; walk up level by level.
      const lift = db.prepare(
        `UPDATE comments SET shown = 1 WHERE shown = 0 AND id IN (
           SELECT c.parent_id FROM comments c WHERE c.site_id = @siteId AND c.shown = 1 AND c.parent_id IS NOT NULL)`,
      );
      while (lift.run({ siteId }).changes > 0);
      const added = `(SELECT id FROM ${S} WHERE skip = 0 AND ord IS NOT NULL)`;
      db.prepare(
        `INSERT INTO reports (comment_id, reporter_hmac, reason, note, created_at, resolved_at)
         SELECT comment_id, reporter_hmac, reason, note, created_at, resolved_at FROM temp.import_reports_${n}
          WHERE comment_id IN ${added} ORDER BY seq ON CONFLICT (comment_id, reporter_hmac) DO NOTHING`,
      ).run();
      db.prepare(
        `UPDATE comments SET report_count = (SELECT count(*) FROM reports r WHERE r.comment_id = comments.id AND r.resolved_at IS NULL)
          WHERE id IN (SELECT comment_id FROM temp.import_reports_${n})`,
      ).run();
      db.prepare(
        `INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
         SELECT @siteId, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at FROM temp.import_log_${n}
          WHERE comment_id IN ${added} ORDER BY seq`,
      ).run({ siteId });
      db.prepare(
        `INSERT INTO bans (id, site_id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by)
         SELECT id, @siteId, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by
           FROM temp.import_bans_${n} WHERE true ORDER BY created_at, id ON CONFLICT (id) DO NOTHING`,
      ).run({ siteId });
      // Votes on the comments added, and their totals from those votes (as a vote keeps them).
      db.prepare(
        `INSERT INTO votes (comment_id, voter_hmac, value, voted_at)
         SELECT comment_id, voter_hmac, value, voted_at FROM temp.import_votes_${n} WHERE comment_id IN ${added} ORDER BY comment_id, voter_hmac`,
      ).run();
      db.prepare(
        `UPDATE comments SET upvotes = (SELECT count(*) FROM votes v WHERE v.comment_id = comments.id AND v.value = 1),
           downvotes = (SELECT count(*) FROM votes v WHERE v.comment_id = comments.id AND v.value = -1)
          WHERE id IN (SELECT comment_id FROM temp.import_votes_${n} WHERE comment_id IN ${added})`,
      ).run();
    });
  }

  async undo(): Promise<void> {
    const { db, S, n } = this;
    const siteId = this.opts.siteId;
    await writeWhenFree(db, () => {
      for (const id of this.createdSites) db.prepare('DELETE FROM sites WHERE id = ?').run(id);
      // Replies first: a comment's parent must outlive it.
      const ids = db.prepare(`SELECT id FROM ${S} WHERE skip = 0 AND ord IS NOT NULL AND ord <= ? ORDER BY ord DESC`).pluck().all(this.written) as string[];
      const del = db.prepare('DELETE FROM comments WHERE id = ? AND site_id = ?');
      for (const id of ids) del.run(id, siteId);
      db.prepare(
        `DELETE FROM pages WHERE id IN (SELECT id FROM temp.import_new_pages_${n})
           AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.page_id = pages.id)`,
      ).run();
    });
    this.written = 0;
  }

  async dispose(): Promise<void> {
    const n = this.n;
    for (const t of ['comments', 'bodies', 'votes', 'pages', 'new_pages', 'reports', 'log', 'bans']) this.db.exec(`DROP TABLE IF EXISTS temp.import_${t}_${n}`);
  }
}
