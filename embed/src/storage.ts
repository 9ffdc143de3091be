// What the widget keeps in the reader's browser: the opt-in identity, edit tokens for their own comments, a random
// voter key and the reader's own votes.
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

/** A random key that stands for this browser when voting: no account, no cookie. Made on first use. */
export function voterKey(): string {
  let k = read<string>('voter');
  if (!k) write('voter', (k = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')));
  return k;
}

const VOTES_KEPT = 500;

/** The reader's vote on a comment (1, -1; 0 when none). */
export const myVote = (id: string): number => (read<Record<string, number>>('votes') || {})[id] || 0;

/** Remembers a vote, forgetting the oldest beyond the last 500. */
export function keepVote(id: string, v: number): void {
  const all = read<Record<string, number>>('votes') || {};
  delete all[id];
  if (v) all[id] = v;
  const ids = Object.keys(all);
  for (const k of ids.slice(0, Math.max(0, ids.length - VOTES_KEPT))) delete all[k];
  write('votes', all);
}
