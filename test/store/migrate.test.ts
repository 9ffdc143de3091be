import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, migrate, MigrationError } from '../../src/store';
import { migrationsDir } from '../../src/paths';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-migrate-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function copyMigrations(): string {
  const target = path.join(dir, 'migrations');
  fs.cpSync(migrationsDir, target, { recursive: true });
  return target;
}

describe('migrate', () => {
  it('applies every migration to an empty database and records its checksum', () => {
    const db = openDatabase(path.join(dir, 'm.db'));
    const applied = migrate(db);
    expect(applied).toContain('0001_init.sql');
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['sites', 'pages', 'comments', 'tokens', 'moderation_actions', 'reports', 'bans', 'schema_migrations']));
    const row = db.prepare('SELECT sha256 FROM schema_migrations WHERE name = ?').get('0001_init.sql') as { sha256: string };
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('is a no-op the second time', () => {
    const db = openDatabase(path.join(dir, 'm.db'));
    migrate(db);
    const before = db.prepare('SELECT * FROM schema_migrations').all();
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT * FROM schema_migrations').all()).toEqual(before);
    db.close();
  });

  it('refuses to start when an applied migration was changed, naming the file', () => {
    const migrations = copyMigrations();
    const db = openDatabase(path.join(dir, 'm.db'));
    migrate(db, migrations);
    fs.appendFileSync(path.join(migrations, '0001_init.sql'), '\n-- edited later\n');
    expect(() => migrate(db, migrations)).toThrow(MigrationError);
    expect(() => migrate(db, migrations)).toThrow(/0001_init\.sql.*changed/);
    db.close();
  });

  it('refuses to start when an applied migration is missing, naming the file', () => {
    const migrations = copyMigrations();
    const db = openDatabase(path.join(dir, 'm.db'));
    migrate(db, migrations);
    fs.rmSync(path.join(migrations, '0001_init.sql'));
    expect(() => migrate(db, migrations)).toThrow(/0001_init\.sql.*missing/);
    db.close();
  });

  it('applies a new migration in its own transaction and rolls back a failing one', () => {
    const migrations = copyMigrations();
    const db = openDatabase(path.join(dir, 'm.db'));
    const applied = migrate(db, migrations);
    fs.writeFileSync(path.join(migrations, '9999_bad.sql'), 'CREATE TABLE extra (x INTEGER);\nTHIS IS NOT SQL;');
    expect(() => migrate(db, migrations)).toThrow();
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'extra'`).pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(applied.length);
    db.close();
  });

  it('0006 adds the moderator lock to the pages a database already has, unlocked', () => {
    const migrations = copyMigrations();
    // The database as it was before 0006 (and anything after it): held back, then put back.
    const held = path.join(dir, 'held');
    fs.mkdirSync(held);
    for (const f of fs.readdirSync(migrations).filter((name) => name >= '0006')) fs.renameSync(path.join(migrations, f), path.join(held, f));
    const db = openDatabase(path.join(dir, 'm.db'));
    migrate(db, migrations);
    db.prepare(`INSERT INTO sites (id, name, created_at) VALUES ('s1', 'S', 0)`).run();
    db.prepare(`INSERT INTO pages (site_id, key, url, title, created_at) VALUES ('s1', '/a', 'https://a.example/a', 'A', 0)`).run();
    for (const f of fs.readdirSync(held)) fs.renameSync(path.join(held, f), path.join(migrations, f));
    expect(migrate(db, migrations)).toContain('0006_page_metadata.sql');
    expect(db.prepare(`SELECT key, url, title, metadata_locked FROM pages`).all()).toEqual([
      { key: '/a', url: 'https://a.example/a', title: 'A', metadata_locked: 0 },
    ]);
    expect(() => db.prepare(`UPDATE pages SET metadata_locked = 2`).run()).toThrow(/CHECK/);
    db.close();
  });

  it('0004 applies on a fresh database (before 0005 and 0006) and on one that already has 0005 and 0006', () => {
    const fresh = openDatabase(path.join(dir, 'fresh.db'));
    const order = migrate(fresh);
    expect(order.indexOf('0004_notifications.sql')).toBeLessThan(order.indexOf('0005_site_installs.sql'));
    fresh.close();

    const migrations = copyMigrations();
    const held = path.join(dir, 'held4');
    fs.mkdirSync(held);
    fs.renameSync(path.join(migrations, '0004_notifications.sql'), path.join(held, '0004_notifications.sql'));
    const db = openDatabase(path.join(dir, 'existing.db'));
    expect(migrate(db, migrations)).toEqual(expect.arrayContaining(['0005_site_installs.sql', '0006_page_metadata.sql']));
    db.prepare(`INSERT INTO sites (id, name, created_at) VALUES ('s1', 'S', 0)`).run();
    db.prepare(`INSERT INTO pages (site_id, key, created_at) VALUES ('s1', '/a', 0)`).run();
    db.prepare(`INSERT INTO comments (id, site_id, page_id, root_id, depth, path, status, author_name, avatar, email_enc, email_hmac,
      body_source, body_html, body_hash, created_at, status_changed_at)
      VALUES ('c1', 's1', 1, 'c1', 0, 'c1', 'pending', 'A', 'x', x'00', 'h', 'b', 'b', 'h', 0, 0)`).run();
    db.prepare(`INSERT INTO moderation_actions (site_id, comment_id, actor_type, actor_id, action, to_status, created_at)
      VALUES ('s1', 'c1', 'token', 'tok_1', 'approve', 'approved', 1)`).run();
    fs.renameSync(path.join(held, '0004_notifications.sql'), path.join(migrations, '0004_notifications.sql'));
    // Applied after the higher numbers it sorts below; the audit log keeps its rows and gains the address column.
    expect(migrate(db, migrations)).toEqual(['0004_notifications.sql']);
    expect(db.prepare('SELECT actor_type, actor_id, actor_address FROM moderation_actions').all()).toEqual([
      { actor_type: 'token', actor_id: 'tok_1', actor_address: null },
    ]);
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['outbox', 'notification_events', 'subscribers', 'reply_watches', 'action_links']));
    expect(migrate(db, migrations)).toEqual([]);
    db.close();
  });
});
