// PostgreSQL only: its migrations under the checksummed runner, and what its rows hold (no plain e-mail, no IP).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { freshSchema, type TestSchema } from '../helpers/stores';
import { createPool, migratePostgres } from '../../src/store/postgres';
import { MigrationError } from '../../src/store';
import { migrationsDir, pgMigrationsDir, projectRoot } from '../../src/paths';
import { ensureBuilt } from '../helpers/process';
import { startTestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';

let schema: TestSchema;
beforeEach(async () => {
  schema = await freshSchema();
});
afterEach(() => schema.drop());

describe('PostgreSQL migrations', () => {
  it('has one PostgreSQL migration for every SQLite one, by the same number and name', () => {
    const names = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
    expect(names(pgMigrationsDir)).toEqual(names(migrationsDir));
  });

  it('applies every migration once, records checksums, and refuses a changed or missing one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-pgmig-'));
    fs.cpSync(pgMigrationsDir, dir, { recursive: true });
    const pool = createPool(schema.url, 2);
    try {
      const applied = await migratePostgres(pool, dir);
      expect(applied).toEqual(fs.readdirSync(dir).sort());
      const rows = (await pool.query('SELECT name, sha256 FROM schema_migrations ORDER BY name')).rows;
      expect(rows.map((r) => r.name)).toEqual(applied);
      for (const r of rows) expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
      const tables = (await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)).rows.map((r) => r.tablename);
      expect(tables).toEqual(expect.arrayContaining(['sites', 'pages', 'comments', 'tokens', 'moderation_actions', 'reports', 'bans', 'site_installs']));
      expect(await migratePostgres(pool, dir)).toEqual([]);
      // Two processes starting at once: one applies, the other waits and finds nothing to do.
      const other = await freshSchema();
      const otherPool = createPool(other.url, 2);
      try {
        const [a, b] = await Promise.all([migratePostgres(otherPool, dir), migratePostgres(otherPool, dir)]);
        expect([a.length, b.length].sort()).toEqual([0, applied.length]);
      } finally {
        await otherPool.end();
        await other.drop();
      }
      fs.appendFileSync(path.join(dir, '0001_init.sql'), '\n-- edited later\n');
      await expect(migratePostgres(pool, dir)).rejects.toThrow(MigrationError);
      await expect(migratePostgres(pool, dir)).rejects.toThrow(/0001_init\.sql.*changed/);
      fs.rmSync(path.join(dir, '0001_init.sql'));
      await expect(migratePostgres(pool, dir)).rejects.toThrow(/0001_init\.sql.*missing/);
    } finally {
      await pool.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL rows', () => {
  it('hold the e-mail only encrypted and no IP, in any table, yet moderators read the address', async () => {
    const server = await startTestServer({ env: { DATABASE_URL: schema.url, TRUST_PROXY: 'true' } });
    try {
      await configure(server, { ...fastPosting, moderation: 'none' });
      const email = 'Private.Person+tag@Example.org';
      const ip = '203.0.113.77';
      const posted = await call(server, 'POST', '/api/v1/sites/demo/comments', {
        body: { page: '/p', name: 'Pat', email, body: 'hello from pat' },
        headers: { 'x-forwarded-for': ip, 'user-agent': 'Agent/1' },
      });
      expect(posted.status).toBe(201);
      const id = posted.body.comment.id;
      expect((await call(server, 'POST', `/api/v1/comments/${id}/reports`, { body: { reason: 'spam' }, headers: { 'x-forwarded-for': ip } })).status).toBe(202);
      expect(
        (await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { commentId: id, reason: 'test' } })).status,
      ).toBeLessThan(300);
      expect((await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { email, reason: 'test' } })).status).toBeLessThan(300);
      const queue = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all', { token: server.ownerToken });
      expect(JSON.stringify(queue.body).toLowerCase()).toContain(email.toLowerCase());

      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        const tables = (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)).rows.map((r) => r.tablename as string);
        let scanned = 0;
        for (const t of tables) {
          for (const row of (await client.query(`SELECT * FROM ${t}`)).rows) {
            scanned++;
            for (const [column, value] of Object.entries(row)) {
              const text = (Buffer.isBuffer(value) ? value.toString('latin1') : String(value)).toLowerCase();
              expect({ table: t, column, email: text.includes('private.person'), ip: text.includes(ip) || text.includes('127.0.0.1') }).toEqual({ table: t, column, email: false, ip: false });
            }
          }
        }
        expect(scanned).toBeGreaterThan(5);
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('the marginalia command on PostgreSQL', () => {
  const cli = (args: string[], dataDir: string) =>
    spawnSync(process.execPath, [path.join(projectRoot, 'dist/src/cli/index.js'), ...args], {
      env: { ...process.env, DATABASE_URL: schema.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('migrates, manages sites on PostgreSQL, and refuses a SQLite backup with one clear line', () => {
    ensureBuilt();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-pgcli-'));
    try {
      const first = cli(['migrate'], dataDir);
      expect(first.status).toBe(0);
      expect(first.stdout).toBe(`applied: ${fs.readdirSync(pgMigrationsDir).sort().join(', ')}\n`);
      expect(cli(['migrate'], dataDir).stdout).toBe('database is up to date\n');
      expect(cli(['site', 'create', 'pg-blog', '--name', 'PG Blog', '--origin', 'https://pg.example'], dataDir).status).toBe(0);
      const listed = JSON.parse(cli(['site', 'list'], dataDir).stdout);
      expect(listed).toEqual([expect.objectContaining({ id: 'pg-blog', name: 'PG Blog', origins: ['https://pg.example'] })]);
      const backup = cli(['backup', path.join(dataDir, 'copy.db')], dataDir);
      expect(backup.status).toBe(1);
      expect(backup.stderr).toBe('error: backup copies the SQLite file; on PostgreSQL, use pg_dump (see docs/deploy.md)\n');
      expect(fs.existsSync(path.join(dataDir, 'marginalia.db'))).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL counts', () => {
  it('stay exact when many posts and moderation actions land at once, spread over several rows', async () => {
    const server = await startTestServer({ env: { DATABASE_URL: schema.url, DATABASE_POOL_SIZE: '8' } });
    try {
      await configure(server, { ...fastPosting, moderation: 'all' });
      const first = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/busy', name: 'Ann', email: 'ann@example.com', body: 'first' } });
      expect(first.status).toBe(201);
      const posted = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/busy', name: 'Ann', email: `ann${i}@example.com`, body: `post ${i}` } }),
        ),
      );
      expect(posted.map((r) => r.status)).toEqual(posted.map(() => 201));
      const ids = [first, ...posted].map((r) => r.body.comment.id as string);
      const act = (action: string, some: string[]) =>
        call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action, ids: some } });
      // Approvals and spam verdicts at once, each from its own request (so on several connections).
      const acted = await Promise.all([...ids.slice(0, 30).map((id) => act('approve', [id])), ...ids.slice(30, 35).map((id) => act('spam', [id]))]);
      expect(acted.every((r) => r.status === 200)).toBe(true);
      const queue = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=pending', { token: server.ownerToken });
      expect(queue.body.counts).toMatchObject({ pending: 6, approved: 30, spam: 5 });
      const counts = await call(server, 'GET', '/api/v1/sites/demo/counts?page=/busy');
      expect(counts.body.counts).toEqual({ '/busy': 30 });

      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        // The same totals straight from the rows, and written to more than one row of the counts.
        const real = (await client.query(`SELECT status, count(*)::int AS n FROM comments GROUP BY status`)).rows;
        expect(Object.fromEntries(real.map((r) => [r.status, r.n]))).toEqual({ pending: 6, approved: 30, spam: 5 });
        const spread = (await client.query(`SELECT count(*)::int AS n FROM comment_counts WHERE status = 'pending'`)).rows[0].n;
        expect(spread).toBeGreaterThan(1);
        // A site removed with its comments leaves no counts behind.
        await client.query(`DELETE FROM sites WHERE id = 'demo'`);
        expect((await client.query(`SELECT (SELECT count(*) FROM comment_counts)::int + (SELECT count(*) FROM page_counts)::int AS n`)).rows[0].n).toBe(0);
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
  });
});
