// Store: what imports, exports and erasure need on PostgreSQL — import runs, a site's data page by page, and
// erasing comments (src/store/sqlite/transfer.ts is the same on SQLite).
import type { ErasedComments, ExportedCommentRow, ImportRun, StagedVote, TransferRepository } from '../../domain/transfer-ports';
import type { AuditEntry, CommentStatus, Page } from '../../domain/types';
import { toExportedAuditEntry, type AuditRow } from '../audit-rows';
import { one, rows, run, sql, transaction, type Client, type Pool } from './pool';
import { toPgPage, type PgPageRow } from './rows';
import { PgImportRun } from './import-run';
import { reportsByComment, toExportedComment, type ExportRow, type ReportRow } from '../transfer-rows';

const X = {
  pages: sql('transfer.pages', 'SELECT * FROM pages WHERE site_id = $1 AND key > $2 ORDER BY key LIMIT $3'),
  comments: sql(
    'transfer.comments',
    `SELECT c.*, p.key AS page_key, cs.source, cs.source_id, cs.upvotes, cs.downvotes
       FROM comments c JOIN pages p ON p.id = c.page_id LEFT JOIN comment_sources cs ON cs.comment_id = c.id
      WHERE c.site_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3`,
  ),
  reports: sql('transfer.reports', 'SELECT * FROM reports WHERE comment_id = ANY($1::text[]) ORDER BY id'),
  votes: sql(
    'transfer.votes',
    `SELECT v.* FROM votes v JOIN comments c ON c.id = v.comment_id
      WHERE c.site_id = $1 AND (v.comment_id, v.voter_hmac) > ($2, $3) ORDER BY v.comment_id, v.voter_hmac LIMIT $4`,
  ),
  log: sql('transfer.log', 'SELECT * FROM moderation_actions WHERE site_id = $1 AND id > $2 ORDER BY id LIMIT $3'),
  byEmail: sql('transfer.byEmail', 'SELECT id FROM comments WHERE site_id = $1 AND email_hmac = $2 ORDER BY id DESC'),
  erase: sql(
    'transfer.erase',
    `UPDATE comments SET author_name = '', author_website = NULL, avatar = '', email_enc = '\\x'::bytea, email_hmac = '', ip_hmac = NULL,
       user_agent = NULL, body_source = '', body_html = '', body_hash = '', reasons = '[]', edit_token_hash = NULL,
       voter_hmac = NULL,
       status_before_delete = CASE WHEN status = 'deleted' THEN status_before_delete ELSE status END,
       status = 'deleted', status_changed_at = $3, report_count = 0
     WHERE id = $1 AND site_id = $2 RETURNING page_id, parent_id`,
  ),
  dropReports: sql('transfer.dropReports', 'DELETE FROM reports WHERE comment_id = $1'),
  shownInfo: sql('transfer.shownInfo', 'SELECT status, shown, parent_id FROM comments WHERE id = $1 FOR UPDATE'),
  hasShownChild: sql('transfer.hasShownChild', 'SELECT 1 FROM comments WHERE parent_id = $1 AND shown LIMIT 1'),
  setShown: sql('transfer.setShown', 'UPDATE comments SET shown = $2 WHERE id = $1'),
  audit: sql(
    'transfer.audit',
    `INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
     VALUES ($1, $2, $3, $4, 'erase', NULL, 'deleted', $5, $6)`,
  ),
  auditExport: sql(
    'transfer.auditExport',
    `INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
     SELECT $1, id, $3, $4, 'export', status, status, $5, $6 FROM comments WHERE id = $2 AND site_id = $1`,
  ),
};

export class PgTransfer implements TransferRepository {
  constructor(private readonly pool: Pool) {}

  beginImport(opts: { siteId: string; marginaliaIds: boolean; auditSource: string | null; now: number }): Promise<ImportRun> {
    return PgImportRun.open(this.pool, opts);
  }

  async exportPages(siteId: string, afterKey: string | null, limit: number): Promise<Page[]> {
    return (await rows<PgPageRow>(this.pool, X.pages, [siteId, afterKey ?? '', limit])).map(toPgPage);
  }

  async exportComments(siteId: string, afterId: string | null, limit: number): Promise<ExportedCommentRow[]> {
    const list = await rows<ExportRow>(this.pool, X.comments, [siteId, afterId ?? '', limit]);
    const reports = reportsByComment(list.length ? await rows<ReportRow>(this.pool, X.reports, [list.map((x) => x.id)]) : []);
    return list.map((r) => toExportedComment(r, reports));
  }

  async exportVotes(siteId: string, after: { commentId: string; voterHmac: string } | null, limit: number): Promise<StagedVote[]> {
    const list = await rows<{ comment_id: string; voter_hmac: string; value: 1 | -1; voted_at: number }>(this.pool, X.votes, [
      siteId,
      after?.commentId ?? '',
      after?.voterHmac ?? '',
      limit,
    ]);
    return list.map((v) => ({ commentId: v.comment_id, voterHmac: v.voter_hmac, value: v.value, votedAt: v.voted_at }));
  }

  async exportLog(siteId: string, afterId: number | null, limit: number): Promise<AuditEntry[]> {
    return (await rows<AuditRow>(this.pool, X.log, [siteId, afterId ?? 0, limit])).map(toExportedAuditEntry);
  }

  async commentsByEmail(siteId: string, emailHmac: string): Promise<string[]> {
    return (await rows<{ id: string }>(this.pool, X.byEmail, [siteId, emailHmac])).map((r) => r.id);
  }

  async auditPersonExport(siteId: string, commentId: string, audit: { actorId: string | null; reason: string; now: number }): Promise<void> {
    await run(this.pool, X.auditExport, [siteId, commentId, audit.actorId ? 'token' : 'system', audit.actorId, audit.reason, audit.now]);
  }

  async erase(siteId: string, ids: string[], audit: { actorId: string | null; reason: string; now: number }): Promise<ErasedComments> {
    const pageIds = new Set<number>();
    await transaction(this.pool, async (c) => {
      for (const id of ids) {
        const row = await one<{ page_id: number; parent_id: string | null }>(c, X.erase, [id, siteId, audit.now]);
        if (!row) continue;
        pageIds.add(row.page_id);
        await run(c, X.dropReports, [id]);
        await this.refreshShown(c, id);
      }
      if (ids.length)
        await run(c, X.audit, [siteId, ids[ids.length - 1], audit.actorId ? 'token' : 'system', audit.actorId, audit.reason, audit.now]);
    });
    // The rows' earlier versions stay in the table's pages until a vacuum reclaims them; do it now rather than
    // whenever autovacuum comes by. (It cannot run inside a transaction, and is best effort: a busy table is skipped.)
    await this.pool.query('VACUUM (SKIP_LOCKED) comments, reports').catch(() => {});
    return { ids, pageIds: [...pageIds] };
  }

  /** A comment is shown when approved, or as a placeholder above a shown reply; walks up while that changes. */
  private async refreshShown(c: Client, id: string | null): Promise<void> {
    while (id) {
      const row = (await one<{ status: CommentStatus; shown: boolean; parent_id: string | null }>(c, X.shownInfo, [id]))!;
      const shown = row.status === 'approved' || (await one(c, X.hasShownChild, [id])) !== undefined;
      if (shown === row.shown) return;
      await run(c, X.setShown, [id, shown]);
      id = row.parent_id;
    }
  }
}
