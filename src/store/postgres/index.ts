// Store: the PostgreSQL implementation of the domain's repositories, over one pool per process.
import type { Repositories } from '../../domain/ports';
import { createPool, type Pool } from './pool';
import { migratePostgres } from './migrate';
import { PgComments } from './comments';
import { PgPages, PgSites } from './sites';
import { PgAudit, PgBans, PgTokens } from './access';
import { PgSiteActivity } from './site-activity';
import { PgTransfer } from './transfer';
import { PgNotifications } from './notifications';

export { migratePostgres } from './migrate';
export { createPool } from './pool';

export function createPostgresRepositories(pool: Pool): Repositories {
  let closed = false;
  return {
    sites: new PgSites(pool),
    siteActivity: new PgSiteActivity(pool),
    pages: new PgPages(pool),
    comments: new PgComments(pool),
    audit: new PgAudit(pool),
    tokens: new PgTokens(pool),
    bans: new PgBans(pool),
    transfer: new PgTransfer(pool),
    notifications: new PgNotifications(pool),
    async ping() {
      // Reads the schema, as on SQLite: a database that answers but lost its tables is not ready.
      return (await pool.query('SELECT count(*) > 0 AS ok FROM schema_migrations')).rows[0]?.ok === true;
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** Connects, applies pending migrations and returns the repositories. */
export async function openPostgresStore(url: string, poolSize: number): Promise<Repositories> {
  const pool = createPool(url, poolSize);
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return createPostgresRepositories(pool);
}
