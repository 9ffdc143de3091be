// Store: the SQLite implementation of the domain's repositories over one connection, or PostgreSQL by configuration.
import type { Repositories } from '../domain/ports';
import { openDatabase, type Db } from './db';
import { migrate } from './migrate';
import { SqliteComments } from './sqlite/comments';
import { SqlitePages, SqliteSites } from './sqlite/sites';
import { SqliteAudit, SqliteBans, SqliteTokens } from './sqlite/access';
import { SqliteSiteActivity } from './sqlite/site-activity';
import { retryWhenBusy } from './sqlite/busy';
import { openPostgresStore } from './postgres';
import { SqliteTransfer } from './sqlite/transfer';
import { SqliteNotifications } from './sqlite/notifications';

export { migrate, MigrationError } from './migrate';
export { openDatabase } from './db';

export function createSqliteRepositories(db: Db): Repositories {
  // A real read of the schema, not just a live handle: a missing or unreadable file fails it.
  const ping = db.prepare('SELECT count(*) > 0 AS ok FROM schema_migrations');
  return {
    sites: retryWhenBusy(new SqliteSites(db)),
    siteActivity: retryWhenBusy(new SqliteSiteActivity(db)),
    pages: retryWhenBusy(new SqlitePages(db)),
    comments: retryWhenBusy(new SqliteComments(db)),
    audit: retryWhenBusy(new SqliteAudit(db)),
    tokens: retryWhenBusy(new SqliteTokens(db)),
    bans: retryWhenBusy(new SqliteBans(db)),
    // Not wrapped: an import run hands out synchronous batch writers, which take the write lock for each batch.
    transfer: new SqliteTransfer(db),
    notifications: retryWhenBusy(new SqliteNotifications(db)),
    async ping() {
      return (ping.get() as { ok: number }).ok === 1;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** How long the server blocks on another process's lock per attempt before yielding to its event loop. */
const SERVER_BUSY_TIMEOUT_MS = 25;

/** Opens the database file, applies pending migrations and returns the repositories. */
export function openStore(file: string): Repositories {
  const db = openDatabase(file);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  db.pragma(`busy_timeout = ${SERVER_BUSY_TIMEOUT_MS}`);
  return createSqliteRepositories(db);
}

export interface StoreChoice {
  databasePath: string;
  databaseUrl?: string;
  databasePoolSize: number;
}

/** Which store a configuration opens and where, fit for a log line (a URL's password is left out). */
export function describeStore(c: StoreChoice): { store: 'sqlite' | 'postgres'; location: string } {
  if (!c.databaseUrl) return { store: 'sqlite', location: c.databasePath };
  const u = new URL(c.databaseUrl);
  return { store: 'postgres', location: `${u.hostname}${u.port ? ':' + u.port : ''}${u.pathname}` };
}

/** PostgreSQL when DATABASE_URL is set, else the SQLite file; migrated either way. */
export async function openConfiguredStore(c: StoreChoice): Promise<Repositories> {
  return c.databaseUrl ? openPostgresStore(c.databaseUrl, c.databasePoolSize) : openStore(c.databasePath);
}
