// Store: opens the one SQLite connection with the pragmas the service relies on.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // First: switching to WAL needs the lock another process may hold for a moment.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Fewer, larger checkpoints: hot index pages are rewritten by many commits, so copying them less often saves most writes.
  db.pragma('wal_autocheckpoint = 10000');
  // 8 MiB of pages: the hot indexes fit, the OS page cache serves the rest, and the process stays under its 120 MB
  // goal (docs/memory.md; a 16 MiB cache filling up as the soak's database grew was +9 MB of RSS between runs).
  db.pragma('cache_size = -8192');
  // No memory-mapped reads: mapped pages of the file would count in the process's RSS.
  db.pragma('mmap_size = 0');
  return db;
}

const runners = new WeakMap<Db, (fn: () => unknown) => unknown>();

/**
 * Runs the write `fn` in one transaction (a savepoint when already in one) begun IMMEDIATE, so it takes the write
 * lock up front. better-sqlite3's db.transaction() builds its wrappers on every call; this builds one per
 * connection, as its documentation intends.
 */
export function atomic<T>(db: Db, fn: () => T): T {
  let run = runners.get(db);
  if (!run) runners.set(db, (run = db.transaction((f: () => unknown) => f()).immediate));
  return run(fn) as T;
}
