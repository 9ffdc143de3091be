// Repository interfaces the domain needs. The store implements them; every method is one atomic operation,
// so an adapter for another database replaces the store without touching the domain or the HTTP layer.
import type {
  Actor,
  AuditEntry,
  Ban,
  Comment,
  CommentStatus,
  NewComment,
  Page,
  PageChange,
  Reason,
  Report,
  Site,
  ThreadItem,
  Token,
  Role,
  VoteTotals,
  VoteValue,
} from './types';
import type { SiteSettings } from './settings';
import type { TransferRepository } from './transfer-ports';
import type { NotificationRepository } from './notify/types';

export interface SiteRepository {
  get(id: string): Promise<Site | null>;
  list(): Promise<Site[]>;
  /** Fails with a conflict when the id is taken. */
  create(site: Site): Promise<Site>;
  update(id: string, changes: { name?: string; settings?: SiteSettings }): Promise<Site | null>;
}

export interface PageRepository {
  find(siteId: string, key: string): Promise<Page | null>;
  findMany(siteId: string, keys: string[]): Promise<Page[]>;
  /** By its numeric id (page keys never change, so callers may remember the answer). */
  byId(id: number): Promise<Page | null>;
  /**
   * Applies a moderator's change, creating the page when it has no comments yet (so a page can be closed or
   * titled in advance). Setting the title or the URL locks both against readers' posts.
   */
  update(siteId: string, key: string, change: PageChange, now: number): Promise<Page>;
  list(siteId: string, opts: { afterId: number | null; limit: number; q: string | null }): Promise<Page[]>;
}

/**
 * What a `best` ranking was computed from: vote totals as they were after change `seq`, over the top-level
 * comments created by `at`. Later pages rank by the same totals, so moving votes neither repeat nor skip a comment.
 */
export interface BestSnapshot {
  seq: number;
  at: number;
}

export interface ThreadQuery {
  pageId: number;
  sort: 'oldest' | 'newest' | 'best';
  /** Id of the last top-level comment of the previous page. */
  afterRootId: string | null;
  /** sort=best only: the snapshot of the first page (null on the first page: take one at `now`) and the last rank shown. */
  best?: { snapshot: BestSnapshot | null; afterRank: number | null; now: number };
  limit: number;
}

export interface ThreadResult {
  items: ThreadItem[];
  lastRootId: string | null;
  hasMore: boolean;
  /** sort=best: the rank of lastRootId and the snapshot the page was ranked by. */
  lastRank?: number;
  snapshot?: BestSnapshot;
}

export interface VoteRequest {
  commentId: string;
  voterHmac: string;
  value: VoteValue;
  now: number;
  /** Changes older than this are dropped as votes arrive (a best cursor lives no longer). */
  keepChangesMs: number;
}

export interface FeatureRequest {
  siteId: string;
  ids: string[];
  featured: boolean;
  actor: Actor;
  reason: string | null;
  now: number;
}

export interface QueueQuery {
  siteId: string;
  status: CommentStatus | 'reported' | 'featured' | 'all';
  pageId: number | null;
  text: string | null;
  emailHmac: string | null;
  /** Newest first: ids strictly older than this. */
  beforeId: string | null;
  limit: number;
}

export interface FeedItem extends ThreadItem {
  page: { key: string; title: string | null; url: string | null };
}

export interface QueueRow extends Comment {
  page: { key: string; title: string | null; url: string | null; closed: boolean };
  parent: { id: string; authorName: string; bodySource: string } | null;
  reports: Report[];
}

/** Decides a comment's next status for a moderation action; runs inside the store's transaction. */
/** `erased`: the person's data is gone for good (src/domain/erasure.ts); such a placeholder never comes back. */
export type StatusDecision = (c: { status: CommentStatus; statusBeforeDelete: CommentStatus | null; erased: boolean }) =>
  | { to: CommentStatus }
  | { error: { code: string; status: number; detail: string } };

export interface StatusChangeRequest {
  siteId: string;
  ids: string[];
  action: string;
  decide: StatusDecision;
  actor: Actor;
  reason: string | null;
  /** Approving also resolves the comment's open reports. */
  clearReports: boolean;
  /** Also apply to other pending comments by the same authors (same e-mail and name) on the site. */
  includeAuthorsPending: boolean;
  now: number;
}

export type StatusChangeResult =
  | { id: string; ok: true; from: CommentStatus; to: CommentStatus }
  | { id: string; ok: false; error: { code: string; status: number; detail: string } };

export interface CommentRepository {
  /** Upserts the page, inserts the comment and its audit row. */
  insert(c: NewComment): Promise<{ comment: Comment }>;
  get(id: string): Promise<Comment | null>;
  thread(q: ThreadQuery): Promise<ThreadResult>;
  /** Replaces the body; `addReasons` are appended to what the moderator sees. */
  editBody(
    id: string,
    edit: { bodySource: string; bodyHtml: string; bodyHash: string; editedAt: number; addReasons: Reason[] },
  ): Promise<Comment>;
  deleteByAuthor(id: string, now: number): Promise<void>;
  lastPostAtByIp(siteId: string, ipHmac: string): Promise<number | null>;
  hasDuplicate(siteId: string, pageKey: string, emailHmac: string, bodyHash: string): Promise<boolean>;
  isTrustedAuthor(siteId: string, emailHmac: string, name: string): Promise<boolean>;
  /** One report per reader per comment; at the threshold an approved comment goes back to pending. */
  addReport(r: {
    commentId: string;
    reporterHmac: string;
    reason: string;
    note: string | null;
    threshold: number;
    now: number;
  }): Promise<'added' | 'duplicate'>;
  /** Newest approved comments of a site, or of one page, for feeds. */
  recentApproved(siteId: string, pageId: number | null, limit: number): Promise<FeedItem[]>;
  /** Approved featured comments of a site, or of one page, newest feature first. */
  featured(siteId: string, pageId: number | null, limit: number): Promise<FeedItem[]>;
  /**
   * Records, replaces (a new value) or withdraws (0) one voter's vote on a comment and updates its totals.
   * `previous` is the vote it replaced (0 when none).
   */
  vote(v: VoteRequest): Promise<VoteTotals & { previous: VoteValue }>;
  /** Features (only approved comments) or unfeatures comments, with an audit row each; one transaction. */
  setFeatured(req: FeatureRequest): Promise<StatusChangeResult[]>;
  queue(q: QueueQuery): Promise<{ items: QueueRow[]; hasMore: boolean }>;
  statusCounts(siteId: string): Promise<Record<CommentStatus | 'reported', number>>;
  /** `pageIds`: the pages of the comments it changed, so only their public answers go stale. */
  changeStatuses(req: StatusChangeRequest): Promise<{ results: StatusChangeResult[]; pageIds: number[] }>;
}

export interface AuditRepository {
  list(siteId: string, opts: { beforeId: number | null; commentId: string | null; limit: number }): Promise<AuditEntry[]>;
}

export interface TokenRepository {
  create(t: Token & { hash: string }): Promise<Token>;
  /** The live token with this hash, its last-used time refreshed; null when unknown or revoked. */
  authenticate(hash: string, now: number): Promise<Token | null>;
  get(id: string): Promise<Token | null>;
  list(filter: { siteId: string | null; role?: Role }): Promise<Token[]>;
  revoke(id: string, now: number): Promise<boolean>;
}

export interface BanRepository {
  create(bans: Ban[]): Promise<Ban[]>;
  list(siteId: string): Promise<Ban[]>;
  remove(siteId: string, id: string): Promise<boolean>;
  findActive(siteId: string, valueHmacs: string[], now: number): Promise<Ban | null>;
}

/** Where a site's widget loaded, as the console's install check shows it. */
export interface WidgetSighting {
  origin: string;
  /** The origin was in the site's list when last seen (the list may have changed since). */
  allowedWhenSeen: boolean;
  firstSeenAt: number;
  lastSeenAt: number;
}

export interface SiteActivityRepository {
  /**
   * Notes that the widget loaded on an origin (first time, or a later time). Of the origins not in the site's
   * list, only the `keepOthers` most recently seen are kept.
   */
  noteWidgetSeen(s: { siteId: string; origin: string; allowed: boolean; at: number }, keepOthers: number): Promise<void>;
  /** Most recently seen first. */
  widgetSightings(siteId: string): Promise<WidgetSighting[]>;
  /** When a comment was last posted or moderated on the site; null when nothing happened yet. */
  lastActivityAt(siteId: string): Promise<number | null>;
}

export interface Repositories {
  sites: SiteRepository;
  siteActivity: SiteActivityRepository;
  pages: PageRepository;
  comments: CommentRepository;
  audit: AuditRepository;
  tokens: TokenRepository;
  bans: BanRepository;
  /** Imports, exports and erasure (src/domain/transfer-ports.ts); absent in a store that cannot do them yet. */
  transfer?: TransferRepository;
  /** The outbox, subscribers and mailed links; a store without it runs with notifications off. */
  notifications?: NotificationRepository;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
