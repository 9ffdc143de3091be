// Notifications' own types: the journal of comment facts, outbox deliveries, subscribers and moderators' links.
import type { Actor, CommentStatus } from '../types';

/** A fact about a comment, recorded by the store in the transaction that made it true. */
export type JournalFact =
  | { type: 'created'; commentId: string; status: CommentStatus; notify: boolean }
  | { type: 'status_changed'; commentId: string; from: CommentStatus; to: CommentStatus; actor: Actor; action: string }
  | { type: 'reported'; commentId: string; reason: string }
  | { type: 'edited'; commentId: string };

export interface JournalEntry {
  id: number;
  siteId: string;
  fact: JournalFact;
  createdAt: number;
}

export type Channel = 'mail' | 'webhook';
export type DeliveryState = 'pending' | 'sending' | 'delivered' | 'failed' | 'cancelled';

export interface NewDelivery {
  deliveryId: string;
  siteId: string;
  channel: Channel;
  topic: string;
  target: string | null;
  recipientEnc: Buffer | null;
  payload: Record<string, unknown>;
  dueAt: number;
  /**
   * Mail that later items may join while it waits: when a pending delivery with this key exists, `item` is appended
   * to its `payload.items` instead of a new delivery; otherwise the new one waits until `windowMs` after the last one
   * with the key was sent.
   */
  batch?: { key: string; windowMs: number; item: unknown };
  /** Made at most once for this pair (a reply told to a watcher): skipped when it was made before. */
  once?: { replyId: string; emailHmac: string };
}

export interface Delivery {
  id: number;
  deliveryId: string;
  siteId: string;
  channel: Channel;
  topic: string;
  target: string | null;
  recipientEnc: Buffer | null;
  batchKey: string | null;
  payload: Record<string, unknown>;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

export type SubscriberState = 'pending' | 'confirmed' | 'unsubscribed';

export interface Subscriber {
  siteId: string;
  emailHmac: string;
  state: SubscriberState;
  confirmSentAt: number | null;
  confirmedAt: number | null;
}

export interface PageInfo {
  key: string;
  url: string | null;
  title: string | null;
}

export interface AuthoredComment {
  id: string;
  status: CommentStatus;
  bodySource: string;
  bodyHtml: string;
  createdAt: number;
  editedAt: number | null;
  parentId: string | null;
  page: PageInfo;
}

export interface ActionLink {
  id: string;
  siteId: string;
  commentId: string;
  moderator: string;
  expiresAt: number;
  usedAt: number | null;
  usedAction: string | null;
}

/** Everything one journal entry leads to, applied with the entry's removal in one transaction. */
export interface FanOutPlan {
  deliveries: NewDelivery[];
  /** A reader asked for reply mail: their address becomes pending (unless already known) and, when set, a confirmation was sent now. */
  subscribe?: { siteId: string; emailHmac: string; confirmSentAt: number | null; now: number };
  watch?: { commentId: string; siteId: string; emailHmac: string };
  actionLinks?: ActionLink[];
}

export type AttemptOutcome =
  | { state: 'delivered'; status: number | null }
  | { state: 'pending'; nextAttemptAt: number; status: number | null; error: string }
  | { state: 'failed' | 'cancelled'; status: number | null; error: string };

export interface NotificationRepository {
  /** Oldest first. */
  journal(limit: number): Promise<JournalEntry[]>;
  /** Applies the plan and removes the entry, in one transaction; false when the entry was already gone. */
  applyFanOut(entryId: number, plan: FanOutPlan, now: number): Promise<boolean>;
  /** Removes entries whose plans were empty, in one transaction; how many were still there. */
  dropEntries(entryIds: readonly number[]): Promise<number>;
  /** Due pending deliveries, oldest first, marked as being sent until `leaseUntil`. */
  claimDue(now: number, limit: number, leaseUntil: number): Promise<Delivery[]>;
  /** Deliveries left half-sent by a process that stopped, or whose lease ran out, go back to pending. */
  releaseClaims(now: number, all: boolean): Promise<number>;
  recordAttempt(id: number, outcome: AttemptOutcome, now: number): Promise<void>;
  /** The earliest time a pending delivery is due; null when none waits. */
  nextDueAt(): Promise<number | null>;
  backlog(): Promise<{ events: number; pending: number }>;
  deliveries(siteId: string, opts: { channel: Channel; beforeId: number | null; limit: number }): Promise<Delivery[]>;
  /** Puts a finished delivery back in line, same delivery id, due now. */
  resend(siteId: string, id: number, now: number): Promise<Delivery | null>;

  subscriber(siteId: string, emailHmac: string): Promise<Subscriber | null>;
  /** pending → confirmed; false when the address is unknown or unsubscribed since. */
  confirm(siteId: string, emailHmac: string, now: number): Promise<boolean>;
  /** Every thread of the site when `pageId` is null, else that one thread. */
  unsubscribe(siteId: string, emailHmac: string, pageId: number | null, now: number): Promise<void>;
  threadUnsubscribed(siteId: string, emailHmac: string, pageId: number): Promise<boolean>;
  watcherOf(commentId: string): Promise<{ emailHmac: string } | null>;

  /** A delivery made outside any journal entry (a reader asking for their comments). */
  enqueue(d: NewDelivery, now: number): Promise<void>;
  page(pageId: number): Promise<PageInfo | null>;
  /** Every comment by this address on the site, newest first, deleted ones left out. */
  commentsByAuthor(siteId: string, emailHmac: string): Promise<AuthoredComment[]>;

  actionLink(id: string): Promise<ActionLink | null>;
  /** Spends the link; false when it was used or has expired. */
  useActionLink(id: string, action: string, now: number): Promise<boolean>;
}
