// Store: a comment as an export reads it, the same on both stores.
import type { ExportedCommentRow, StagedReport } from '../domain/transfer-ports';
import type { CommentStatus } from '../domain/types';
import type { CommentRow } from './sqlite/rows';

export type ExportRow = CommentRow & {
  page_key: string;
  status_before_delete: CommentStatus | null;
  status_changed_at: number;
  source: string | null;
  source_id: string | null;
  upvotes: number | null;
  downvotes: number | null;
};

export interface ReportRow {
  comment_id: string;
  reporter_hmac: string;
  reason: string;
  note: string | null;
  created_at: number;
  resolved_at: number | null;
}

/** Reports by the comment they are on. */
export function reportsByComment(rows: Iterable<ReportRow>): Map<string, StagedReport[]> {
  const byComment = new Map<string, StagedReport[]>();
  for (const r of rows) {
    const list = byComment.get(r.comment_id) ?? [];
    list.push({ commentId: r.comment_id, reporterHmac: r.reporter_hmac, reason: r.reason, note: r.note, createdAt: r.created_at, resolvedAt: r.resolved_at });
    byComment.set(r.comment_id, list);
  }
  return byComment;
}

export function toExportedComment(r: ExportRow, reports: Map<string, StagedReport[]>): ExportedCommentRow {
  return {
    id: r.id,
    pageKey: r.page_key,
    parentId: r.parent_id,
    status: r.status,
    statusBeforeDelete: r.status_before_delete,
    authorName: r.author_name,
    authorWebsite: r.author_website,
    emailEnc: r.email_enc,
    ipHmac: r.ip_hmac,
    userAgent: r.user_agent,
    bodySource: r.body_source,
    bodyHtml: r.body_html,
    reasons: r.reasons,
    createdAt: r.created_at,
    editedAt: r.edited_at,
    statusChangedAt: r.status_changed_at,
    featuredAt: r.featured_at,
    voterHmac: r.voter_hmac,
    origin: r.source ? { source: r.source, id: r.source_id!, upvotes: r.upvotes ?? 0, downvotes: r.downvotes ?? 0 } : null,
    reports: reports.get(r.id) ?? [],
  };
}
