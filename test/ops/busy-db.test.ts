// Busy database: the CLI and another process writing while the server takes posts. No client and no CLI run sees
// SQLITE_BUSY, every acknowledged post is stored, and the server keeps answering while another process holds the lock.
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { ensureBuilt } from '../helpers/process';
import { projectRoot } from '../../src/paths';

beforeAll(ensureBuilt, 60_000);

const cli = path.join(projectRoot, 'dist/src/cli/index.js');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

// Another process taking the write lock and keeping it for a while, as a large import batch would.
const HOLD_LOCK = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2], { timeout: 10000 });
db.exec('BEGIN IMMEDIATE');
db.prepare("UPDATE sites SET name = name WHERE id = 'demo'").run();
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[3]));
`;

describe('busy database', () => {
  let s: TestServer;
  afterAll(() => s?.stop());

  it('serves posts while the CLI backs up and writes and another process holds the write lock', async () => {
    s = await startTestServer();
    await configure(s, { ...fastPosting, moderation: 'none' });
    const env = { DATA_DIR: s.dataDir, LOG_LEVEL: 'silent' };
    const dbFile = path.join(s.dataDir, 'marginalia.db');

    let stop = false;
    const acknowledged: string[] = [];
    const failures: string[] = [];
    const poster = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const r = await call(s, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: `/busy-${n}`, body: `Client ${n}, post ${i}.` }) });
        if (r.status === 201) acknowledged.push(r.body.comment.id);
        else failures.push(`${r.status} ${r.text}`);
      }
    };
    let slowestHealth = 0;
    const prober = async () => {
      while (!stop) {
        const t = performance.now();
        await fetch(`${s.baseUrl}/healthz`);
        slowestHealth = Math.max(slowestHealth, performance.now() - t);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const clients = [poster(1), poster(2), poster(3), poster(4), prober()];

    const cliRuns: { code: number | null; out: string }[] = [];
    const locker = run(['-e', HOLD_LOCK, require.resolve('better-sqlite3'), dbFile, '1500'], {});
    for (let round = 0; round < 1; round++) {
      cliRuns.push(await run([cli, 'backup', path.join(s.dataDir, `backup-${round}.db`)], env));
      cliRuns.push(await run([cli, 'site', 'update', 'demo', '--max-links', String(3 + round)], env));
      cliRuns.push(await run([cli, 'token', 'create', '--role', 'moderator', '--site', 'demo', '--label', `busy ${round}`], env));
      cliRuns.push(await run([cli, 'site', 'create', `busy-${round}`, '--name', `Busy ${round}`], env));
    }
    const lock = await locker;
    stop = true;
    await Promise.all(clients);

    expect(lock.code).toBe(0);
    expect(lock.out).toContain('locked');
    for (const r of cliRuns) {
      expect(r.out).not.toMatch(/SQLITE_BUSY|database is locked/i);
      expect(r.code).toBe(0);
    }
    expect(failures).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(20);
    // The lock was held 1.5 s: the server waited for it on timers, not by blocking its event loop.
    expect(slowestHealth).toBeLessThan(400);
    expect(s.logs.join('\n')).not.toContain('SQLITE_BUSY');

    const db = new Database(dbFile, { readonly: true });
    try {
      const stored = new Set((db.prepare(`SELECT id FROM comments`).all() as { id: string }[]).map((r) => r.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      expect((db.prepare(`SELECT settings FROM sites WHERE id = 'demo'`).get() as { settings: string }).settings).toContain('"maxLinks":3');
      expect(db.prepare(`SELECT count(*) AS n FROM sites WHERE id LIKE 'busy-%'`).get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
    const backup = new Database(path.join(s.dataDir, 'backup-0.db'), { readonly: true });
    try {
      expect(backup.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((backup.prepare('SELECT count(*) AS n FROM comments').get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      backup.close();
    }
  }, 60_000);
});
