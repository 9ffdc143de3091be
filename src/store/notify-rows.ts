// Store: the notifier's rows as both stores keep them (outbox, an author's comments, action links), and what they are
// to the notifier.
import type { ActionLink, AuthoredComment, Channel, Delivery } from '../domain/notify/types';

export interface OutboxRow {
  id: number;
  delivery_id: string;
  site_id: string;
  channel: Channel;
  topic: string;
  target: string | null;
  recipient_enc: Buffer | null;
  batch_key: string | null;
  payload: string;
  state: Delivery['state'];
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export function toDelivery(r: OutboxRow): Delivery {
  return {
    id: r.id,
    deliveryId: r.delivery_id,
    siteId: r.site_id,
    channel: r.channel,
    topic: r.topic,
    target: r.target,
    recipientEnc: r.recipient_enc,
    batchKey: r.batch_key,
    payload: JSON.parse(r.payload),
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
  };
}

export interface AuthoredRow {
  id: string;
  status: AuthoredComment['status'];
  body_source: string;
  body_html: string;
  created_at: number;
  edited_at: number | null;
  parent_id: string | null;
  page_key: string;
  page_url: string | null;
  page_title: string | null;
}

export function toAuthoredComment(r: AuthoredRow): AuthoredComment {
  return {
    id: r.id,
    status: r.status,
    bodySource: r.body_source,
    bodyHtml: r.body_html,
    createdAt: r.created_at,
    editedAt: r.edited_at,
    parentId: r.parent_id,
    page: { key: r.page_key, url: r.page_url, title: r.page_title },
  };
}

export interface ActionLinkRow {
  id: string;
  site_id: string;
  comment_id: string;
  moderator: string;
  expires_at: number;
  used_at: number | null;
  used_action: string | null;
}

export function toActionLink(r: ActionLinkRow): ActionLink {
  return { id: r.id, siteId: r.site_id, commentId: r.comment_id, moderator: r.moderator, expiresAt: r.expires_at, usedAt: r.used_at, usedAction: r.used_action };
}
