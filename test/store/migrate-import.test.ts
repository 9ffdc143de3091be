// Migration 0002 (where imported comments came from) sorts before 0005 and 0006: it must apply to a fresh database
// in order, and to a database that already has the later ones.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, migrate } from '../../src/store';
import { migrationsDir } from '../../src/paths';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-migrate-import-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('applies 0002 in order on a fresh database', () => {
  const db = openDatabase(path.join(dir, 'fresh.db'));
  const applied = migrate(db);
  expect(applied.indexOf('0002_import.sql')).toBe(1);
  expect(applied.indexOf('0005_site_installs.sql')).toBeGreaterThan(1);
  expect(db.prepare(`SELECT count(*) FROM pragma_table_info('comment_sources')`).pluck().get()).toBe(6);
  db.close();
});

it('applies 0002 to a database that already had 0005 and 0006, keeping its data', () => {
  const without = path.join(dir, 'without');
  fs.mkdirSync(without);
  for (const f of fs.readdirSync(migrationsDir).filter((f) => f.endsWith('.sql') && f !== '0002_import.sql'))
    fs.copyFileSync(path.join(migrationsDir, f), path.join(without, f));
  const db = openDatabase(path.join(dir, 'old.db'));
  expect(migrate(db, without)).toEqual(expect.arrayContaining(['0005_site_installs.sql', '0006_page_metadata.sql']));
  db.prepare(`INSERT INTO sites (id, name, created_at) VALUES ('blog', 'Blog', 1)`).run();
  expect(migrate(db)).toEqual(['0002_import.sql']);
  expect(db.prepare('SELECT id FROM sites').pluck().all()).toEqual(['blog']);
  expect(db.prepare(`SELECT count(*) FROM pragma_table_info('comment_sources')`).pluck().get()).toBe(6);
  expect(migrate(db)).toEqual([]);
  db.close();
});
