// Store: comments, their reports and their audit rows on PostgreSQL. Each public write is one transaction on one
// client; rows two replicas could change at once are locked (FOR UPDATE) before they are read for a decision.
import type {
  CommentRepository,
  FeedItem,
  QueueQuery,
  QueueRow,
  StatusChangeRequest,
  StatusChangeResult,
  ThreadQuery,
  ThreadResult,
  FeatureRequest,
  VoteRequest,
} from '../../domain/ports';
import type { Actor, Comment, CommentStatus, NewComment, Reason, Report, VoteTotals, VoteValue } from '../../domain/types';
import { commentStatuses } from '../../domain/types';
import { notFound } from '../../domain/errors';
import { toComment, type CommentRow } from '../sqlite/rows';
// Rows of a thread have the same shape on both stores.
import { actorColumns, collectRoots, toThreadItem, type ThreadRow } from '../sqlite/comments';
import { likePattern, one, rows, run, sql, transaction, type Client, type Pool, type Queryable, type Statement } from './pool';
import { recordFact } from './notifications';
import type { JournalFact } from '../../domain/notify/types';


const THREAD_COLUMNS = `c.id, c.parent_id, c.root_id, c.depth, c.status, c.author_name, c.author_website,
  c.avatar, c.body_html, c.created_at, c.edited_at, c.upvotes, c.downvotes, c.featured_at`;

const S = {
  // Vote totals as of a snapshot (today's totals less the changes after it), ranked; $1 page, $2 seq, $3 at,
  // $4 after id (null on the first page), $5 after rank, $6 limit.
  threadBest: sql(
    'comments.threadBest',
    `WITH later AS (
       SELECT comment_id, sum(d_up) AS du, sum(d_down) AS dd FROM vote_changes WHERE page_id = $1 AND seq > $2 GROUP BY comment_id),
     ranked AS (
       SELECT c.id, wilson((c.upvotes - coalesce(l.du, 0))::double precision, (c.downvotes - coalesce(l.dd, 0))::double precision) AS rank
       FROM comments c LEFT JOIN later l ON l.comment_id = c.id
       WHERE c.page_id = $1 AND c.shown AND c.depth = 0 AND c.created_at <= $3),
     roots AS (
       SELECT id, rank FROM ranked
       WHERE $4::text IS NULL OR rank < $5::double precision OR (rank = $5::double precision AND id < $4::text)
       ORDER BY rank DESC, id DESC LIMIT $6)
     SELECT ${THREAD_COLUMNS}, r.rank FROM roots r JOIN comments c ON c.root_id = r.id AND c.shown
     ORDER BY r.rank DESC, r.id DESC, c.path`,
  ),
  lastVoteChange: sql('comments.lastVoteChange', 'SELECT coalesce(max(seq), 0)::bigint AS seq FROM vote_changes'),
  lockForVote: sql('comments.lockForVote', 'SELECT page_id FROM comments WHERE id = $1 FOR UPDATE'),
  voteOf: sql('comments.voteOf', 'SELECT value FROM votes WHERE comment_id = $1 AND voter_hmac = $2'),
  upsertVote: sql(
    'comments.upsertVote',
    `INSERT INTO votes (comment_id, voter_hmac, value, voted_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (comment_id, voter_hmac) DO UPDATE SET value = excluded.value, voted_at = excluded.voted_at`,
  ),
  deleteVote: sql('comments.deleteVote', 'DELETE FROM votes WHERE comment_id = $1 AND voter_hmac = $2'),
  addTotals: sql(
    'comments.addTotals',
    'UPDATE comments SET upvotes = upvotes + $2, downvotes = downvotes + $3 WHERE id = $1 RETURNING upvotes, downvotes, page_id',
  ),
  totals: sql('comments.totals', 'SELECT upvotes, downvotes FROM comments WHERE id = $1'),
  logVoteChange: sql('comments.logVoteChange', 'INSERT INTO vote_changes (page_id, comment_id, d_up, d_down, at) VALUES ($1, $2, $3, $4, $5)'),
  purgeVoteChanges: sql('comments.purgeVoteChanges', 'DELETE FROM vote_changes WHERE at < $1'),
  setFeatured: sql('comments.setFeatured', 'UPDATE comments SET featured_at = $2 WHERE id = $1'),
  lockForFeature: sql('comments.lockForFeature', 'SELECT id, site_id, status, featured_at FROM comments WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE'),
  featuredSite: sql(
    'comments.featuredSite',
    `SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
     FROM comments c JOIN pages p ON p.id = c.page_id
     WHERE c.site_id = $1 AND c.featured_at IS NOT NULL AND c.status = 'approved'
     ORDER BY c.featured_at DESC, c.id DESC LIMIT $2`,
  ),
  featuredPage: sql(
    'comments.featuredPage',
    `SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
     FROM comments c JOIN pages p ON p.id = c.page_id
     WHERE c.site_id = $1 AND c.page_id = $2 AND c.featured_at IS NOT NULL AND c.status = 'approved'
     ORDER BY c.featured_at DESC, c.id DESC LIMIT $3`,
  ),
  pageForPost: sql('comments.pageForPost', 'SELECT id, url, title, metadata_locked FROM pages WHERE site_id = $1 AND key = $2'),
  insertPage: sql(
    'comments.insertPage',
    `INSERT INTO pages (site_id, key, url, title, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (site_id, key) DO NOTHING RETURNING id`,
  ),
  updatePageInfo: sql('comments.updatePageInfo', 'UPDATE pages SET url = coalesce(url, $2), title = coalesce(title, $3) WHERE id = $1'),
  parent: sql('comments.parent', 'SELECT id, page_id, root_id, depth, path FROM comments WHERE id = $1'),
  insert: sql(
    'comments.insert',
    `INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, shown,
       author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source, body_html,
       body_hash, reasons, edit_token_hash, created_at, status_changed_at, voter_hmac)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23)
     RETURNING *`,
  ),
  // The usual post, to a page that exists, in one statement (so one round trip and its own transaction): fills in
  // a title or URL the page lacks, places the comment under its parent, writes the audit row. No row back when the
  // page does not exist yet or the parent is not on it; insert() then takes the long way. What it writes is what
  // the long way writes, row for row.
  insertOnPage: sql(
    'comments.insertOnPage',
    `WITH page AS (
       SELECT id, url, title, metadata_locked FROM pages WHERE site_id = $2 AND key = $20),
     fill AS (
       UPDATE pages p SET url = coalesce(p.url, $21::text), title = coalesce(p.title, $22::text)
       FROM page WHERE p.id = page.id AND NOT page.metadata_locked
         AND (($21::text IS NOT NULL AND page.url IS NULL) OR ($22::text IS NOT NULL AND page.title IS NULL))
       RETURNING p.id),
     parent AS (
       SELECT page_id, root_id, depth, path FROM comments WHERE id = $3::text),
     ins AS (
       INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, shown,
         author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source, body_html,
         body_hash, reasons, edit_token_hash, created_at, status_changed_at, voter_hmac)
       SELECT $1, $2, page.id, $3::text, coalesce(parent.root_id, $1), coalesce(parent.depth + 1, 0),
         CASE WHEN $3::text IS NULL THEN $1 ELSE parent.path || '/' || $1 END,
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19
       FROM page LEFT JOIN parent ON true
       WHERE $3::text IS NULL OR parent.page_id = page.id
       RETURNING *),
     audit AS (
       INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
       SELECT site_id, id, 'system', NULL, 'create', NULL, status, $23, created_at FROM ins),
     fact AS (
       -- The notifier's journal row (src/store/postgres/notifications.ts), committed with the comment.
       INSERT INTO notification_events (site_id, type, payload, created_at) SELECT site_id, 'created', $24, created_at FROM ins)
     SELECT * FROM ins`,
  ),
  get: sql('comments.get', 'SELECT * FROM comments WHERE id = $1'),
  getForUpdate: sql('comments.getForUpdate', 'SELECT * FROM comments WHERE id = $1 FOR UPDATE'),
  audit: sql(
    'comments.audit',
    `INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, actor_address, action, from_status, to_status, reason, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  ),
  shownInfo: sql('comments.shownInfo', 'SELECT status, shown, parent_id FROM comments WHERE id = $1 FOR UPDATE'),
  hasShownChild: sql('comments.hasShownChild', 'SELECT 1 FROM comments WHERE parent_id = $1 AND shown LIMIT 1'),
  setShown: sql('comments.setShown', 'UPDATE comments SET shown = $2 WHERE id = $1'),
  threadOldest: sql(
    'comments.threadOldest',
    `WITH roots AS (SELECT id FROM comments WHERE page_id = $1 AND shown AND depth = 0 AND id > $2 ORDER BY id LIMIT $3)
     SELECT ${THREAD_COLUMNS} FROM roots r JOIN comments c ON c.root_id = r.id AND c.shown
     ORDER BY c.root_id, c.path`,
  ),
  threadNewest: sql(
    'comments.threadNewest',
    `WITH roots AS (SELECT id FROM comments WHERE page_id = $1 AND shown AND depth = 0 AND id < $2 ORDER BY id DESC LIMIT $3)
     SELECT ${THREAD_COLUMNS} FROM roots r JOIN comments c ON c.root_id = r.id AND c.shown
     ORDER BY c.root_id DESC, c.path`,
  ),
  editBody: sql(
    'comments.editBody',
    `UPDATE comments SET body_source = $2, body_html = $3, body_hash = $4, edited_at = $5, reasons = $6 WHERE id = $1 RETURNING *`,
  ),
  setStatus: sql('comments.setStatus', 'UPDATE comments SET status = $2, status_before_delete = $3, status_changed_at = $4 WHERE id = $1'),
  lastByIp: sql('comments.lastByIp', 'SELECT max(created_at) AS t FROM comments WHERE ip_hmac = $1 AND site_id = $2'),
  duplicate: sql(
    'comments.duplicate',
    `SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
     WHERE c.email_hmac = $1 AND c.body_hash = $2 AND c.site_id = $3 AND p.key = $4 AND c.status <> 'deleted' LIMIT 1`,
  ),
  trusted: sql(
    'comments.trusted',
    `SELECT 1 FROM comments WHERE email_hmac = $1 AND status = 'approved' AND site_id = $2 AND author_name = $3 LIMIT 1`,
  ),
  insertReport: sql(
    'comments.insertReport',
    `INSERT INTO reports (comment_id, reporter_hmac, reason, note, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (comment_id, reporter_hmac) DO NOTHING`,
  ),
  // The update locks the row, so two replicas counting reports at once each see the other's count.
  bumpReports: sql('comments.bumpReports', 'UPDATE comments SET report_count = report_count + 1 WHERE id = $1 RETURNING report_count, status, site_id'),
  resolveReports: sql('comments.resolveReports', 'UPDATE reports SET resolved_at = $2 WHERE comment_id = $1 AND resolved_at IS NULL'),
  clearReportCount: sql('comments.clearReportCount', 'UPDATE comments SET report_count = 0 WHERE id = $1'),
  openReports: sql(
    'comments.openReports',
    `SELECT comment_id, reason, note, created_at FROM reports WHERE comment_id = ANY($1::text[]) AND resolved_at IS NULL ORDER BY id`,
  ),
  recentSite: sql(
    'comments.recentSite',
    `SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
     FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.site_id = $1 AND c.status = 'approved'
     ORDER BY c.id DESC LIMIT $2`,
  ),
  recentPage: sql(
    'comments.recentPage',
    `SELECT ${THREAD_COLUMNS}, p.key AS page_key, p.title AS page_title, p.url AS page_url
     FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.page_id = $1 AND c.status = 'approved'
     ORDER BY c.id DESC LIMIT $2`,
  ),
  // A site's totals are spread over several rows (migrations/postgres/0009_spread_counters.sql).
  counts: sql('comments.counts', 'SELECT status, sum(n)::bigint AS n FROM comment_counts WHERE site_id = $1 GROUP BY status'),
  reportedCount: sql('comments.reportedCount', `SELECT count(*) AS n FROM comments WHERE site_id = $1 AND report_count > 0 AND status <> 'deleted'`),
  // Locked in id order, so two moderators acting on overlapping lists cannot wait on each other.
  lockForDecision: sql(
    'comments.lockForDecision',
    'SELECT id, site_id, page_id, status, status_before_delete, email_hmac, author_name FROM comments WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
  ),
  authorsPending: sql(
    'comments.authorsPending',
    `SELECT id, site_id, page_id, status, status_before_delete, email_hmac, author_name FROM comments
     WHERE site_id = $1 AND email_hmac = $2 AND author_name = $3 AND status = 'pending' ORDER BY id FOR UPDATE`,
  ),
};

interface DecisionRow {
  id: string;
  site_id: string;
  page_id: number;
  status: CommentStatus;
  status_before_delete: CommentStatus | null;
  email_hmac: string;
  author_name: string;
}

type PgCommentRow = Omit<CommentRow, never> & { shown: boolean };

/** A new comment's own columns, status to voter_hmac, in the order both insert statements list them. */
function contentValues(n: NewComment): unknown[] {
  return [
    n.status,
    // Replies go only under approved (so shown) comments: nothing above needs refreshing.
    n.status === 'approved',
    n.authorName,
    n.authorWebsite,
    n.avatar,
    n.emailEnc,
    n.emailHmac,
    n.ipHmac,
    n.userAgent,
    n.bodySource,
    n.bodyHtml,
    n.bodyHash,
    JSON.stringify(n.reasons),
    n.editTokenHash,
    n.createdAt,
    n.voterHmac ?? null,
  ];
}

const auditReason = (n: NewComment) => n.reasons.map((r) => r.code).join(', ') || null;
const createdFact = (n: NewComment): JournalFact => ({ type: 'created', commentId: n.id, status: n.status, notify: n.notify === true });

export class PgComments implements CommentRepository {
  private readonly queueStatements = new Map<string, Statement>();
  private lastPurgeAt = 0;

  constructor(private readonly pool: Pool) {}

  private async writeAudit(
    db: Queryable,
    a: { siteId: string; commentId: string; actor: Actor; action: string; from: CommentStatus | null; to: CommentStatus; reason: string | null; now: number },
  ): Promise<void> {
    const { actorType, actorId, actorAddress } = actorColumns(a.actor);
    await run(db, S.audit, [a.siteId, a.commentId, actorType, actorId, actorAddress, a.action, a.from, a.to, a.reason, a.now]);
  }

  /** A comment is shown when approved, or as a placeholder above a shown reply; walks up while that changes. */
  private async refreshShown(c: Client, id: string | null): Promise<void> {
    while (id) {
      const row = (await one<{ status: CommentStatus; shown: boolean; parent_id: string | null }>(c, S.shownInfo, [id]))!;
      const shown = row.status === 'approved' || (await one(c, S.hasShownChild, [id])) !== undefined;
      if (shown === row.shown) return;
      await run(c, S.setShown, [id, shown]);
      id = row.parent_id;
    }
  }

  async insert(n: NewComment): Promise<{ comment: Comment }> {
    const fast = await one<PgCommentRow>(this.pool, S.insertOnPage, [
      n.id,
      n.siteId,
      n.parentId,
      ...contentValues(n),
      n.page.key,
      n.page.url,
      n.page.title,
      auditReason(n),
      JSON.stringify(createdFact(n)),
    ]);
    if (fast) return { comment: toComment(fast) };
    return transaction(this.pool, async (c) => {
      const pageId = await this.upsertPage(c, n);
      let rootId = n.id;
      let depth = 0;
      let path = n.id;
      if (n.parentId) {
        const parent = await one<{ id: string; page_id: number; root_id: string; depth: number; path: string }>(c, S.parent, [n.parentId]);
        if (!parent || parent.page_id !== pageId) throw notFound('Parent comment');
        rootId = parent.root_id;
        depth = parent.depth + 1;
        path = `${parent.path}/${n.id}`;
      }
      const row = await one<PgCommentRow>(c, S.insert, [
        n.id,
        n.siteId,
        pageId,
        n.parentId,
        rootId,
        depth,
        path,
        ...contentValues(n),
      ]);
      await this.writeAudit(c, {
        siteId: n.siteId,
        commentId: n.id,
        actor: { type: 'system' },
        action: 'create',
        from: null,
        to: n.status,
        reason: auditReason(n),
        now: n.createdAt,
      });
      // In this transaction: the notifier hears of the comment exactly when it is committed.
      await recordFact(c, n.siteId, createdFact(n), n.createdAt);
      return { comment: toComment(row!) };
    });
  }

  /**
   * The page's id, created on its first comment (by whichever replica gets there first). A post fills in a title
   * or URL the page lacks, never overwrites one, and changes nothing once a moderator has set them.
   */
  private async upsertPage(c: Client, n: NewComment): Promise<number> {
    type Row = { id: number; url: string | null; title: string | null; metadata_locked: boolean };
    let page = await one<Row>(c, S.pageForPost, [n.siteId, n.page.key]);
    if (!page) {
      const created = await one<{ id: number }>(c, S.insertPage, [n.siteId, n.page.key, n.page.url, n.page.title, n.createdAt]);
      if (created) return created.id;
      page = (await one<Row>(c, S.pageForPost, [n.siteId, n.page.key]))!;
    }
    if (!page.metadata_locked && ((n.page.url && !page.url) || (n.page.title && !page.title)))
      await run(c, S.updatePageInfo, [page.id, n.page.url, n.page.title]);
    return page.id;
  }

  async get(id: string): Promise<Comment | null> {
    const row = await one<PgCommentRow>(this.pool, S.get, [id]);
    return row ? toComment(row) : null;
  }

  async thread(q: ThreadQuery): Promise<ThreadResult> {
    if (q.sort === 'best') return this.bestThread(q);
    const stmt = q.sort === 'oldest' ? S.threadOldest : S.threadNewest;
    // One root more than asked tells whether there is a next page.
    const list = await rows<ThreadRow>(this.pool, stmt, [q.pageId, q.afterRootId ?? (q.sort === 'oldest' ? '' : '~'), q.limit + 1]);
    return collectRoots(list, q.limit);
  }

  /** Ranked by the totals of the snapshot; the first page takes its snapshot in the same transaction as its rows. */
  private async bestThread(q: ThreadQuery): Promise<ThreadResult> {
    const best = q.best ?? { snapshot: null, afterRank: null, now: Date.now() };
    return transaction(this.pool, async (c) => {
      const snapshot = best.snapshot ?? { seq: Number((await one<{ seq: string | number }>(c, S.lastVoteChange, []))!.seq), at: best.now };
      const list = await rows<ThreadRow & { rank: number }>(c, S.threadBest, [
        q.pageId,
        snapshot.seq,
        snapshot.at,
        q.afterRootId,
        best.afterRank ?? 0,
        q.limit + 1,
      ]);
      const page = collectRoots(list, q.limit);
      const last = list.find((r) => r.id === page.lastRootId);
      return { ...page, snapshot, ...(last ? { lastRank: Number(last.rank) } : {}) };
    });
  }

  async featured(siteId: string, pageId: number | null, limit: number): Promise<FeedItem[]> {
    type Row = ThreadRow & { page_key: string; page_title: string | null; page_url: string | null };
    const list =
      pageId === null ? await rows<Row>(this.pool, S.featuredSite, [siteId, limit]) : await rows<Row>(this.pool, S.featuredPage, [siteId, pageId, limit]);
    return list.map((r) => ({ ...toThreadItem(r), page: { key: r.page_key, title: r.page_title, url: r.page_url } }));
  }

  async vote(v: VoteRequest): Promise<VoteTotals & { previous: VoteValue }> {
    return transaction(this.pool, async (c) => {
      // The comment's row is the lock: two votes of one voter at once are taken one after the other.
      await run(c, S.lockForVote, [v.commentId]);
      const previous = ((await one<{ value: VoteValue }>(c, S.voteOf, [v.commentId, v.voterHmac]))?.value ?? 0) as VoteValue;
      if (previous === v.value) return { ...(await one<VoteTotals>(c, S.totals, [v.commentId]))!, previous };
      if (v.value === 0) await run(c, S.deleteVote, [v.commentId, v.voterHmac]);
      else await run(c, S.upsertVote, [v.commentId, v.voterHmac, v.value, v.now]);
      const du = (v.value === 1 ? 1 : 0) - (previous === 1 ? 1 : 0);
      const dd = (v.value === -1 ? 1 : 0) - (previous === -1 ? 1 : 0);
      const t = (await one<VoteTotals & { page_id: number }>(c, S.addTotals, [v.commentId, du, dd]))!;
      await run(c, S.logVoteChange, [t.page_id, v.commentId, du, dd, v.now]);
      // At most once a minute: changes older than any live cursor are of no more use.
      if (v.now - this.lastPurgeAt > 60_000) {
        this.lastPurgeAt = v.now;
        await run(c, S.purgeVoteChanges, [v.now - v.keepChangesMs]);
      }
      return { upvotes: t.upvotes, downvotes: t.downvotes, previous };
    });
  }

  async setFeatured(req: FeatureRequest): Promise<StatusChangeResult[]> {
    type Row = { id: string; site_id: string; status: CommentStatus; featured_at: number | null };
    const action = req.featured ? 'feature' : 'unfeature';
    return transaction(this.pool, async (c) => {
      const ids = [...new Set(req.ids)];
      const locked = new Map((await rows<Row>(c, S.lockForFeature, [ids])).map((r) => [r.id, r]));
      const results: StatusChangeResult[] = [];
      for (const id of ids) {
        const row = locked.get(id);
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
          await run(c, S.setFeatured, [id, req.featured ? req.now : null]);
          await this.writeAudit(c, { siteId: req.siteId, commentId: id, actor: req.actor, action, from: row.status, to: row.status, reason: req.reason, now: req.now });
        }
        results.push({ id, ok: true, from: row.status, to: row.status });
      }
      return results;
    });
  }

  async editBody(
    id: string,
    edit: { bodySource: string; bodyHtml: string; bodyHash: string; editedAt: number; addReasons: Reason[] },
  ): Promise<Comment> {
    return transaction(this.pool, async (c) => {
      const current = await one<PgCommentRow>(c, S.getForUpdate, [id]);
      if (!current) throw notFound('Comment');
      const reasons = JSON.stringify([...(JSON.parse(current.reasons) as Reason[]), ...edit.addReasons]);
      const row = await one<PgCommentRow>(c, S.editBody, [id, edit.bodySource, edit.bodyHtml, edit.bodyHash, edit.editedAt, reasons]);
      await recordFact(c, current.site_id, { type: 'edited', commentId: id }, edit.editedAt);
      return toComment(row!);
    });
  }

  async deleteByAuthor(id: string, now: number): Promise<void> {
    await transaction(this.pool, async (c) => {
      const row = await one<PgCommentRow>(c, S.getForUpdate, [id]);
      if (!row) throw notFound('Comment');
      if (row.status === 'deleted') return;
      await run(c, S.setStatus, [id, 'deleted', row.status, now]);
      await this.writeAudit(c, {
        siteId: row.site_id,
        commentId: id,
        actor: { type: 'author' },
        action: 'delete',
        from: row.status,
        to: 'deleted',
        reason: 'deleted by its author',
        now,
      });
      await recordFact(c, row.site_id, { type: 'status_changed', commentId: id, from: row.status, to: 'deleted', actor: { type: 'author' }, action: 'delete' }, now);
      await this.refreshShown(c, id);
    });
  }

  async lastPostAtByIp(siteId: string, ipHmac: string): Promise<number | null> {
    return (await one<{ t: number | null }>(this.pool, S.lastByIp, [ipHmac, siteId]))!.t;
  }

  async hasDuplicate(siteId: string, pageKey: string, emailHmac: string, bodyHash: string): Promise<boolean> {
    return (await one(this.pool, S.duplicate, [emailHmac, bodyHash, siteId, pageKey])) !== undefined;
  }

  async isTrustedAuthor(siteId: string, emailHmac: string, name: string): Promise<boolean> {
    return (await one(this.pool, S.trusted, [emailHmac, siteId, name])) !== undefined;
  }

  async addReport(r: {
    commentId: string;
    reporterHmac: string;
    reason: string;
    note: string | null;
    threshold: number;
    now: number;
  }): Promise<'added' | 'duplicate'> {
    return transaction(this.pool, async (c) => {
      if ((await run(c, S.insertReport, [r.commentId, r.reporterHmac, r.reason, r.note, r.now])) === 0) return 'duplicate' as const;
      const row = (await one<{ report_count: number; status: CommentStatus; site_id: string }>(c, S.bumpReports, [r.commentId]))!;
      await recordFact(c, row.site_id, { type: 'reported', commentId: r.commentId, reason: r.reason }, r.now);
      if (row.report_count >= r.threshold && row.status === 'approved') {
        await run(c, S.setStatus, [r.commentId, 'pending', null, r.now]);
        await this.writeAudit(c, {
          siteId: row.site_id,
          commentId: r.commentId,
          actor: { type: 'system' },
          action: 'reports',
          from: 'approved',
          to: 'pending',
          reason: `${row.report_count} reports reached the threshold of ${r.threshold}`,
          now: r.now,
        });
        const fact = { type: 'status_changed', commentId: r.commentId, from: 'approved', to: 'pending', actor: { type: 'system' }, action: 'reports' } as const;
        await recordFact(c, row.site_id, fact, r.now);
        await this.refreshShown(c, r.commentId);
      }
      return 'added' as const;
    });
  }

  async recentApproved(siteId: string, pageId: number | null, limit: number): Promise<FeedItem[]> {
    type Row = ThreadRow & { page_key: string; page_title: string | null; page_url: string | null };
    const list = await (pageId === null ? rows<Row>(this.pool, S.recentSite, [siteId, limit]) : rows<Row>(this.pool, S.recentPage, [pageId, limit]));
    return list.map((r) => ({ ...toThreadItem(r), page: { key: r.page_key, title: r.page_title, url: r.page_url } }));
  }

  /** One statement per combination of filters, so each is prepared once with a plan for its indexes. */
  private queueStatement(q: QueueQuery): { stmt: Statement; values: unknown[] } {
    const values: unknown[] = [q.siteId];
    const param = (v: unknown) => {
      values.push(v);
      return `$${values.length}`;
    };
    const where = ['c.site_id = $1'];
    if (q.status === 'reported') where.push(`c.report_count > 0 AND c.status <> 'deleted'`);
    else if (q.status === 'featured') where.push(`c.featured_at IS NOT NULL AND c.status = 'approved'`);
    else if (q.status !== 'all') where.push(`c.status = ${param(q.status)}`);
    if (q.pageId !== null) where.push(`c.page_id = ${param(q.pageId)}`);
    if (q.emailHmac) where.push(`c.email_hmac = ${param(q.emailHmac)}`);
    if (q.text) {
      const p = param(likePattern(q.text));
      where.push(`(c.body_source ILIKE ${p} OR c.author_name ILIKE ${p})`);
    }
    if (q.beforeId) where.push(`c.id < ${param(q.beforeId)}`);
    const limit = param(q.limit + 1);
    const key = where.join(' AND ');
    let stmt = this.queueStatements.get(key);
    if (!stmt) {
      stmt = sql(
        `comments.queue.${this.queueStatements.size}`,
        `SELECT c.*, p.key AS page_key, p.title AS page_title, p.url AS page_url, p.closed AS page_closed,
           par.author_name AS parent_author, par.body_source AS parent_body
         FROM comments c JOIN pages p ON p.id = c.page_id LEFT JOIN comments par ON par.id = c.parent_id
         WHERE ${key} ORDER BY c.id DESC LIMIT ${limit}`,
      );
      this.queueStatements.set(key, stmt);
    }
    return { stmt, values };
  }

  async queue(q: QueueQuery): Promise<{ items: QueueRow[]; hasMore: boolean }> {
    type Row = PgCommentRow & {
      page_key: string;
      page_title: string | null;
      page_url: string | null;
      page_closed: boolean;
      parent_author: string | null;
      parent_body: string | null;
    };
    const { stmt, values } = this.queueStatement(q);
    const list = await rows<Row>(this.pool, stmt, values);
    const hasMore = list.length > q.limit;
    const page = list.slice(0, q.limit);
    const reports = new Map<string, Report[]>();
    const reported = page.filter((r) => r.report_count > 0).map((r) => r.id);
    if (reported.length) {
      for (const r of await rows<{ comment_id: string; reason: string; note: string | null; created_at: number }>(this.pool, S.openReports, [reported])) {
        const list = reports.get(r.comment_id) ?? [];
        list.push({ reason: r.reason, note: r.note, createdAt: r.created_at });
        reports.set(r.comment_id, list);
      }
    }
    const items = page.map((r) => ({
      ...toComment(r),
      page: { key: r.page_key, title: r.page_title, url: r.page_url, closed: r.page_closed },
      parent: r.parent_id ? { id: r.parent_id, authorName: r.parent_author ?? '', bodySource: r.parent_body ?? '' } : null,
      reports: reports.get(r.id) ?? [],
    }));
    return { items, hasMore };
  }

  async statusCounts(siteId: string): Promise<Record<CommentStatus | 'reported', number>> {
    const counts = Object.fromEntries(commentStatuses.map((s) => [s, 0])) as Record<CommentStatus | 'reported', number>;
    const [byStatus, reported] = await Promise.all([
      rows<{ status: CommentStatus; n: number }>(this.pool, S.counts, [siteId]),
      one<{ n: number }>(this.pool, S.reportedCount, [siteId]),
    ]);
    for (const r of byStatus) counts[r.status] = r.n;
    counts.reported = reported!.n;
    return counts;
  }

  async changeStatuses(req: StatusChangeRequest): Promise<{ results: StatusChangeResult[]; pageIds: number[] }> {
    return transaction(this.pool, async (c) => {
      const locked = new Map((await rows<DecisionRow>(c, S.lockForDecision, [req.ids])).map((r) => [r.id, r]));
      const results: StatusChangeResult[] = [];
      const pageIds = new Set<number>();
      const seen = new Set<string>();
      const authors = new Map<string, { emailHmac: string; name: string }>();
      const apply = async (id: string, row: DecisionRow | undefined) => {
        if (seen.has(id)) return;
        seen.add(id);
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
          await run(c, S.setStatus, [id, to, to === 'deleted' ? from : null, req.now]);
          await this.writeAudit(c, { siteId: req.siteId, commentId: id, actor: req.actor, action: req.action, from, to, reason: req.reason, now: req.now });
          await recordFact(c, req.siteId, { type: 'status_changed', commentId: id, from, to, actor: req.actor, action: req.action }, req.now);
          await this.refreshShown(c, id);
        }
        if (req.clearReports) {
          await run(c, S.resolveReports, [id, req.now]);
          await run(c, S.clearReportCount, [id]);
        }
        if (req.includeAuthorsPending) authors.set(`${row.email_hmac}\0${row.author_name}`, { emailHmac: row.email_hmac, name: row.author_name });
        results.push({ id, ok: true, from, to });
        pageIds.add(Number(row.page_id));
      };
      for (const id of req.ids) await apply(id, locked.get(id));
      for (const a of authors.values()) {
        for (const row of await rows<DecisionRow>(c, S.authorsPending, [req.siteId, a.emailHmac, a.name])) {
          // A comment handled above has changed status since it was locked: its row here is not re-read.
          if (!seen.has(row.id)) await apply(row.id, row);
        }
      }
      return { results, pageIds: [...pageIds] };
    });
  }
}

