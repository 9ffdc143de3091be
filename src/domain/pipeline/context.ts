// Moderation pipeline: what every check sees, and what it may return.
import type { CommentRepository, BanRepository } from '../ports';
import type { SiteSettings } from '../settings';
import type { CommentStatus, Page, Reason } from '../types';

export interface CheckContext {
  siteId: string;
  settings: SiteSettings;
  page: Page | null;
  pageKey: string;
  name: string;
  website: string | null;
  emailHmac: string;
  ipHmac: string | null;
  hp: string | undefined;
  /** When the form token was issued, or null when it is missing or forged. */
  formTokenIssuedAt: number | null;
  bodyHash: string;
  bodyHtml: string;
  now: number;
  comments: CommentRepository;
  bans: BanRepository;
  /** Whether the author's address was confirmed by mail; absent when the service keeps no subscribers. */
  isVerified?: () => Promise<boolean>;
}

/** A check either throws (the post is refused) or holds the comment with a reason. */
export interface CheckResult {
  status: Extract<CommentStatus, 'pending' | 'spam'>;
  reason: Reason;
}

export type Check = (ctx: CheckContext) => Promise<CheckResult | null> | CheckResult | null;
