// Repository interfaces for moving comments in and out (imports, exports) and for erasing a person. Both stores
// implement them; every method is atomic on its own, and an import run is all or nothing as a whole.
import type { AuditEntry, Ban, CommentStatus, Page } from './types';

/** A comment ready to store: sanitised, e-mail encrypted, addresses hashed. Refs are the source's own ids. */
export interface StagedComment {
  /** Our id; an import keeps a Marginalia export's ids and makes new ones for other sources. */
  id: string;
  /** Unique within the run: the source's id (our id for a Marginalia export). */
  sourceId: string;
  parentRef: string | null;
  /** The page as the source names it; resolved to a key through the staged pages, which may come later. */
  threadRef: string;
  status: CommentStatus;
  statusBeforeDelete: CommentStatus | null;
  authorName: string;
  authorWebsite: string | null;
  avatar: string;
  emailEnc: Buffer;
  emailHmac: string;
  ipHmac: string | null;
  userAgent: string | null;
  bodySource: string;
  bodyHtml: string;
  bodyHash: string;
  reasons: string;
  createdAt: number;
  editedAt: number | null;
  statusChangedAt: number;
  /** When a moderator featured it; null when not featured. */
  featuredAt: number | null;
  /** The author's voter key (HMAC), so they cannot vote on their own comment; null when unknown. */
  voterHmac: string | null;
  /** Where the comment came from, remembered so the same import adds nothing the second time. */
  origin: { source: string; id: string; upvotes: number; downvotes: number } | null;
  /** Names the entry in messages. */
  entry: string;
}

export interface StagedPage {
  /** The source's name for the page (a Disqus thread id, a WordPress post id; the key itself in our export). */
  ref: string;
  key: string;
  url: string | null;
  title: string | null;
  closed: boolean;
  metadataLocked: boolean;
  createdAt: number;
}

export interface StagedReport {
  commentId: string;
  reporterHmac: string;
  reason: string;
  note: string | null;
  createdAt: number;
  resolvedAt: number | null;
}

/** A reader's vote, by the stored HMAC of their voter key (never the key itself). */
export interface StagedVote {
  commentId: string;
  voterHmac: string;
  value: 1 | -1;
  votedAt: number;
}

export type StagedLogEntry = Omit<AuditEntry, 'id' | 'siteId' | 'actorLabel'>;

export interface ResolvedRun {
  toImport: number;
  alreadyThere: number;
  newPages: number;
  /** One line per comment whose parent is missing (the first 100), and how many there were in all. */
  warnings: string[];
  warningCount: number;
}

export interface ImportRun {
  /** Pages in the order seen; a ref seen again keeps its first key, title and URL. */
  addPages(pages: StagedPage[]): Promise<void>;
  /** True when an earlier run imported this source's comment into the site (its content need not be prepared again). */
  alreadyImported(source: string, sourceId: string): boolean;
  /** Fails with an ImportError naming the entry when a source id comes twice. */
  addComments(comments: StagedComment[]): Promise<void>;
  addReports(reports: StagedReport[]): Promise<void>;
  addLog(entries: StagedLogEntry[]): Promise<void>;
  addBans(bans: Ban[]): Promise<void>;
  /** Votes on comments of the file; only those on comments this run adds are written, and the totals follow them. */
  addVotes(votes: StagedVote[]): Promise<void>;
  /** Finds what is already there, links replies to parents (missing ones make top-level comments) and orders the tree. */
  resolve(): Promise<ResolvedRun>;
  /** The site was created for this run: an undo removes it again. */
  ownSite(siteId: string): void;
  /** Writes the next batch in one transaction; 0 when everything is written. */
  writeBatch(size: number): Promise<number>;
  /** After the last batch: placeholders above shown replies, and reports, log and bans of the comments added. */
  finish(): Promise<void>;
  /** Removes whatever the run wrote (after a failure part-way through the batches). */
  undo(): Promise<void>;
  /** Drops the run's working tables. */
  dispose(): Promise<void>;
}

export interface ExportedCommentRow {
  id: string;
  pageKey: string;
  parentId: string | null;
  status: CommentStatus;
  statusBeforeDelete: CommentStatus | null;
  authorName: string;
  authorWebsite: string | null;
  emailEnc: Buffer;
  ipHmac: string | null;
  userAgent: string | null;
  bodySource: string;
  bodyHtml: string;
  reasons: string;
  createdAt: number;
  editedAt: number | null;
  statusChangedAt: number;
  featuredAt: number | null;
  voterHmac: string | null;
  origin: { source: string; id: string; upvotes: number; downvotes: number } | null;
  reports: StagedReport[];
}

export interface ErasedComments {
  ids: string[];
  pageIds: number[];
}

export interface TransferRepository {
  /** Opens a run (its working tables, and what earlier runs imported into the site, so `alreadyImported` need not wait). */
  beginImport(opts: { siteId: string; marginaliaIds: boolean; auditSource: string | null; now: number }): Promise<ImportRun>;
  /** A page of a site's pages by key order: keys strictly after `afterKey`. */
  exportPages(siteId: string, afterKey: string | null, limit: number): Promise<Page[]>;
  /** A page of a site's comments in id order, each with its reports and origin. */
  exportComments(siteId: string, afterId: string | null, limit: number): Promise<ExportedCommentRow[]>;
  /** A page of the votes on a site's comments, by comment id and then voter HMAC: those strictly after `after`. */
  exportVotes(siteId: string, after: { commentId: string; voterHmac: string } | null, limit: number): Promise<StagedVote[]>;
  exportLog(siteId: string, afterId: number | null, limit: number): Promise<AuditEntry[]>;
  /** Comments of a site whose e-mail has this HMAC, newest first. */
  commentsByEmail(siteId: string, emailHmac: string): Promise<string[]>;
  /**
   * Removes author, e-mail and its HMAC, website, address hash, user agent, the author's voter key hash and body
   * of these comments for good
   * (they become deleted placeholders), with one audit row for them all, and overwrites the freed bytes.
   */
  erase(siteId: string, ids: string[], audit: { actorId: string | null; reason: string; now: number }): Promise<ErasedComments>;
  /**
   * One audit row (action `export`) saying a person's data was given out, on the comment they were identified by;
   * the status is left as it is, and the reason names no personal data.
   */
  auditPersonExport(siteId: string, commentId: string, audit: { actorId: string | null; reason: string; now: number }): Promise<void>;
}
