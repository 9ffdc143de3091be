// Store: the SQLite implementation of the domain's repositories, over one connection.
import type { Repositories } from '../domain/ports';
import { openDatabase, type Db } from './db';
import { migrate } from './migrate';
import { SqliteComments } from './sqlite/comments';
import { SqlitePages, SqliteSites } from './sqlite/sites';
import { SqliteAudit, SqliteBans, SqliteTokens } from './sqlite/access';
import { SqliteSiteActivity } from './sqlite/site-activity';
import { SqliteNotifications } from './sqlite/notifications';

export { migrate, MigrationError } from './migrate';
export { openDatabase } from './db';

export function createSqliteRepositories(db: Db): Repositories {
  const ping = db.prepare('SELECT 1 AS ok');
  return {
    sites: new SqliteSites(db),
    siteActivity: new SqliteSiteActivity(db),
    pages: new SqlitePages(db),
    comments: new SqliteComments(db),
    audit: new SqliteAudit(db),
    tokens: new SqliteTokens(db),
    bans: new SqliteBans(db),
    notifications: new SqliteNotifications(db),
    async ping() {
      return (ping.get() as { ok: number }).ok === 1;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** Opens the database file, applies pending migrations and returns the repositories. */
export function openStore(file: string): Repositories {
  const db = openDatabase(file);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return createSqliteRepositories(db);
}
