// Store: a moderation_actions row as both stores keep it, and the audit entry it is.
import type { Actor, AuditEntry, CommentStatus } from '../domain/types';

export interface AuditRow {
  id: number;
  site_id: string;
  comment_id: string;
  actor_type: Actor['type'];
  actor_id: string | null;
  actor_address: string | null;
  actor_label: string | null;
  action: string;
  from_status: CommentStatus | null;
  to_status: CommentStatus;
  reason: string | null;
  created_at: number;
}

/** The audit log's entry: an action from a mailed link names the moderator's address. */
export function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    siteId: r.site_id,
    commentId: r.comment_id,
    actor:
      r.actor_type === 'token' && r.actor_address !== null
        ? { type: 'mail' as const, address: r.actor_address }
        : r.actor_type === 'token'
          ? { type: 'token' as const, id: r.actor_id ?? '' }
          : { type: r.actor_type },
    actorLabel: r.actor_label,
    action: r.action,
    from: r.from_status,
    to: r.to_status,
    reason: r.reason,
    createdAt: r.created_at,
  } as AuditEntry;
}

/** The entry as an export writes it: the token, never a moderator's address or a token's label. */
export function toExportedAuditEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    siteId: r.site_id,
    commentId: r.comment_id,
    actor: r.actor_type === 'token' ? { type: 'token' as const, id: r.actor_id ?? '' } : { type: r.actor_type as 'system' | 'author' },
    actorLabel: null,
    action: r.action,
    from: r.from_status,
    to: r.to_status,
    reason: r.reason,
    createdAt: r.created_at,
  };
}
