import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, freePort, main, waitForHealth } from '../helpers/process';

// The process test runs the built server, as `npm start` does.
beforeAll(ensureBuilt, 60_000);

describe('graceful shutdown', () => {
  it('lets a slow request finish after SIGTERM, refuses new connections, then exits 0', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-shutdown-'));
    const port = await freePort();
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', OVERLOAD_LAG_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitForHealth(port, child);
      const origin = `http://127.0.0.1:${port}`;
      const body = JSON.stringify({ page: '/slow', name: 'Slow Reader', email: 'slow@example.com', body: 'Typed slowly over a bad line.' });
      // A client that sends half its body, then the rest after the signal: the request is in flight throughout.
      const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/sites/demo/comments', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin } },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 20));
        setTimeout(() => {
          child.kill('SIGTERM');
          setTimeout(async () => {
            // New connections are refused while the slow one is still open.
            const refused = await fetch(`${origin}/healthz`).then(() => false, () => true);
            expect(refused).toBe(true);
            req.end(body.slice(20));
          }, 400);
        }, 300);
      });
      const r = await response;
      expect(r.status).toBe(201);
      expect(JSON.parse(r.text).comment.author.name).toBe('Slow Reader');
      expect(await exited).toBe(0);
      expect(output).toContain('shutting down');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('graceful shutdown with live streams open', () => {
  it('ends open streams on SIGTERM and exits 0 at once, not after the grace period', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-shutdown-'));
    const port = await freePort();
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitForHealth(port, child);
      const streams = await Promise.all(
        [1, 2, 3].map(
          () =>
            new Promise<{ ended: Promise<void> }>((resolve, reject) => {
              http.get(`http://127.0.0.1:${port}/api/v1/sites/demo/stream?page=/`, (res) => {
                expect(res.statusCode).toBe(200);
                res.resume();
                resolve({ ended: new Promise((done) => res.on('close', () => done())) });
              }).on('error', reject);
            }),
        ),
      );
      const t0 = Date.now();
      child.kill('SIGTERM');
      await Promise.all(streams.map((s) => s.ended));
      expect(await exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('start-up', () => {
  function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [main], { env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  it('refuses to start on a database whose applied migration was changed, naming the file', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-tampered-'));
    try {
      const { openStore } = await import('../../src/store');
      const repos = openStore(path.join(dataDir, 'marginalia.db'));
      await repos.close();
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(path.join(dataDir, 'marginalia.db'));
      db.prepare(`UPDATE schema_migrations SET sha256 = 'tampered' WHERE name = '0001_init.sql'`).run();
      db.close();
      const { code, output } = await runMain({ PORT: String(await freePort()), DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(output).toContain('0001_init.sql');
      expect(output).not.toContain('Marginalia is listening');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops with one line naming a bad variable', async () => {
    const { code, output } = await runMain({ PORT: 'not-a-port', DATA_DIR: os.tmpdir() });
    expect(code).toBe(1);
    expect(output.trim()).toBe('Invalid configuration: PORT must be a port number');
  });
});
