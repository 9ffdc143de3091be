// Store: comments, their reports and their audit rows. Each public method is one transaction.
import type Database from 'better-sqlite3';
import { atomic, type Db } from '../db';
import type {
  CommentRepository,
  FeatureRequest,
  FeedItem,
  QueueQuery,
  QueueRow,
  StatusChangeRequest,
  StatusChangeResult,
  ThreadQuery,
  ThreadResult,
  VoteRequest,
} from '../../domain/ports';
import type { Actor, Comment, CommentStatus, NewComment, Reason, Report, ThreadItem, VoteTotals, VoteValue } from '../../domain/types';
import { wilsonLowerBound } from '../../domain/ranking';
import { commentStatuses } from '../../domain/types';
import { notFound } from '../../domain/errors';
import { toComment, type CommentRow } from './rows';
import { likePattern } from './sites';
import { Journal } from './journal';

type Statement = Database.Statement<unknown[], unknown>;

export type ThreadRow = Pick<
  CommentRow,
  | 'id'
  | 'parent_id'
  | 'depth'
  | 'status'
  | 'author_name'
  | 'author_website'
  | 'avatar'
  | 'body_html'
  | 'created_at'
  | 'edited_at'
  | 'upvotes'
  | 'downvotes'
  | 'featured_at'
> & { root_id: string };

const THREAD_COLUMNS = `c.id, c.parent_id, c.root_id, c.depth, c.status, c.author_name, c.author_website,
  c.avatar, c.body_html, c.created_at, c.edited_at, c.upvotes, c.downvotes, c.featured_at`;

/** Vote totals as of a snapshot: today's totals less the changes after it. */
const BEST_ROOTS = `WITH later AS (
    SELECT comment_id, sum(d_up) AS du, sum(d_down) AS dd FROM vote_changes
    WHERE page_id = @pageId AND seq > @seq GROUP BY comment_id),
  ranked AS (
    SELECT c.id, wilson(c.upvotes - coalesce(l.du, 0), c.downvotes - coalesce(l.dd, 0)) AS rank
    FROM comments c LEFT JOIN later l ON l.comment_id = c.id
    WHERE c.page_id = @pageId AND c.shown = 1 AND c.depth = 0 AND c.created_at <= @at),
  roots AS (
    SELECT id, rank FROM ranked
    WHERE @afterId IS NULL OR rank < @afterRank OR (rank = @afterRank AND id < @afterId)
    ORDER BY rank DESC, id DESC LIMIT @limit)`;

export function toThreadItem(r: ThreadRow): ThreadItem {
  return {
    id: r.id,
    parentId: r.parent_id,
    depth: r.depth,
    status: r.status,
    authorName: r.author_name,
    authorWebsite: r.author_website,
    avatar: r.avatar,
    bodyHtml: r.body_html,
    createdAt: r.created_at,
    editedAt: r.edited_at,
    upvotes: r.upvotes,
    downvotes: r.downvotes,
    featuredAt: r.featured_at,
  };
}

export function actorColumns(actor: Actor): { actorType: string; actorId: string | null; actorAddress: string | null } {
  // A moderator acting from a mailed link holds a credential as a token holder does; the address says who.
  if (actor.type === 'mail') return { actorType: 'token', actorId: null, actorAddress: actor.address };
  return { actorType: actor.type, actorId: actor.type === 'token' ? actor.id : null, actorAddress: null };
}

export class SqliteComments implements CommentRepository {
  private readonly s: Record<string, Statement>;
  private readonly queueStatements = new Map<string, Statement>();
  private readonly journal: Journal;

  private lastPurgeAt = 0;

  constructor(private readonly db: Db) {
    // Registered on the connection, so "best" ranks in SQL exactly as the domain defines it.
    db.function('wilson', { deterministic: true }, (up, down) => wilsonLowerBound(Number(up), Number(down)));
    this.journal = new Journal(db);
    // A unary `+` keeps a column out of index choice: with no statistics, SQLite would otherwise walk a whole site's
    // comments by (site_id, …) instead of one author's by comments_author (test/store/query-plans.test.ts).
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      pageForPost: p('SELECT id, url, title, metadata_locked FROM pages WHERE site_id = ? AND key = ?'),
      insertPage: p(`INSERT INTO pages (site_id, key, url, title, created_at) VALUES (@siteId, @key, @url, @title, @now)
        RETURNING id`),
      updatePageInfo: p('UPDATE pages SET url = coalesce(url, @url), title = coalesce(title, @title) WHERE id = @id'),
      parent: p('SELECT id, page_id, root_id, depth, path FROM comments WHERE id = ?'),
      insert: p(`INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, shown,
          author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source, body_html,
          body_hash, reasons, edit_token_hash, created_at, status_changed_at, voter_hmac)
        VALUES (@id, @siteId, @pageId, @parentId, @rootId, @depth, @path, @status, @shown, @authorName, @authorWebsite,
          @avatar, @emailEnc, @emailHmac, @ipHmac, @userAgent, @bodySource, @bodyHtml, @bodyHash, @reasons,
          @editTokenHash, @createdAt, @createdAt, @voterHmac)`),
      get: p('SELECT * FROM comments WHERE id = ?'),
      audit: p(`INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, actor_address, action, from_status, to_status, reason, created_at)
        VALUES (@siteId, @commentId, @actorType, @actorId, @actorAddress, @action, @from, @to, @reason, @now)`),
      shownInfo: p('SELECT status, shown, parent_id FROM comments WHERE id = ?'),
      hasShownChild: p('SELECT 1 FROM comments WHERE parent_id = ? AND shown = 1 LIMIT 1'),
      setShown: p('UPDATE comments SET shown = ? WHERE id = ?'),
      threadOldest: p(`WITH roots AS (SELECT id FROM comments WHERE page_id = @pageId AND shown = 1 AND depth = 0
            AND id > @after ORDER BY id LIMIT @limit)
        SELECT ${THREAD_COLUMNS} FROM roots r JOIN comments c ON c.root_id = r.id AND c.shown = 1
        ORDER BY c.root_id, c.path`),
      threadNewest: p(`WITH roots AS (SELECT id FROM comments WHERE page_id = @pageId AND shown = 1 AND depth = 0
            AND id < @after ORDER BY id DESC LIMIT @limit)
        SELECT ${THREAD_COLUMNS} FROM roots r JOIN comments c ON c.root_id = r.id AND c.shown = 1
        ORDER BY c.root_id DESC, c.path`),
      threadBest: p(`${BEST_ROOTS}
        SELECT ${THREAD_COLUMNS}, r.rank FROM roots r JOIN comments c ON c.root_id = r.id AND c.shown = 1
        ORDER BY r.rank DESC, r.id DESC, c.path`),
      lastVoteChange: p('SELECT coalesce(max(seq), 0) AS seq FROM vote_changes'),
      voteOf: p('SELECT value FROM votes WHERE comment_id = ? AND voter_hmac = ?'),
      upsertVote: p(`INSERT INTO votes (comment_id, voter_hmac, value, voted_at) VALUES (@commentId, @voterHmac, @value, @now)
        ON CONFLICT (comment_id, voter_hmac) DO UPDATE SET value = excluded.value, voted_at = excluded.voted_at`),
      deleteVote: p('DELETE FROM votes WHERE comment_id = ? AND voter_hmac = ?'),
      addTotals: p(`UPDATE comments SET upvotes = upvotes + @du, downvotes = downvotes + @dd WHERE id = @id
        RETURNING upvotes, downvotes, page_id`),
      totals: p('SELECT upvotes, downvotes FROM comments WHERE id = ?'),
      logVoteChange: p(`INSERT INTO vote_changes (page_id, comment_id, d_up, d_down, at) VALUES (@pageId, @id, @du, @dd, @now)`),
      purgeVoteChanges: p('DELETE FROM vote_changes WHERE at < ?'),
      setFeatured: p('UPDATE comments SET featured_at = @at WHERE id = @id'),
      featuredSite: p(`SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
        FROM comments c JOIN pages p ON p.id = c.page_id
        WHERE c.site_id = ? AND c.featured_at IS NOT NULL AND c.status = 'approved'
        ORDER BY c.featured_at DESC, c.id DESC LIMIT ?`),
      featuredPage: p(`SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
        FROM comments c JOIN pages p ON p.id = c.page_id
        WHERE c.site_id = ? AND c.page_id = ? AND c.featured_at IS NOT NULL AND c.status = 'approved'
        ORDER BY c.featured_at DESC, c.id DESC LIMIT ?`),
      editBody: p(`UPDATE comments SET body_source = @bodySource, body_html = @bodyHtml, body_hash = @bodyHash,
        edited_at = @editedAt, reasons = @reasons WHERE id = @id RETURNING *`),
      setStatus: p(`UPDATE comments SET status = @to, status_before_delete = @before, status_changed_at = @now WHERE id = @id`),
      lastByIp: p('SELECT max(created_at) AS t FROM comments WHERE ip_hmac = ? AND site_id = ?'),
      duplicate: p(`SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
        WHERE c.email_hmac = @emailHmac AND c.body_hash = @bodyHash AND +c.site_id = @siteId AND p.key = @pageKey
          AND c.status <> 'deleted' LIMIT 1`),
      trusted: p(`SELECT 1 FROM comments WHERE email_hmac = @emailHmac AND +status = 'approved' AND +site_id = @siteId
        AND author_name = @name LIMIT 1`),
      insertReport: p(`INSERT INTO reports (comment_id, reporter_hmac, reason, note, created_at)
        VALUES (@commentId, @reporterHmac, @reason, @note, @now) ON CONFLICT (comment_id, reporter_hmac) DO NOTHING`),
      bumpReports: p('UPDATE comments SET report_count = report_count + 1 WHERE id = ? RETURNING report_count, status, site_id'),
      resolveReports: p('UPDATE reports SET resolved_at = @now WHERE comment_id = @id AND resolved_at IS NULL'),
      clearReportCount: p('UPDATE comments SET report_count = 0 WHERE id = ?'),
      openReports: p(`SELECT comment_id, reason, note, created_at FROM reports
        WHERE comment_id IN (SELECT value FROM json_each(?)) AND resolved_at IS NULL ORDER BY id`),
      recentSite: p(`SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
        FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.site_id = ? AND c.status = 'approved'
        ORDER BY c.id DESC LIMIT ?`),
      recentPage: p(`SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
        FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.page_id = ? AND c.status = 'approved'
        ORDER BY c.id DESC LIMIT ?`),
      counts: p('SELECT status, n FROM comment_counts WHERE site_id = ?'),
      reportedCount: p(`SELECT count(*) AS n FROM comments INDEXED BY comments_reported WHERE site_id = ? AND report_count > 0 AND status <> 'deleted'`),
      forDecision: p('SELECT id, site_id, page_id, status, status_before_delete, email_hmac, author_name FROM comments WHERE id = ?'),
      authorsPending: p(`SELECT id FROM comments WHERE +site_id = ? AND email_hmac = ? AND author_name = ? AND +status = 'pending'
        ORDER BY id`),
    };
  }

  private writeAudit(a: {
    siteId: string;
    commentId: string;
    actor: Actor;
    action: string;
    from: CommentStatus | null;
    to: CommentStatus;
    reason: string | null;
    now: number;
  }): void {
    this.s.audit.run({ ...a, ...actorColumns(a.actor) });
  }

  /** A comment is shown when approved, or as a placeholder above a shown reply; walks up while that changes. */
  private refreshShown(id: string | null): void {
    while (id) {
      const row = this.s.shownInfo.get(id) as { status: CommentStatus; shown: number; parent_id: string | null };
      const shown = row.status === 'approved' || this.s.hasShownChild.get(id) !== undefined ? 1 : 0;
      if (shown === row.shown) return;
      this.s.setShown.run(shown, id);
      id = row.parent_id;
    }
  }

  async insert(c: NewComment): Promise<{ comment: Comment }> {
    return atomic(this.db, () => {
      const pageId = this.upsertPage(c);
      let rootId = c.id;
      let depth = 0;
      let path = c.id;
      if (c.parentId) {
        const parent = this.s.parent.get(c.parentId) as
          | { id: string; page_id: number; root_id: string; depth: number; path: string }
          | undefined;
        if (!parent || parent.page_id !== pageId) throw notFound('Parent comment');
        rootId = parent.root_id;
        depth = parent.depth + 1;
        path = `${parent.path}/${c.id}`;
      }
      this.s.insert.run({
        id: c.id,
        siteId: c.siteId,
        pageId,
        parentId: c.parentId,
        rootId,
        depth,
        path,
        status: c.status,
        // Replies go only under approved (so shown) comments: nothing above needs refreshing.
        shown: c.status === 'approved' ? 1 : 0,
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
        reasons: JSON.stringify(c.reasons),
        editTokenHash: c.editTokenHash,
        createdAt: c.createdAt,
        voterHmac: c.voterHmac ?? null,
      });
      this.writeAudit({
        siteId: c.siteId,
        commentId: c.id,
        actor: { type: 'system' },
        action: 'create',
        from: null,
        to: c.status,
        reason: c.reasons.map((r) => r.code).join(', ') || null,
        now: c.createdAt,
      });
      this.journal.record(c.siteId, { type: 'created', commentId: c.id, status: c.status, notify: c.notify === true }, c.createdAt);
      // Every column is known here (the others start at their defaults): no need to read the row back.
      const comment: Comment = {
        id: c.id,
        siteId: c.siteId,
        pageId,
        parentId: c.parentId,
        depth,
        status: c.status,
        authorName: c.authorName,
        authorWebsite: c.authorWebsite,
        avatar: c.avatar,
        emailEnc: c.emailEnc,
        emailHmac: c.emailHmac,
        ipHmac: c.ipHmac,
        userAgent: c.userAgent,
        bodySource: c.bodySource,
        bodyHtml: c.bodyHtml,
        reasons: c.reasons,
        reportCount: 0,
        upvotes: 0,
        downvotes: 0,
        featuredAt: null,
        voterHmac: c.voterHmac ?? null,
        editTokenHash: c.editTokenHash,
        createdAt: c.createdAt,
        editedAt: null,
      };
      return { comment };
    });
  }

  /**
   * The page's id, created on its first comment. A post fills in a title or URL the page lacks, never overwrites
   * one, and changes nothing once a moderator has set them.
   */
  private upsertPage(c: NewComment): number {
    const page = this.s.pageForPost.get(c.siteId, c.page.key) as
      | { id: number; url: string | null; title: string | null; metadata_locked: number }
      | undefined;
    if (!page) return (this.s.insertPage.get({ siteId: c.siteId, key: c.page.key, url: c.page.url, title: c.page.title, now: c.createdAt }) as { id: number }).id;
    if (!page.metadata_locked && ((c.page.url && !page.url) || (c.page.title && !page.title)))
      this.s.updatePageInfo.run({ id: page.id, url: c.page.url, title: c.page.title });
    return page.id;
  }

  async get(id: string): Promise<Comment | null> {
    const row = this.s.get.get(id) as CommentRow | undefined;
    return row ? toComment(row) : null;
  }

  async thread(q: ThreadQuery): Promise<ThreadResult> {
    if (q.sort === 'best') return this.bestThread(q);
    const stmt = q.sort === 'oldest' ? this.s.threadOldest : this.s.threadNewest;
    // One root more than asked tells whether there is a next page.
    const rows = stmt.all({
      pageId: q.pageId,
      after: q.afterRootId ?? (q.sort === 'oldest' ? '' : '~'),
      limit: q.limit + 1,
    }) as ThreadRow[];
    return collectRoots(rows, q.limit);
  }

  /** Ranked by the totals of the snapshot; the first page takes the snapshot in the same read as its rows. */
  private bestThread(q: ThreadQuery): ThreadResult {
    const best = q.best ?? { snapshot: null, afterRank: null, now: Date.now() };
    return this.db.transaction(() => {
      const snapshot = best.snapshot ?? { seq: (this.s.lastVoteChange.get() as { seq: number }).seq, at: best.now };
      const rows = this.s.threadBest.all({
        pageId: q.pageId,
        seq: snapshot.seq,
        at: snapshot.at,
        afterId: q.afterRootId,
        afterRank: best.afterRank ?? 0,
        limit: q.limit + 1,
      }) as (ThreadRow & { rank: number })[];
      const page = collectRoots(rows, q.limit);
      const last = rows.find((r) => r.id === page.lastRootId);
      return { ...page, snapshot, ...(last ? { lastRank: last.rank } : {}) };
    })();
  }

  async editBody(
    id: string,
    edit: { bodySource: string; bodyHtml: string; bodyHash: string; editedAt: number; addReasons: Reason[] },
  ): Promise<Comment> {
    return atomic(this.db, () => {
      const current = this.s.get.get(id) as CommentRow | undefined;
      if (!current) throw notFound('Comment');
      const { addReasons, ...body } = edit;
      const reasons = JSON.stringify([...(JSON.parse(current.reasons) as Reason[]), ...addReasons]);
      const updated = toComment(this.s.editBody.get({ id, ...body, reasons }) as CommentRow);
      this.journal.record(updated.siteId, { type: 'edited', commentId: id }, edit.editedAt);
      return updated;
    });
  }

  async deleteByAuthor(id: string, now: number): Promise<void> {
    atomic(this.db, () => {
      const row = this.s.get.get(id) as CommentRow | undefined;
      if (!row) throw notFound('Comment');
      if (row.status === 'deleted') return;
      this.s.setStatus.run({ id, to: 'deleted', before: row.status, now });
      this.writeAudit({
        siteId: row.site_id,
        commentId: id,
        actor: { type: 'author' },
        action: 'delete',
        from: row.status,
        to: 'deleted',
        reason: 'deleted by its author',
        now,
      });
      this.journal.record(row.site_id, { type: 'status_changed', commentId: id, from: row.status, to: 'deleted', actor: { type: 'author' }, action: 'delete' }, now);
      this.refreshShown(id);
    });
  }

  async lastPostAtByIp(siteId: string, ipHmac: string): Promise<number | null> {
    return (this.s.lastByIp.get(ipHmac, siteId) as { t: number | null }).t;
  }

  async hasDuplicate(siteId: string, pageKey: string, emailHmac: string, bodyHash: string): Promise<boolean> {
    return this.s.duplicate.get({ siteId, pageKey, emailHmac, bodyHash }) !== undefined;
  }

  async isTrustedAuthor(siteId: string, emailHmac: string, name: string): Promise<boolean> {
    return this.s.trusted.get({ siteId, emailHmac, name }) !== undefined;
  }

  async addReport(r: {
    commentId: string;
    reporterHmac: string;
    reason: string;
    note: string | null;
    threshold: number;
    now: number;
  }): Promise<'added' | 'duplicate'> {
    return atomic(this.db, () => {
      if (this.s.insertReport.run(r).changes === 0) return 'duplicate' as const;
      const c = this.s.bumpReports.get(r.commentId) as { report_count: number; status: CommentStatus; site_id: string };
      this.journal.record(c.site_id, { type: 'reported', commentId: r.commentId, reason: r.reason }, r.now);
      if (c.report_count >= r.threshold && c.status === 'approved') {
        this.s.setStatus.run({ id: r.commentId, to: 'pending', before: null, now: r.now });
        this.writeAudit({
          siteId: c.site_id,
          commentId: r.commentId,
          actor: { type: 'system' },
          action: 'reports',
          from: 'approved',
          to: 'pending',
          reason: `${c.report_count} reports reached the threshold of ${r.threshold}`,
          now: r.now,
        });
        const fact = { type: 'status_changed', commentId: r.commentId, from: 'approved', to: 'pending', actor: { type: 'system' }, action: 'reports' } as const;
        this.journal.record(c.site_id, fact, r.now);
        this.refreshShown(r.commentId);
      }
      return 'added' as const;
    });
  }

  async recentApproved(siteId: string, pageId: number | null, limit: number): Promise<FeedItem[]> {
    type Row = ThreadRow & { page_key: string; page_title: string | null; page_url: string | null };
    const rows = (pageId === null ? this.s.recentSite.all(siteId, limit) : this.s.recentPage.all(pageId, limit)) as Row[];
    return rows.map((r) => ({
      ...toThreadItem(r),
      page: { key: r.page_key, title: r.page_title, url: r.page_url },
    }));
  }

  async featured(siteId: string, pageId: number | null, limit: number): Promise<FeedItem[]> {
    type Row = ThreadRow & { page_key: string; page_title: string | null; page_url: string | null };
    const rows = (pageId === null ? this.s.featuredSite.all(siteId, limit) : this.s.featuredPage.all(siteId, pageId, limit)) as Row[];
    return rows.map((r) => ({ ...toThreadItem(r), page: { key: r.page_key, title: r.page_title, url: r.page_url } }));
  }

  async vote(v: VoteRequest): Promise<VoteTotals & { previous: VoteValue }> {
    return this.db.transaction(() => {
      const previous = ((this.s.voteOf.get(v.commentId, v.voterHmac) as { value: VoteValue } | undefined)?.value ?? 0) as VoteValue;
      if (previous === v.value) return { ...(this.s.totals.get(v.commentId) as VoteTotals), previous };
      if (v.value === 0) this.s.deleteVote.run(v.commentId, v.voterHmac);
      else this.s.upsertVote.run({ commentId: v.commentId, voterHmac: v.voterHmac, value: v.value, now: v.now });
      const du = (v.value === 1 ? 1 : 0) - (previous === 1 ? 1 : 0);
      const dd = (v.value === -1 ? 1 : 0) - (previous === -1 ? 1 : 0);
      const t = this.s.addTotals.get({ id: v.commentId, du, dd }) as VoteTotals & { page_id: number };
      this.s.logVoteChange.run({ pageId: t.page_id, id: v.commentId, du, dd, now: v.now });
      // At most once a minute: changes older than any live cursor are of no more use.
      if (v.now - this.lastPurgeAt > 60_000) {
        this.lastPurgeAt = v.now;
        this.s.purgeVoteChanges.run(v.now - v.keepChangesMs);
      }
      return { upvotes: t.upvotes, downvotes: t.downvotes, previous };
    })();
  }

  async setFeatured(req: FeatureRequest): Promise<StatusChangeResult[]> {
    type Row = { id: string; site_id: string; status: CommentStatus; featured_at: number | null };
    const action = req.featured ? 'feature' : 'unfeature';
    return this.db.transaction(() => {
      const results: StatusChangeResult[] = [];
      for (const id of new Set(req.ids)) {
        const row = this.s.get.get(id) as Row | undefined;
        if (!row || row.site_id !== req.siteId) {
          results.push({ id, ok: false, error: { code: 'not_found', status: 404, detail: 'Comment was not found.' } });
          continue;
        }
        if (req.featured && row.status !== 'approved') {
          results.push({ id, ok: false, error: { code: 'not_public', status: 409, detail: `A ${row.status} comment cannot be featured; approve it first.` } });
          continue;
        }
        // Featuring twice keeps the first time, so the featured list keeps its order.
        if (req.featured !== (row.featured_at !== null)) {
          this.s.setFeatured.run({ id, at: req.featured ? req.now : null });
          this.writeAudit({ siteId: req.siteId, commentId: id, actor: req.actor, action, from: row.status, to: row.status, reason: req.reason, now: req.now });
        }
        results.push({ id, ok: true, from: row.status, to: row.status });
      }
      return results;
    })();
  }

  private queueStatement(q: QueueQuery): Statement {
    const where = ['c.site_id = @siteId'];
    if (q.status === 'reported') where.push(`c.report_count > 0 AND c.status <> 'deleted'`);
    else if (q.status === 'featured') where.push(`c.featured_at IS NOT NULL AND c.status = 'approved'`);
    else if (q.status !== 'all') where.push('c.status = @status');
    if (q.pageId !== null) where.push('c.page_id = @pageId');
    if (q.emailHmac) where.push('c.email_hmac = @emailHmac');
    if (q.text) where.push(`(c.body_source LIKE @like ESCAPE '\\' OR c.author_name LIKE @like ESCAPE '\\')`);
    if (q.beforeId) where.push('c.id < @beforeId');
    const key = where.join(' AND ');
    let stmt = this.queueStatements.get(key);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT c.*, p.key AS page_key, p.title AS page_title, p.url AS page_url, p.closed AS page_closed,
          par.author_name AS parent_author, par.body_source AS parent_body
        FROM comments c JOIN pages p ON p.id = c.page_id LEFT JOIN comments par ON par.id = c.parent_id
        WHERE ${key} ORDER BY c.id DESC LIMIT @limit`);
      this.queueStatements.set(key, stmt);
    }
    return stmt;
  }

  async queue(q: QueueQuery): Promise<{ items: QueueRow[]; hasMore: boolean }> {
    type Row = CommentRow & {
      page_key: string;
      page_title: string | null;
      page_url: string | null;
      page_closed: number;
      parent_author: string | null;
      parent_body: string | null;
    };
    const params: Record<string, unknown> = { siteId: q.siteId, limit: q.limit + 1 };
    if (q.status !== 'reported' && q.status !== 'featured' && q.status !== 'all') params.status = q.status;
    if (q.pageId !== null) params.pageId = q.pageId;
    if (q.emailHmac) params.emailHmac = q.emailHmac;
    if (q.text) params.like = likePattern(q.text);
    if (q.beforeId) params.beforeId = q.beforeId;
    const rows = this.queueStatement(q).all(params) as Row[];
    const hasMore = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const reports = new Map<string, Report[]>();
    const reported = page.filter((r) => r.report_count > 0).map((r) => r.id);
    if (reported.length) {
      for (const r of this.s.openReports.all(JSON.stringify(reported)) as {
        comment_id: string;
        reason: string;
        note: string | null;
        created_at: number;
      }[]) {
        const list = reports.get(r.comment_id) ?? [];
        list.push({ reason: r.reason, note: r.note, createdAt: r.created_at });
        reports.set(r.comment_id, list);
      }
    }
    const items = page.map((r) => ({
      ...toComment(r),
      page: { key: r.page_key, title: r.page_title, url: r.page_url, closed: r.page_closed === 1 },
      parent: r.parent_id ? { id: r.parent_id, authorName: r.parent_author ?? '', bodySource: r.parent_body ?? '' } : null,
      reports: reports.get(r.id) ?? [],
    }));
    return { items, hasMore };
  }

  async statusCounts(siteId: string): Promise<Record<CommentStatus | 'reported', number>> {
    const counts = Object.fromEntries(commentStatuses.map((s) => [s, 0])) as Record<CommentStatus | 'reported', number>;
    for (const r of this.s.counts.all(siteId) as { status: CommentStatus; n: number }[]) counts[r.status] = r.n;
    counts.reported = (this.s.reportedCount.get(siteId) as { n: number }).n;
    return counts;
  }

  async changeStatuses(req: StatusChangeRequest): Promise<{ results: StatusChangeResult[]; pageIds: number[] }> {
    type Row = {
      id: string;
      site_id: string;
      page_id: number;
      status: CommentStatus;
      status_before_delete: CommentStatus | null;
      email_hmac: string;
      author_name: string;
    };
    return atomic(this.db, () => {
      const results: StatusChangeResult[] = [];
      const pageIds = new Set<number>();
      const seen = new Set<string>();
      const authors = new Map<string, { emailHmac: string; name: string }>();
      const apply = (id: string) => {
        if (seen.has(id)) return;
        seen.add(id);
        const row = this.s.forDecision.get(id) as Row | undefined;
        if (!row || row.site_id !== req.siteId) {
          results.push({ id, ok: false, error: { code: 'not_found', status: 404, detail: 'Comment was not found.' } });
          return;
        }
        const decision = req.decide({ status: row.status, statusBeforeDelete: row.status_before_delete, erased: row.email_hmac === '' });
        if ('error' in decision) {
          results.push({ id, ok: false, error: decision.error });
          return;
        }
        const from = row.status;
        const to = decision.to;
        if (from !== to) {
          this.s.setStatus.run({ id, to, before: to === 'deleted' ? from : null, now: req.now });
          this.writeAudit({ siteId: req.siteId, commentId: id, actor: req.actor, action: req.action, from, to, reason: req.reason, now: req.now });
          this.journal.record(req.siteId, { type: 'status_changed', commentId: id, from, to, actor: req.actor, action: req.action }, req.now);
          this.refreshShown(id);
        }
        if (req.clearReports) {
          this.s.resolveReports.run({ id, now: req.now });
          this.s.clearReportCount.run(id);
        }
        if (req.includeAuthorsPending) authors.set(`${row.email_hmac}\0${row.author_name}`, { emailHmac: row.email_hmac, name: row.author_name });
        results.push({ id, ok: true, from, to });
        pageIds.add(row.page_id);
      };
      for (const id of req.ids) apply(id);
      for (const a of authors.values()) {
        for (const { id } of this.s.authorsPending.all(req.siteId, a.emailHmac, a.name) as { id: string }[]) apply(id);
      }
      return { results, pageIds: [...pageIds] };
    });
  }
}

/** Cuts rows (roots with their replies, in order) after `limit` roots; one root more than asked tells there is more. */
export function collectRoots(rows: ThreadRow[], limit: number): ThreadResult {
  const items: ThreadItem[] = [];
  let roots = 0;
  let lastRootId: string | null = null;
  let hasMore = false;
  for (const r of rows) {
    if (r.depth === 0) {
      if (roots === limit) {
        hasMore = true;
        break;
      }
      roots++;
      lastRootId = r.id;
    }
    items.push(toThreadItem(r));
  }
  return { items, lastRootId, hasMore };
}
