// Migration 0003 (votes and featured) sorts before 0005 and 0006: it must apply to a database that already has
// the later ones, keeping its comments. SQLite's file, so it runs in the sqlite project only (test/store).
import Database from 'better-sqlite3';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const postComment = async () => (await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/post' }) })).body.comment.id as string;

describe('migration 0003', () => {
  it('applies on a database that already has 0005 and 0006, keeping its comments with zero votes', async () => {
    const id = await postComment();
    const file = path.join(server.dataDir, 'marginalia.db');
    const db = new Database(file);
    // The database as it was before 0003: its columns and tables gone, its record removed.
    db.exec(`DROP INDEX comments_featured; DROP TABLE vote_changes; DROP TABLE votes;
      ALTER TABLE comments DROP COLUMN upvotes; ALTER TABLE comments DROP COLUMN downvotes;
      ALTER TABLE comments DROP COLUMN featured_at; ALTER TABLE comments DROP COLUMN voter_hmac;
      DELETE FROM schema_migrations WHERE name = '0003_votes_featured.sql'`);
    const applied = db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all();
    expect(applied).toEqual(expect.arrayContaining(['0001_init.sql', '0005_site_installs.sql', '0006_page_metadata.sql']));
    expect(applied).not.toContain('0003_votes_featured.sql');
    const { migrate } = await import('../../src/store');
    expect(migrate(db)).toEqual(['0003_votes_featured.sql']);
    expect(db.prepare('SELECT upvotes, downvotes, featured_at FROM comments WHERE id = ?').get(id)).toEqual({ upvotes: 0, downvotes: 0, featured_at: null });
    expect(migrate(db)).toEqual([]);
    db.close();
  });
});
