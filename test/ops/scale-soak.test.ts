// Short forms of `npm run bench -- --large` and `npm run soak`: the large-database seeder makes a database the
// server reads correctly (replies in thread order, every status, counts that match), and the soak's mixed load runs
// twice without a 5xx and prints its memory figures.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from '../../src/paths';
import { ensureBuilt } from '../helpers/process';
import { startTestServer } from '../helpers/server';
import { call } from '../helpers/api';

beforeAll(ensureBuilt, 60_000);

it('seeds a large database (replies, every status) that the server reads as threads and counts', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-seed-'));
  const secret = crypto.randomBytes(32).toString('base64');
  try {
    execFileSync(process.execPath, [path.join(projectRoot, 'bench/seed-large.js'), '20000', '200'], {
      env: { ...process.env, DATA_DIR: dataDir, SECRET_KEY: secret },
      stdio: 'pipe',
    });
    const db = new Database(path.join(dataDir, 'marginalia.db'), { readonly: true });
    const byStatus = Object.fromEntries((db.prepare(`SELECT status, count(*) AS n FROM comments GROUP BY status`).all() as { status: string; n: number }[]).map((r) => [r.status, r.n]));
    const replies = (db.prepare('SELECT count(*) AS n FROM comments WHERE parent_id IS NOT NULL').get() as { n: number }).n;
    const approvedOnPage = (db.prepare(`SELECT approved_count AS n FROM pages WHERE site_id = 'large' AND key = '/articles/7'`).get() as { n: number }).n;
    db.close();
    expect(Object.values(byStatus).reduce((a, b) => a + b, 0)).toBe(20000);
    for (const status of ['approved', 'pending', 'spam', 'rejected', 'deleted']) expect(byStatus[status]).toBeGreaterThan(0);
    expect(replies).toBeGreaterThan(3000);

    const s = await startTestServer({ env: { DATA_DIR: dataDir, SECRET_KEY: secret } });
    try {
      const thread = await call(s, 'GET', '/api/v1/sites/large/comments?page=%2Farticles%2F7&limit=200');
      expect(thread.status).toBe(200);
      expect(thread.body.page.commentCount).toBe(approvedOnPage);
      expect(thread.body.comments).toHaveLength(approvedOnPage);
      // Thread order: every reply comes after its parent.
      const seen = new Set<string>();
      for (const c of thread.body.comments) {
        if (c.parentId) expect(seen.has(c.parentId)).toBe(true);
        seen.add(c.id);
      }
      expect(thread.body.comments.some((c: { parentId: string | null }) => c.parentId)).toBe(true);
      const counts = await call(s, 'GET', '/api/v1/sites/large/counts?page=%2Farticles%2F7&page=%2Fnone');
      expect(counts.body.counts).toEqual({ '/articles/7': approvedOnPage, '/none': 0 });
    } finally {
      await s.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

it('runs the soak mix twice without a 5xx and prints RSS, heap and handles after each run', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [path.join(projectRoot, 'bench/soak.js')], { env: { ...process.env, SOAK_SECONDS: '2', SOAK_CLIENTS: '4' }, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  const runs = out.split('\n').filter((l) => /^run \d:/.test(l));
  expect(runs).toHaveLength(2);
  for (const line of runs) {
    expect(line).toMatch(/5xx or failed 0,/);
    expect(line).toMatch(/RSS peak \d+\.\d MB, after \d+\.\d MB; heap used \d+\.\d MB of \d+\.\d MB; handles \d+/);
  }
  expect(out).toMatch(/RSS after run 2 − after run 1: -?\d+\.\d MB/);
}, 90_000);
