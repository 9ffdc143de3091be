// Store: row ↔ domain mapping at the repository edge.
import type { Comment, CommentStatus, Page, Site, Token, Ban, Role, BanKind } from '../../domain/types';
import { parseStoredSettings } from '../../domain/settings';

export interface CommentRow {
  id: string;
  site_id: string;
  page_id: number;
  parent_id: string | null;
  depth: number;
  status: CommentStatus;
  author_name: string;
  author_website: string | null;
  avatar: string;
  email_enc: Buffer;
  email_hmac: string;
  ip_hmac: string | null;
  user_agent: string | null;
  body_source: string;
  body_html: string;
  reasons: string;
  report_count: number;
  edit_token_hash: string | null;
  created_at: number;
  edited_at: number | null;
  upvotes: number;
  downvotes: number;
  featured_at: number | null;
  voter_hmac: string | null;
}

export function toComment(r: CommentRow): Comment {
  return {
    id: r.id,
    siteId: r.site_id,
    pageId: r.page_id,
    parentId: r.parent_id,
    depth: r.depth,
    status: r.status,
    authorName: r.author_name,
    authorWebsite: r.author_website,
    avatar: r.avatar,
    emailEnc: r.email_enc,
    emailHmac: r.email_hmac,
    ipHmac: r.ip_hmac,
    userAgent: r.user_agent,
    bodySource: r.body_source,
    bodyHtml: r.body_html,
    reasons: JSON.parse(r.reasons),
    reportCount: r.report_count,
    editTokenHash: r.edit_token_hash,
    createdAt: r.created_at,
    editedAt: r.edited_at,
    upvotes: r.upvotes,
    downvotes: r.downvotes,
    featuredAt: r.featured_at,
    voterHmac: r.voter_hmac,
  };
}

export interface PageRow {
  id: number;
  site_id: string;
  key: string;
  url: string | null;
  title: string | null;
  closed: number;
  metadata_locked: number;
  approved_count: number;
  pending_count: number;
  created_at: number;
}

export function toPage(r: PageRow): Page {
  return {
    id: r.id,
    siteId: r.site_id,
    key: r.key,
    url: r.url,
    title: r.title,
    closed: r.closed === 1,
    metadataLocked: r.metadata_locked === 1,
    approvedCount: r.approved_count,
    pendingCount: r.pending_count,
    createdAt: r.created_at,
  };
}

export interface SiteRow {
  id: string;
  name: string;
  settings: string;
  created_at: number;
}

export function toSite(r: SiteRow): Site {
  return { id: r.id, name: r.name, settings: parseStoredSettings(r.settings), createdAt: r.created_at };
}

export interface TokenRow {
  id: string;
  role: Role;
  site_id: string | null;
  label: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export function toToken(r: TokenRow): Token {
  return {
    id: r.id,
    role: r.role,
    siteId: r.site_id,
    label: r.label,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export interface BanRow {
  id: string;
  site_id: string;
  kind: BanKind;
  value_hmac: string;
  email_enc: Buffer | null;
  reason: string | null;
  comment_id: string | null;
  expires_at: number | null;
  created_at: number;
  created_by: string | null;
}

export function toBan(r: BanRow): Ban {
  return {
    id: r.id,
    siteId: r.site_id,
    kind: r.kind,
    valueHmac: r.value_hmac,
    emailEnc: r.email_enc,
    reason: r.reason,
    commentId: r.comment_id,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}
