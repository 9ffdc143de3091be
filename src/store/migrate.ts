// Store: applies numbered .sql migrations in order, each in its own transaction, checksummed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db';
import { migrationsDir } from '../paths';


export class MigrationError extends Error {}

export interface MigrationFile {
  name: string;
  sql: string;
  sha256: string;
}

export function readMigrations(dir: string): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name), 'utf8');
      return { name, sql, sha256: crypto.createHash('sha256').update(sql).digest('hex') };
    });
}

/** Refuses when a migration applied to the database was changed or removed since; the same rule on every store. */
export function verifyApplied(files: MigrationFile[], applied: { name: string; sha256: string }[], dir: string): void {
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const row of applied) {
    const file = byName.get(row.name);
    if (!file) throw new MigrationError(`Migration ${row.name} was applied to this database but is missing from ${dir}.`);
    if (file.sha256 !== row.sha256)
      throw new MigrationError(`Migration ${row.name} was changed after it was applied (checksum mismatch); restore the original file.`);
  }
}

/** Applies what is new; refuses when an applied migration was changed or removed. Returns the names applied. */
export function migrate(db: Db, dir: string = migrationsDir): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  const files = readMigrations(dir);
  const applied = db.prepare('SELECT name, sha256 FROM schema_migrations ORDER BY name').all() as {
    name: string;
    sha256: string;
  }[];
  verifyApplied(files, applied, dir);
  const done = new Set(applied.map((r) => r.name));
  const record = db.prepare('INSERT INTO schema_migrations (name, sha256, applied_at) VALUES (?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?');
  const newlyApplied: string[] = [];
  for (const file of files) {
    if (done.has(file.name)) continue;
    // Checked again under the write lock: the server and the CLI may both start migrating one database.
    const ran = db.transaction(() => {
      if (isApplied.get(file.name)) return false;
      db.exec(file.sql);
      record.run(file.name, file.sha256, Date.now());
      return true;
    }).immediate();
    if (ran) newlyApplied.push(file.name);
  }
  return newlyApplied;
}
