// The outbox survives SIGKILL: the built server is killed while 200 webhook deliveries and 50 mails wait; after a
// restart every one arrives, each under one delivery id (no item made twice), against real receivers on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, freePort, main, waitForHealth } from '../helpers/process';
import { startSmtpReceiver, startWebhookReceiver } from '../helpers/receivers';

beforeAll(ensureBuilt, 60_000);

const WEBHOOKS = 200;
const MAILS = 50;

function startServer(port: number, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

it('delivers every committed webhook and mail after a SIGKILL and a restart, each under one delivery id', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-crash-'));
  // Slow receivers keep deliveries waiting, and some in flight, when the process dies.
  const hooks = await startWebhookReceiver({ delayMs: 300 });
  const smtp = await startSmtpReceiver({ delayMs: 300 });
  const port = await freePort();
  const env = { DATA_DIR: dataDir, SMTP_URL: smtp.url, WEBHOOK_ALLOW_PRIVATE: 'true', PUBLIC_URL: `http://127.0.0.1:${port}` };
  let child = startServer(port, env);
  try {
    await waitForHealth(port, child);
    const base = `http://127.0.0.1:${port}`;
    const owner = fs.readFileSync(path.join(dataDir, 'owner-token'), 'utf8').trim();
    const settings = await fetch(`${base}/api/v1/sites/demo/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}` },
      body: JSON.stringify({
        moderation: 'none',
        minSubmitSeconds: 0,
        floodSeconds: 0,
        rateLimits: { postsPerMinute: 100_000 },
        webhooks: [{ url: hooks.url, events: ['comment.created'], secret: 'crash-test-secret-0123' }],
      }),
    });
    expect(settings.status).toBe(200);

    const ids: string[] = [];
    for (let i = 0; i < WEBHOOKS; i++) {
      // The first 50 readers ask for reply mail: each gets one confirmation mail.
      const r = await fetch(`${base}/api/v1/sites/demo/comments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base },
        body: JSON.stringify({ page: '/crash', name: `Reader ${i}`, email: `reader${i}@example.com`, body: `Comment ${i}`, notify: i < MAILS }),
      });
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { comment: { id: string } }).comment.id);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const db = new Database(path.join(dataDir, 'marginalia.db'), { readonly: true });
    const waiting =
      (db.prepare(`SELECT count(*) AS n FROM outbox WHERE state <> 'delivered'`).get() as { n: number }).n +
      (db.prepare('SELECT count(*) AS n FROM notification_events').get() as { n: number }).n;
    db.close();
    // The kill came while most of the work was still to do.
    expect(waiting).toBeGreaterThan(100);
    const beforeRestart = { hooks: hooks.requests.length, mails: smtp.mails.length };
    expect(beforeRestart.hooks).toBeLessThan(WEBHOOKS);

    child = startServer(port, env);
    await waitForHealth(port, child);
    const distinct = (values: (string | undefined)[]) => new Set(values).size;
    for (let i = 0; i < 300; i++) {
      const h = distinct(hooks.requests.map((r) => String(r.headers['marginalia-delivery'])));
      const m = distinct(smtp.mails.map((m2) => m2.header('x-marginalia-delivery')));
      if (h >= WEBHOOKS && m >= MAILS) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    // Every comment's webhook arrived, each under exactly one delivery id.
    const byComment = new Map<string, Set<string>>();
    for (const r of hooks.requests) {
      const set = byComment.get(r.json.comment.id) ?? new Set();
      set.add(String(r.headers['marginalia-delivery']));
      byComment.set(r.json.comment.id, set);
    }
    expect([...byComment.keys()].sort()).toEqual([...ids].sort());
    expect([...byComment.values()].every((s) => s.size === 1)).toBe(true);
    // Every confirmation mail arrived, one delivery id per address.
    const byAddress = new Map<string, Set<string>>();
    for (const m of smtp.mails) {
      const set = byAddress.get(m.to[0]) ?? new Set();
      set.add(m.header('x-marginalia-delivery')!);
      byAddress.set(m.to[0], set);
    }
    expect([...byAddress.keys()].sort()).toEqual(Array.from({ length: MAILS }, (_, i) => `reader${i}@example.com`).sort());
    expect([...byAddress.values()].every((s) => s.size === 1)).toBe(true);
    // A receipt twice under one id can only be one that was in flight at the kill (at most the worker's 16 at once).
    const repeats = hooks.requests.length - WEBHOOKS + smtp.mails.length - MAILS;
    expect(repeats).toBeGreaterThanOrEqual(0);
    expect(repeats).toBeLessThanOrEqual(16);
    process.stdout.write(`crash test: ${waiting} waiting at the kill; ${repeats} receipt(s) repeated under the same delivery id\n`);

    // …and the outbox records each as delivered once the receivers' slow answers are in.
    const after = new Database(path.join(dataDir, 'marginalia.db'), { readonly: true });
    const states = () => after.prepare(`SELECT state, count(*) AS n FROM outbox GROUP BY state`).all();
    for (let i = 0; i < 50 && JSON.stringify(states()) !== JSON.stringify([{ state: 'delivered', n: WEBHOOKS + MAILS }]); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(states()).toEqual([{ state: 'delivered', n: WEBHOOKS + MAILS }]);
    after.close();
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await hooks.stop();
    await smtp.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
