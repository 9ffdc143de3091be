// Busy database: the CLI (backup, site, token, a Disqus import, an erasure) and another process writing while the
// server takes posts and reads. No client and no CLI run sees SQLITE_BUSY or a 5xx, every acknowledged post and all
// of the CLI's work is stored, and the server keeps answering while another process holds the lock.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
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
    // 'close', not 'exit': the output may still be in the pipes when the process exits.
    child.on('close', (code) => resolve({ code, out }));
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

/** A Disqus export (the shape of test/fixtures/import/disqus.xml) of `perThread` posts on each of `pages`. */
function disqusExport(pages: string[], perThread: number): string {
  const threads = pages.map((p, t) => `  <thread dsq:id="${70 + t}">
    <id>busy-${t}</id><forum>busy</forum><link>https://blog.example${p}</link><title>Busy ${t}</title>
    <createdAt>2020-01-01T00:00:00Z</createdAt><isClosed>false</isClosed><isDeleted>false</isDeleted>
  </thread>`);
  const posts = pages.flatMap((_, t) =>
    Array.from({ length: perThread }, (_, i) => `  <post dsq:id="${(t + 1) * 100000 + i}">
    <id/><message><![CDATA[<p>Imported busy ${t}-${i} with <b>bold</b> text.</p>]]></message>
    <createdAt>2020-01-0${1 + (i % 9)}T10:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><email>importee${i % 50}@example.org</email><name>Importee ${i % 50}</name><isAnonymous>false</isAnonymous></author>
    <ipAddress>198.51.100.${i % 250}</ipAddress><thread dsq:id="${70 + t}"/>${i % 3 === 2 ? `<parent dsq:id="${(t + 1) * 100000 + i - 1}"/>` : ''}
  </post>`),
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
${threads.join('\n')}
${posts.join('\n')}
</disqus>
`;
}

describe('busy database', () => {
  let s: TestServer;
  afterAll(() => s?.stop());

  it('serves posts and reads while the CLI backs up, imports, erases and writes and another process holds the write lock', async () => {
    s = await startTestServer();
    await configure(s, { ...fastPosting, moderation: 'none' });
    const env = { DATA_DIR: s.dataDir, LOG_LEVEL: 'silent' };
    const dbFile = path.join(s.dataDir, 'marginalia.db');
    // The person the CLI erases while the clients post.
    const erased: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(s, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: `/busy-${1 + i}`, email: 'Erin.Busy@example.com', body: `Erin's words ${i}.` }) });
      expect(r.status).toBe(201);
      erased.push(r.body.comment.id);
    }
    // Imported onto the same pages the clients post to: 4 × 250 comments, one in three a reply.
    const exportFile = path.join(s.dataDir, 'disqus-busy.xml');
    fs.writeFileSync(exportFile, disqusExport(['/busy-1', '/busy-2', '/busy-3', '/busy-4'], 250));

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
    const readStatuses = new Map<number, number>();
    const reader = async () => {
      for (let i = 0; !stop; i++) {
        const r = await fetch(`${s.baseUrl}/api/v1/sites/demo/comments?page=${encodeURIComponent(`/busy-${1 + (i % 4)}`)}`);
        const text = await r.text();
        readStatuses.set(r.status, (readStatuses.get(r.status) ?? 0) + 1);
        if (r.status !== 200) failures.push(`GET ${r.status} ${text}`);
      }
    };
    const clients = [poster(1), poster(2), poster(3), poster(4), reader(), prober()];

    const cliRuns: { code: number | null; out: string }[] = [];
    const locker = run(['-e', HOLD_LOCK, require.resolve('better-sqlite3'), dbFile, '3000'], {});
    // The import (one write batch) and the erasure, each its own process, beside the other commands.
    const importing = run([cli, 'import', 'disqus', exportFile, '--site', 'demo'], env);
    const erasing = run([cli, 'erase', '--site', 'demo', '--email', 'erin.busy@EXAMPLE.com'], env);
    cliRuns.push(await run([cli, 'backup', path.join(s.dataDir, 'backup-0.db')], env));
    cliRuns.push(await run([cli, 'site', 'update', 'demo', '--max-links', '3'], env));
    cliRuns.push(await run([cli, 'token', 'create', '--role', 'moderator', '--site', 'demo', '--label', 'busy'], env));
    cliRuns.push(await run([cli, 'site', 'create', 'busy-0', '--name', 'Busy 0'], env));
    const [imported, erasure] = await Promise.all([importing, erasing]);
    cliRuns.push(imported, erasure);
    const lock = await locker;
    stop = true;
    await Promise.all(clients);

    expect(lock.code).toBe(0);
    expect(lock.out).toContain('locked');
    for (const r of cliRuns) {
      expect(r.out).not.toMatch(/SQLITE_BUSY|database is locked/i);
      expect(r.code).toBe(0);
    }
    // /busy-4 is new to the database unless its poster got there before the import wrote its pages.
    expect(imported.out).toMatch(/imported 1000 comments from disqus into site demo, (0 new pages|1 new page)\n/);
    expect(erasure.out).toContain('erased 3 comments on site demo');
    expect(failures).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(20);
    expect(readStatuses.get(200)).toBeGreaterThan(5);
    // The lock was held 3 s: the server waited for it on timers, not by blocking its event loop for all of it.
    expect(slowestHealth).toBeLessThan(1500);
    expect(s.logs.join('\n')).not.toContain('SQLITE_BUSY');

    const db = new Database(dbFile, { readonly: true });
    try {
      const stored = new Set((db.prepare(`SELECT id FROM comments`).all() as { id: string }[]).map((r) => r.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      expect((db.prepare(`SELECT settings FROM sites WHERE id = 'demo'`).get() as { settings: string }).settings).toContain('"maxLinks":3');
      expect(db.prepare(`SELECT count(*) AS n FROM sites WHERE id LIKE 'busy-%'`).get()).toEqual({ n: 1 });
      // The import whole, on the pages the clients wrote to, beside their posts.
      const perPage = db
        .prepare(`SELECT p.key AS page, count(*) AS n FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.site_id = 'demo' AND c.body_html LIKE '%Imported busy%' GROUP BY p.key ORDER BY p.key`)
        .all();
      expect(perPage).toEqual(['/busy-1', '/busy-2', '/busy-3', '/busy-4'].map((page) => ({ page, n: 250 })));
      // The erasure whole: nothing of the person is left in the rows.
      const rows = db.prepare(`SELECT status, author_name, body_html, email_hmac FROM comments WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(erased));
      expect(rows).toEqual(erased.map(() => ({ status: 'deleted', author_name: '', body_html: '', email_hmac: '' })));
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
