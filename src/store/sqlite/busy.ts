// Store: when another process (the CLI: import, backup, erase) holds the write lock, wait for it without
// stalling the server's event loop: each attempt waits briefly in SQLite, then the retry sleeps on a timer.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db';

/** SQLITE_BUSY and SQLITE_LOCKED with their extended codes (…_SNAPSHOT, …_RECOVERY, …_TIMEOUT). */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export interface BusyPolicy {
  /** Give up after this long; the error then reaches the HTTP layer as a 503 with Retry-After. */
  maxWaitMs: number;
}

/**
 * The repository with every method retried while the database is busy. Each repository method is one
 * transaction, and a busy error rolls it back whole, so running it again is safe.
 */
export function retryWhenBusy<T extends object>(repo: T, policy: BusyPolicy = { maxWaitMs: 15_000 }): T {
  const wrapped: Record<string, unknown> = {};
  const names = new Set([...Object.getOwnPropertyNames(Object.getPrototypeOf(repo)), ...Object.keys(repo)]);
  for (const name of names) {
    const fn = (repo as Record<string, unknown>)[name];
    if (name === 'constructor' || typeof fn !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      const start = Date.now();
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn.apply(repo, args);
        } catch (err) {
          if (!isBusy(err) || Date.now() - start >= policy.maxWaitMs) throw err;
          await sleep(Math.min(5 * 2 ** attempt, 100));
        }
      }
    };
  }
  return wrapped as T;
}

/**
 * One write transaction of a batch job (an import's batches, an erase), taking the write lock up front and waiting
 * on a timer while another process holds it: a job beside a busy server waits its turn instead of failing. The
 * transaction rolls back whole on a busy error, so running it again is safe.
 */
export async function writeWhenFree<T>(db: Db, fn: () => T, maxWaitMs = 60_000): Promise<T> {
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return db.transaction(fn).immediate();
    } catch (err) {
      if (!isBusy(err) || Date.now() - start >= maxWaitMs) throw err;
      await sleep(Math.min(5 * 2 ** attempt, 100));
    }
  }
}

/** The database cannot take a write now: locked, out of space, or failing I/O (SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY). */
export function cannotWrite(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return isBusy(err) || (typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY)/.test(code));
}
