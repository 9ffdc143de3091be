// Import: the one record shape every format's reader yields, and the error that stops an import.
import type { CommentStatus } from '../domain/types';

export const importSources = ['disqus', 'wordpress', 'isso'] as const;
export type ImportSource = (typeof importSources)[number];

/** A page of the source (Disqus thread, WordPress post, Isso thread), named by the reader's own id for it. */
export interface ImportedThread {
  kind: 'thread';
  ref: string;
  /** The page's link; its path becomes the page key. */
  url: string | null;
  /** Used as the key when the link gives none (a Disqus identifier). */
  fallbackKey: string | null;
  title: string | null;
  /** Where it was in the file, for messages. */
  entry: string;
}

export interface ImportedComment {
  kind: 'comment';
  sourceId: string;
  threadRef: string;
  parentSourceId: string | null;
  status: CommentStatus;
  statusBeforeDelete: CommentStatus | null;
  authorName: string;
  email: string | null;
  website: string | null;
  ip: string | null;
  createdAt: number;
  /** HTML from Disqus and WordPress; Markdown from Isso, which stores what the reader typed. */
  body: { html: string } | { markdown: string };
  upvotes: number;
  downvotes: number;
  entry: string;
}

/** Something the source holds that is not a comment here (pingbacks, trackbacks), counted by kind. */
export interface SkippedItem {
  kind: 'skipped';
  what: string;
}

export type ImportRecord = ImportedThread | ImportedComment | SkippedItem;

/** Stops an import and names where: the line and column of the XML, or the entry. Nothing is written. */
export class ImportError extends Error {
  constructor(
    message: string,
    readonly where: { line?: number; column?: number; entry?: string } = {},
  ) {
    super(ImportError.describe(message, where));
    this.name = 'ImportError';
  }

  static describe(message: string, where: { line?: number; column?: number; entry?: string }): string {
    const at = [where.entry, where.line !== undefined ? `line ${where.line}, column ${where.column ?? 0}` : null].filter(Boolean).join(', ');
    return at ? `${at}: ${message}` : message;
  }
}

/** How far a reader is through its input, for progress bars. */
export interface ReadProgress {
  bytesRead: number;
  totalBytes: number | null;
}
