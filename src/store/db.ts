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
  // 16 MiB of pages: the hot indexes fit, and the whole process stays near its 120 MB goal (docs/memory.md).
  db.pragma('cache_size = -16384');
  return db;
}
