// What the widget keeps in the reader's browser: the opt-in identity and edit tokens for their own comments.
import type { PublicComment } from './api';

const PREFIX = 'marginalia:';

function read<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(PREFIX + key) || 'null');
  } catch {
    return null; // storage disabled or corrupt: behave as if empty
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value == null) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the widget still works, it just forgets */
  }
}

export interface Identity {
  name: string;
  email: string;
  website: string;
}
export const loadIdentity = () => read<Identity>('author');
export const saveIdentity = (v: Identity | null) => write('author', v);

/**
 * An own comment: the edit token, when the window closes (epoch ms), the Markdown the reader wrote and,
 * while it waits for moderation, the comment itself and its thread, so it still shows after a reload.
 */
export interface Own {
  token: string;
  until: number;
  body: string;
  thread?: string;
  pending?: PublicComment;
}

type OwnMap = Record<string, Own>;

/** The reader's token for a comment, while its edit window is open. */
export function ownComment(id: string): Own | null {
  const o = (read<OwnMap>('edits') || {})[id];
  return o && o.until > Date.now() ? o : null;
}

/** The reader's comments on a thread that were pending when posted, while their edit window is open. */
export function ownPending(thread: string): PublicComment[] {
  const all = read<OwnMap>('edits') || {};
  return Object.values(all).filter((o) => o.until > Date.now() && o.thread == thread && o.pending).map((o) => o.pending!);
}

/** Stores (or, with null, forgets) an own comment, dropping every entry whose window has closed. */
export function keepOwnComment(id: string, own: Own | null): void {
  const all = read<OwnMap>('edits') || {};
  for (const k in all) if (!(all[k].until > Date.now())) delete all[k];
  if (own) all[id] = own;
  else delete all[id];
  write('edits', all);
}
