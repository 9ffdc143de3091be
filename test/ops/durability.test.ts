// Durability and shutdown of the built server under load: SIGKILL loses no acknowledged comment and leaves an intact
// file; SIGTERM drains without a 5xx or a lost acknowledged write and exits within the drain timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, freePort, main, waitForHealth } from '../helpers/process';
import { fastPosting } from '../helpers/api';

beforeAll(ensureBuilt, 60_000);

const DRAIN_TIMEOUT_MS = 10_000;

interface Running {
  child: ChildProcess;
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function startServer(dataDir: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  await waitForHealth(port, child);
  return { child, base: `http://127.0.0.1:${port}`, exited };
}

async function setUp(r: Running, dataDir: string) {
  const token = fs.readFileSync(path.join(dataDir, 'owner-token'), 'utf8').trim();
  const res = await fetch(`${r.base}/api/v1/sites/demo/settings`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, origin: r.base },
    body: JSON.stringify({ ...fastPosting, moderation: 'none' }),
  });
  expect(res.status).toBe(200);
}

/** Clients posting as fast as they can until told to stop; an id counts only once its 201 arrived. */
function posters(base: string, n: number) {
  let stop = false;
  const acknowledged: string[] = [];
  const serverErrors: string[] = [];
  let connectionErrors = 0;
  const loop = async (k: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const r = await fetch(`${base}/api/v1/sites/demo/comments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: base },
          body: JSON.stringify({ page: `/durable-${k}`, name: `Client ${k}`, email: `client${k}@example.com`, body: `Client ${k}, comment ${i}.` }),
        });
        const text = await r.text();
        if (r.status === 201) acknowledged.push(JSON.parse(text).comment.id);
        else if (r.status >= 500) serverErrors.push(`${r.status} ${text}`);
      } catch {
        // Refused or reset: never acknowledged, so nothing was promised.
        connectionErrors++;
        await new Promise((res) => setTimeout(res, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: n }, (_, k) => loop(k)));
  return {
    acknowledged,
    serverErrors,
    connectionErrors: () => connectionErrors,
    async stop() {
      stop = true;
      await done;
    },
  };
}

function storedIds(dataDir: string): { ids: Set<string>; integrity: unknown } {
  const db = new Database(path.join(dataDir, 'marginalia.db'), { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      ids: new Set((db.prepare('SELECT id FROM comments').all() as { id: string }[]).map((r) => r.id)),
    };
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('durability', () => {
  let dataDir: string;
  let running: Running | undefined;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-durable-'));
  });
  afterEach(() => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL while clients post: every acknowledged comment is there after restart and the file is intact', async () => {
    running = await startServer(dataDir);
    await setUp(running, dataDir);
    const load = posters(running.base, 8);
    await sleep(1500);
    running.child.kill('SIGKILL');
    const exit = await running.exited;
    await load.stop();
    expect(exit.signal).toBe('SIGKILL');
    expect(load.acknowledged.length).toBeGreaterThan(50);

    // The restart opens the file after the crash, as an operator's would.
    running = await startServer(dataDir);
    const { ids, integrity } = storedIds(dataDir);
    expect(integrity).toBe('ok');
    expect(load.acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    // And the restarted server shows them (a write committed just before its answer was lost may be there too).
    const pages = Array.from({ length: 8 }, (_, k) => `page=${encodeURIComponent(`/durable-${k}`)}`).join('&');
    const { counts } = (await (await fetch(`${running.base}/api/v1/sites/demo/counts?${pages}`)).json()) as { counts: Record<string, number> };
    expect(Object.values(counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(load.acknowledged.length);
    running.child.kill('SIGTERM');
    await running.exited;
  }, 30_000);

  it('SIGTERM under load: no 5xx, no lost acknowledged write, exit 0 within the drain timeout', async () => {
    running = await startServer(dataDir);
    await setUp(running, dataDir);
    const load = posters(running.base, 8);
    await sleep(1000);
    const signalledAt = Date.now();
    running.child.kill('SIGTERM');
    const exit = await running.exited;
    await load.stop();
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(DRAIN_TIMEOUT_MS);
    expect(load.serverErrors).toEqual([]);
    expect(load.acknowledged.length).toBeGreaterThan(50);
    // Clients went on trying after the signal and were turned away at the door, not answered with an error.
    expect(load.connectionErrors()).toBeGreaterThan(0);
    const { ids, integrity } = storedIds(dataDir);
    expect(integrity).toBe('ok');
    expect(load.acknowledged.filter((id) => !ids.has(id))).toEqual([]);
  }, 30_000);
});
