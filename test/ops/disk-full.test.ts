// Disk full: on a small tmpfs filled to the last byte, writes answer 503 problem+json, reads go on, nothing stored
// is damaged, and writes work again once space returns.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { queue } from '../helpers/moderation';

/** Mounts a tmpfs of `size`; null, with the reason, where this machine does not let the tests mount (not root). */
function mountTmpfs(size: string): { dir: string; unmount(): void } | { reason: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    fs.rmdirSync(dir);
    return { reason: `cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}); run the tests as root` };
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', [dir]);
      fs.rmdirSync(dir);
    },
  };
}

/** Writes a file until the filesystem refuses another byte. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 7);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

const mount = mountTmpfs('12m');
const canMount = 'dir' in mount;
if (!canMount) process.stderr.write(`disk-full test skipped: ${mount.reason}\n`);

(canMount ? describe : describe.skip)('disk full', () => {
  let s: TestServer;
  const dir = canMount ? mount.dir : '';
  afterAll(async () => {
    await s?.stop();
    if (canMount) mount.unmount();
  });

  it('refuses writes with 503, keeps serving reads, loses nothing, and writes again once space returns', async () => {
    s = await startTestServer({ under: dir });
    await configure(s, { ...fastPosting, moderation: 'none' });
    const acknowledged: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await call(s, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/full', body: `Stored before the disk filled, number ${i}.` }) });
      expect(r.status).toBe(201);
      acknowledged.push(r.body.comment.id);
    }
    const cachedThread = await call(s, 'GET', '/api/v1/sites/demo/comments?page=%2Ffull');
    expect(cachedThread.body.comments).toHaveLength(10);

    const filler = path.join(dir, 'filler');
    fillDisk(filler);

    for (let i = 0; i < 3; i++) {
      const r = await call(s, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/full', body: `A long comment that needs room. ${'words '.repeat(800)} ${i}` }) });
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.headers.get('retry-after')).toBe('30');
      expect(r.body).toMatchObject({ type: 'urn:marginalia:problem:storage-unavailable', status: 503 });
      expect(r.text).not.toMatch(/SQLITE|INSERT|disk is full|\.db|at .*\.ts/);
    }
    const moderate = await call(s, 'POST', '/api/v1/sites/demo/moderation/actions', { token: s.ownerToken, body: { action: 'spam', ids: acknowledged.slice(0, 5) } });
    expect(moderate.status).toBe(503);

    // Reads keep working: a cached answer, one built from the database now, and the moderator's queue.
    expect((await call(s, 'GET', '/api/v1/sites/demo/comments?page=%2Ffull')).body.comments).toHaveLength(10);
    const fresh = await call(s, 'GET', '/api/v1/sites/demo/comments?page=%2Ffull&sort=newest');
    expect(fresh.status).toBe(200);
    expect(fresh.body.comments.map((c: { id: string }) => c.id).sort()).toEqual([...acknowledged].sort());
    const q = await queue(s, { status: 'approved', page: '/full' });
    expect(q.status).toBe(200);
    expect(q.body.items).toHaveLength(10);
    expect((await call(s, 'GET', '/readyz')).status).toBe(200);

    fs.rmSync(filler);
    const again = await call(s, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/full', body: 'Space is back.' }) });
    expect(again.status).toBe(201);
    expect((await call(s, 'GET', '/api/v1/sites/demo/comments?page=%2Ffull')).body.comments).toHaveLength(11);

    // A second connection sees an intact file with every acknowledged comment and nothing half-written.
    const db = new Database(path.join(s.dataDir, 'marginalia.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = db.prepare(`SELECT id, status FROM comments WHERE site_id = 'demo'`).all() as { id: string; status: string }[];
      expect(rows).toHaveLength(11);
      expect(rows.filter((r) => acknowledged.includes(r.id)).every((r) => r.status === 'approved')).toBe(true);
    } finally {
      db.close();
    }
    // The log names the failure, never a reader's address or e-mail.
    expect(s.logs.join('\n')).toContain('SQLITE_FULL');
    expect(s.logs.join('\n')).not.toMatch(/@example\.com|127\.0\.0\.1/);
  });
});
