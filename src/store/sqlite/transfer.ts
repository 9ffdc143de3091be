// Store: what imports, exports and erasure need — import runs, a site's data page by page, and erasing comments.
import type { Db } from '../db';
import type { ErasedComments, ExportedCommentRow, ImportRun, StagedVote, TransferRepository } from '../../domain/transfer-ports';
import type { AuditEntry, CommentStatus, Page } from '../../domain/types';
import { toExportedAuditEntry, type AuditRow } from '../audit-rows';
import { SqliteImportRun } from './import-run';
import { toPage, type PageRow } from './rows';
import { actorColumns } from './comments';
import { writeWhenFree } from './busy';
import { reportsByComment, toExportedComment, type ExportRow, type ReportRow } from '../transfer-rows';

export class SqliteTransfer implements TransferRepository {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      pages: db.prepare<{ siteId: string; after: string; limit: number }, PageRow>(
        'SELECT * FROM pages WHERE site_id = @siteId AND key > @after ORDER BY key LIMIT @limit',
      ),
      comments: db.prepare<{ siteId: string; after: string; limit: number }, ExportRow>(
        `SELECT c.*, p.key AS page_key, cs.source, cs.source_id, cs.upvotes, cs.downvotes
           FROM comments c JOIN pages p ON p.id = c.page_id LEFT JOIN comment_sources cs ON cs.comment_id = c.id
          WHERE c.site_id = @siteId AND c.id > @after ORDER BY c.id LIMIT @limit`,
      ),
      reports: db.prepare<[string], ReportRow>(
        'SELECT * FROM reports WHERE comment_id IN (SELECT value FROM json_each(?)) ORDER BY id',
      ),
      votes: db.prepare<{ siteId: string; afterComment: string; afterVoter: string; limit: number }, { comment_id: string; voter_hmac: string; value: 1 | -1; voted_at: number }>(
        `SELECT v.* FROM votes v JOIN comments c ON c.id = v.comment_id
          WHERE c.site_id = @siteId AND (v.comment_id > @afterComment OR (v.comment_id = @afterComment AND v.voter_hmac > @afterVoter))
          ORDER BY v.comment_id, v.voter_hmac LIMIT @limit`,
      ),
      log: db.prepare<{ siteId: string; after: number; limit: number }, AuditRow>(
        'SELECT * FROM moderation_actions WHERE site_id = @siteId AND id > @after ORDER BY id LIMIT @limit',
      ),
      byEmail: db.prepare<[string, string], string>('SELECT id FROM comments WHERE +site_id = ? AND email_hmac = ? ORDER BY id DESC').pluck(),
      erase: db.prepare(
        `UPDATE comments SET author_name = '', author_website = NULL, avatar = '', email_enc = x'', email_hmac = '', ip_hmac = NULL,
           user_agent = NULL, body_source = '', body_html = '', body_hash = '', reasons = '[]', edit_token_hash = NULL,
           voter_hmac = NULL,
           status_before_delete = CASE WHEN status = 'deleted' THEN status_before_delete ELSE status END,
           status = 'deleted', status_changed_at = @now
         WHERE id = @id AND site_id = @siteId RETURNING page_id, parent_id`,
      ),
      dropReports: db.prepare('DELETE FROM reports WHERE comment_id = ?'),
      clearReportCount: db.prepare('UPDATE comments SET report_count = 0 WHERE id = ?'),
      shownInfo: db.prepare<[string], { status: CommentStatus; shown: number; parent_id: string | null }>(
        'SELECT status, shown, parent_id FROM comments WHERE id = ?',
      ),
      hasShownChild: db.prepare('SELECT 1 FROM comments WHERE parent_id = ? AND shown = 1 LIMIT 1'),
      setShown: db.prepare('UPDATE comments SET shown = ? WHERE id = ?'),
      audit: db.prepare(`INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
        VALUES (@siteId, @commentId, @actorType, @actorId, 'erase', NULL, 'deleted', @reason, @now)`),
      auditExport: db.prepare(`INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, from_status, to_status, reason, created_at)
        SELECT @siteId, id, @actorType, @actorId, 'export', status, status, @reason, @now FROM comments WHERE id = @commentId AND site_id = @siteId`),
    };
  }

  async beginImport(opts: { siteId: string; marginaliaIds: boolean; auditSource: string | null; now: number }): Promise<ImportRun> {
    return new SqliteImportRun(this.db, opts);
  }

  async exportPages(siteId: string, afterKey: string | null, limit: number): Promise<Page[]> {
    return this.s.pages.all({ siteId, after: afterKey ?? '', limit }).map(toPage);
  }

  async exportComments(siteId: string, afterId: string | null, limit: number): Promise<ExportedCommentRow[]> {
    const rows = this.s.comments.all({ siteId, after: afterId ?? '', limit });
    const reports = reportsByComment(rows.length ? this.s.reports.all(JSON.stringify(rows.map((x) => x.id))) : []);
    return rows.map((r) => toExportedComment(r, reports));
  }

  async exportVotes(siteId: string, after: { commentId: string; voterHmac: string } | null, limit: number): Promise<StagedVote[]> {
    return this.s.votes
      .all({ siteId, afterComment: after?.commentId ?? '', afterVoter: after?.voterHmac ?? '', limit })
      .map((v) => ({ commentId: v.comment_id, voterHmac: v.voter_hmac, value: v.value, votedAt: v.voted_at }));
  }

  async exportLog(siteId: string, afterId: number | null, limit: number): Promise<AuditEntry[]> {
    return this.s.log.all({ siteId, after: afterId ?? 0, limit }).map(toExportedAuditEntry);
  }

  async commentsByEmail(siteId: string, emailHmac: string): Promise<string[]> {
    return this.s.byEmail.all(siteId, emailHmac);
  }

  async auditPersonExport(siteId: string, commentId: string, audit: { actorId: string | null; reason: string; now: number }): Promise<void> {
    const actor = actorColumns(audit.actorId ? { type: 'token', id: audit.actorId } : { type: 'system' });
    this.s.auditExport.run({ siteId, commentId, ...actor, reason: audit.reason, now: audit.now });
  }

  async erase(siteId: string, ids: string[], audit: { actorId: string | null; reason: string; now: number }): Promise<ErasedComments> {
    const { db, s } = this;
    const pageIds = new Set<number>();
    // Freed bytes are overwritten with zeros, so the erased text is not left in free space of the file.
    const before = db.pragma('secure_delete', { simple: true });
    db.pragma('secure_delete = ON');
    try {
      await writeWhenFree(db, () => {
        for (const id of ids) {
          const row = s.erase.get({ id, siteId, now: audit.now }) as { page_id: number; parent_id: string | null } | undefined;
          if (!row) continue;
          pageIds.add(row.page_id);
          s.dropReports.run(id);
          s.clearReportCount.run(id);
          this.refreshShown(id);
        }
        if (ids.length)
          s.audit.run({ siteId, commentId: ids[ids.length - 1], ...actorColumns(audit.actorId ? { type: 'token', id: audit.actorId } : { type: 'system' }), reason: audit.reason, now: audit.now });
      });
      // Older copies of the pages sit in the write-ahead log until a checkpoint moves them into the file.
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
    }
    return { ids, pageIds: [...pageIds] };
  }

  private refreshShown(id: string | null): void {
    while (id) {
      const row = this.s.shownInfo.get(id)!;
      const shown = row.status === 'approved' || this.s.hasShownChild.get(id) !== undefined ? 1 : 0;
      if (shown === row.shown) return;
      this.s.setShown.run(shown, id);
      id = row.parent_id;
    }
  }
}
