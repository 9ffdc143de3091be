// Domain types shared by services and the store. Times are epoch milliseconds.
import type { SiteSettings } from './settings';

export const commentStatuses = ['pending', 'approved', 'rejected', 'spam', 'deleted'] as const;
export type CommentStatus = (typeof commentStatuses)[number];

/** Why the pipeline (or a person) decided what it did; shown to moderators. */
export interface Reason {
  code: string;
  detail: string;
}

export interface Site {
  id: string;
  name: string;
  settings: SiteSettings;
  createdAt: number;
}

export interface Page {
  id: number;
  siteId: string;
  key: string;
  url: string | null;
  title: string | null;
  closed: boolean;
  /** Set once a moderator gives the title or URL: readers' posts no longer change them. */
  metadataLocked: boolean;
  approvedCount: number;
  pendingCount: number;
  createdAt: number;
}

/** A moderator's change to a page; what is left out stays as it is. */
export interface PageChange {
  closed?: boolean;
  title?: string | null;
  url?: string | null;
}

export interface Comment {
  id: string;
  siteId: string;
  pageId: number;
  parentId: string | null;
  depth: number;
  status: CommentStatus;
  authorName: string;
  authorWebsite: string | null;
  avatar: string;
  emailEnc: Buffer;
  emailHmac: string;
  ipHmac: string | null;
  userAgent: string | null;
  bodySource: string;
  bodyHtml: string;
  reasons: Reason[];
  reportCount: number;
  editTokenHash: string | null;
  createdAt: number;
  editedAt: number | null;
  upvotes: number;
  downvotes: number;
  /** When a moderator featured it; null when not featured. */
  featuredAt: number | null;
  /** HMAC of the voter key the author's widget sent with the post: that voter cannot vote on it. */
  voterHmac: string | null;
}

/** A comment as the public thread shows it: placeholders keep their place but lose author and body. */
export type ThreadItem = Pick<
  Comment,
  | 'id'
  | 'parentId'
  | 'depth'
  | 'status'
  | 'authorName'
  | 'authorWebsite'
  | 'avatar'
  | 'bodyHtml'
  | 'createdAt'
  | 'editedAt'
  | 'upvotes'
  | 'downvotes'
  | 'featuredAt'
>;

/** What a new comment is stored from; the store works out its page id, depth and thread position. */
export type NewComment = Pick<
  Comment,
  | 'id'
  | 'siteId'
  | 'parentId'
  | 'status'
  | 'authorName'
  | 'authorWebsite'
  | 'avatar'
  | 'emailEnc'
  | 'emailHmac'
  | 'ipHmac'
  | 'userAgent'
  | 'bodySource'
  | 'bodyHtml'
  | 'reasons'
  | 'createdAt'
> & {
  page: { key: string; url: string | null; title: string | null };
  /** The author's voter key (HMAC), when their widget sent one. */
  voterHmac?: string | null;
  bodyHash: string;
  editTokenHash: string;
  /** The author asked for mail when someone replies. */
  notify?: boolean;
};

/** `mail`: a moderator acting from a signed link in a notification mail, known by the address it was sent to. */
export type Actor = { type: 'system' } | { type: 'author' } | { type: 'token'; id: string } | { type: 'mail'; address: string };

export interface AuditEntry {
  id: number;
  siteId: string;
  commentId: string;
  actor: Actor;
  actorLabel: string | null;
  action: string;
  from: CommentStatus | null;
  to: CommentStatus;
  reason: string | null;
  createdAt: number;
}

export type Role = 'owner' | 'moderator';

export interface Token {
  id: string;
  role: Role;
  /** null: every site. */
  siteId: string | null;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export type BanKind = 'email' | 'ip';

export interface Ban {
  id: string;
  siteId: string;
  kind: BanKind;
  valueHmac: string;
  /** Encrypted e-mail for e-mail bans so moderators can read what they banned; null for IP bans. */
  emailEnc: Buffer | null;
  reason: string | null;
  commentId: string | null;
  expiresAt: number | null;
  createdAt: number;
  createdBy: string | null;
}

export interface Report {
  reason: string;
  note: string | null;
  createdAt: number;
}

/** A reader's vote: 1 up, -1 down, 0 withdrawn. */
export type VoteValue = -1 | 0 | 1;

export interface VoteTotals {
  upvotes: number;
  downvotes: number;
}
