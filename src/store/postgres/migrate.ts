// Store: applies migrations/postgres/NNNN_*.sql in order, each in its own transaction, checksummed as on SQLite.
import type { Pool } from './pool';
import { pgMigrationsDir } from '../../paths';
import { readMigrations, verifyApplied } from '../migrate';

// Replicas starting together migrate one at a time; the lock is per schema, so separate schemas do not wait on each other.
const MIGRATION_LOCK = 7_310_451;

/** Applies what is new; refuses when an applied migration was changed or removed. Returns the names applied. */
export async function migratePostgres(pool: Pool, dir: string = pgMigrationsDir): Promise<string[]> {
  const files = readMigrations(dir);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, hashtext(current_schema()))', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY, sha256 text NOT NULL, applied_at bigint NOT NULL)`);
      const applied = (await client.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM schema_migrations ORDER BY name')).rows;
      verifyApplied(files, applied, dir);
      const done = new Set(applied.map((r) => r.name));
      const newlyApplied: string[] = [];
      for (const file of files) {
        if (done.has(file.name)) continue;
        await client.query('BEGIN');
        try {
          await client.query(file.sql);
          await client.query('INSERT INTO schema_migrations (name, sha256, applied_at) VALUES ($1, $2, $3)', [file.name, file.sha256, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        newlyApplied.push(file.name);
      }
      return newlyApplied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext(current_schema()))', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
