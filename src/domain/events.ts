// What happened in the domain, told to whoever keeps something derived from it (answer cache, live streams,
// notifications). Services emit after their transaction commits, so a listener never sees a change that was rolled back.
import type { Comment, CommentStatus } from './types';

export type DomainEvent =
  /**
   * A comment was stored; `status` is what moderation decided. `newPage` is false when the page existed before the
   * post (absent: it may not have).
   */
  | { type: 'comment.created'; siteId: string; pageId: number; newPage?: boolean; commentId: string; parentId: string | null; status: CommentStatus; at: number }
  /**
   * Comments' text, status, reports or counters changed. `pageIds` names the pages whose public answers may change;
   * null means any page of the site.
   */
  | {
      type: 'comments.changed';
      siteId: string;
      pageIds: readonly number[] | null;
      commentIds: readonly string[];
      cause: ChangeCause;
      at: number;
      /** The status changes among `commentIds` (from → to), so a listener can tell what became or left public. */
      statusChanges?: readonly StatusChange[];
    }
  /** A page's own fields (title, URL, closed) changed. */
  | { type: 'page.changed'; siteId: string; pageId: number; at: number }
  /** The site's settings or name changed: every answer of the site may change. */
  | { type: 'site.changed'; siteId: string; at: number };

export interface StatusChange {
  commentId: string;
  from: CommentStatus;
  to: CommentStatus;
}

export type ChangeCause = 'edited' | 'deleted' | 'reported' | 'moderated' | 'imported' | 'erased' | 'voted' | 'featured';

export type DomainEventType = DomainEvent['type'];
type Of<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
/**
 * `written`: for `comment.created` told in this process, the comment as it was stored, so a listener that needs it
 * does not read it back. Events relayed from another replica come without it.
 */
type Listener<T extends DomainEventType> = (event: Of<T>, written?: Comment) => void;
type AnyListener = (event: DomainEvent, written?: Comment) => void;

export class DomainEvents {
  private readonly listeners = new Map<DomainEventType, AnyListener[]>();

  /** `onError` hears a listener that threw; the write that emitted has already committed and must not fail. */
  constructor(private readonly onError: (err: unknown, event: DomainEvent) => void = () => {}) {}

  on<T extends DomainEventType>(type: T, listener: Listener<T>): () => void {
    const list = this.listeners.get(type) ?? [];
    // Only events of `type` reach it (emit looks up by type), so the wider signature is never used.
    const any = listener as unknown as AnyListener;
    list.push(any);
    this.listeners.set(type, list);
    return () => {
      const i = list.indexOf(any);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Every event, whatever its type: for listeners that only need to know a site changed. */
  onAny(listener: (event: DomainEvent) => void): () => void {
    const offs = (['comment.created', 'comments.changed', 'page.changed', 'site.changed'] as const).map((t) => this.on(t, listener));
    return () => offs.forEach((off) => off());
  }

  emit(event: DomainEvent, written?: Comment): void {
    for (const listener of this.listeners.get(event.type) ?? []) {
      try {
        listener(event, written);
      } catch (err) {
        this.onError(err, event);
      }
    }
  }
}
