// Two server processes on one PostgreSQL schema and one Redis prefix, as replicas behind a load balancer would run.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureBuilt, freePort, main, waitForHealth } from '../helpers/process';
import { freshSchema, testRedisUrl, type TestSchema } from '../helpers/stores';
import { call } from '../helpers/api';
import { openStream } from '../helpers/sse';
import { startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/receivers';

interface Replica {
  baseUrl: string;
  child: ChildProcess;
  dataDir: string;
  output: string[];
}

let schema: TestSchema;
let prefix: string;
let a: Replica;
let b: Replica;
let ownerToken: string;
let smtp: SmtpReceiver;
let hooks: WebhookReceiver;
const secret = crypto.randomBytes(32).toString('base64');

async function startReplica(): Promise<Replica> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-replica-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    // One public address for both, as behind one load balancer: the demo site accepts writes from it.
    PUBLIC_URL: 'http://127.0.0.1:1',
    SECRET_KEY: secret,
    DATABASE_URL: schema.url,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'info',
    OVERLOAD_LAG_MS: '0',
    // Behind the load balancer: each test's reader has an address of its own.
    TRUST_PROXY: 'true',
    // Both run the outbox worker, sending to the receivers on loopback.
    SMTP_URL: smtp.url,
    WEBHOOK_ALLOW_PRIVATE: 'true',
  };
  const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  await waitForHealth(port, child);
  return { baseUrl: `http://127.0.0.1:${port}`, child, dataDir, output };
}

async function stopReplica(r: Replica): Promise<void> {
  if (r.child.exitCode === null) {
    const exited = new Promise((resolve) => r.child.once('exit', resolve));
    r.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(r.dataDir, { recursive: true, force: true });
}

const origin = 'http://127.0.0.1:1';
const settings = (r: Replica, body: Record<string, unknown>) =>
  call(r, 'PATCH', '/api/v1/sites/demo/settings', { token: ownerToken, body, origin });
const postVia = (r: Replica, n: number, over: Record<string, unknown> = {}, from = '192.0.2.1') =>
  call(r, 'POST', '/api/v1/sites/demo/comments', {
    origin,
    headers: { 'x-forwarded-for': from },
    body: { page: '/shared', name: `Reader ${n}`, email: `r${n}@example.com`, body: `Comment ${n}`, ...over },
  });
const thread = (r: Replica) => call(r, 'GET', '/api/v1/sites/demo/comments?page=%2Fshared');

beforeAll(async () => {
  ensureBuilt();
  schema = await freshSchema();
  prefix = `marginalia-test-${crypto.randomBytes(6).toString('hex')}:`;
  // Slow answers keep deliveries in flight while the other replica's worker looks for due ones.
  smtp = await startSmtpReceiver({ delayMs: 50 });
  hooks = await startWebhookReceiver({ delayMs: 50 });
  // The first start creates the demo site and the owner token; the second finds them.
  a = await startReplica();
  b = await startReplica();
  ownerToken = fs.readFileSync(path.join(a.dataDir, 'owner-token'), 'utf8').trim();
  expect(fs.existsSync(path.join(b.dataDir, 'owner-token'))).toBe(false);
}, 60_000);

afterAll(async () => {
  await Promise.all([a && stopReplica(a), b && stopReplica(b)]);
  await Promise.all([smtp?.stop(), hooks?.stop()]);
  const redis = new Redis(testRedisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await schema.drop();
});

describe('two replicas on one PostgreSQL and one Redis', () => {
  it('each says at start which store and which shared state it uses', () => {
    for (const r of [a, b]) {
      const line = r.output.join('').split('\n').find((l) => l.includes('store opened'));
      expect(JSON.parse(line!)).toMatchObject({ store: 'postgres', sharedState: 'redis', location: expect.stringContaining('127.0.0.1:5432/') });
      expect(line).not.toMatch(/search_path|password/);
    }
  });

  it('is ready on both (the schema reads) and reports no SQLite file size', async () => {
    for (const r of [a, b]) {
      expect((await call(r, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
      const metrics = await call(r, 'GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('marginalia_comments');
      expect(metrics.text).not.toContain('marginalia_database_bytes');
    }
  });

  // First, while the address has posted nothing yet this minute.
  it('refuses the sixth post in a minute from one address although the posts alternate between replicas', async () => {
    const limits = { postsPerMinute: 5, reportsPerHour: 10, readsPerMinute: 10_000, moderationPerMinute: 10_000 };
    expect((await settings(a, { moderation: 'none', minSubmitSeconds: 0, floodSeconds: 0, rateLimits: limits })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postVia(i % 2 ? b : a, 100 + i, { page: '/limits' })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    // The next post through A is refused too: one counter for both.
    expect((await postVia(a, 200, { page: '/limits' })).status).toBe(429);
  });

  it("serves a comment approved through replica A in replica B's very next thread read, though B had the thread cached", async () => {
    const limits = { postsPerMinute: 10_000, reportsPerHour: 10, readsPerMinute: 10_000, moderationPerMinute: 10_000 };
    expect((await settings(a, { moderation: 'all', minSubmitSeconds: 0, floodSeconds: 0, rateLimits: limits })).status).toBe(200);
    const posted = await postVia(a, 1);
    expect(posted.status).toBe(201);
    expect(posted.body.status).toBe('pending');
    // B answers the thread twice (the second from its cache): nothing public yet.
    const before = await thread(b);
    expect(before.body.comments).toEqual([]);
    const etag = before.headers.get('etag')!;
    expect((await call(b, 'GET', '/api/v1/sites/demo/comments?page=%2Fshared', { headers: { 'if-none-match': etag } })).status).toBe(304);

    const approved = await call(a, 'POST', '/api/v1/sites/demo/moderation/actions', { token: ownerToken, origin, body: { action: 'approve', ids: [posted.body.comment.id] } });
    expect(approved.body.results[0]).toMatchObject({ ok: true });
    const after = await thread(b);
    expect(after.body.comments.map((c: { id: string }) => c.id)).toEqual([posted.body.comment.id]);
    expect(after.headers.get('etag')).not.toBe(etag);

    // B now answers from its cache, not the database: a change made behind the service's back does not show.
    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    await db.query(`UPDATE comments SET body_html = '<p>changed behind the back</p>' WHERE id = $1`, [posted.body.comment.id]);
    await db.end();
    expect((await thread(b)).text).toBe(after.text);
  });

  it('applies a settings change made through A to the next post through B', async () => {
    expect((await settings(a, { moderation: 'all' })).status).toBe(200);
    expect((await postVia(b, 2)).body.status).toBe('pending');
    expect((await settings(a, { moderation: 'none' })).status).toBe(200);
    expect((await postVia(b, 3)).body.status).toBe('approved');
  });

  it('refuses one of two posts sent to both replicas at once from one address within the flood window', async () => {
    const limits = { postsPerMinute: 10_000, reportsPerHour: 10, readsPerMinute: 10_000, moderationPerMinute: 10_000 };
    expect((await settings(a, { floodSeconds: 10, rateLimits: limits })).status).toBe(200);
    const [x, y] = await Promise.all([postVia(a, 300, { page: '/flood' }, '198.51.100.7'), postVia(b, 301, { page: '/flood' }, '198.51.100.7')]);
    expect([x.status, y.status].sort()).toEqual([201, 429]);
  });

  it('refuses a double submit sent to both replicas at once', async () => {
    expect((await settings(a, { floodSeconds: 0 })).status).toBe(200);
    const same = { page: '/twice', body: 'Clicked on two replicas' };
    const [x, y] = await Promise.all([postVia(a, 400, same, '198.51.100.8'), postVia(b, 400, same, '198.51.100.9')]);
    expect([x.status, y.status].sort()).toEqual([201, 409]);
  });

  it('sends each queued webhook and mail exactly once although both replicas run workers', async () => {
    const limits = { postsPerMinute: 10_000, reportsPerHour: 10, readsPerMinute: 10_000, moderationPerMinute: 10_000 };
    const hook = { url: hooks.url, events: ['comment.approved'], secret: 'replica-test-secret-0123' };
    // The earlier tests' comments are fanned out first: an entry still in the journal when the webhook is added
    // would be sent to it (a fan-out reads the site's settings as they are then).
    const journal = new pg.Client({ connectionString: schema.url });
    await journal.connect();
    try {
      for (let i = 0; i < 100 && (await journal.query('SELECT count(*)::int AS n FROM notification_events')).rows[0].n > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      await journal.end();
    }
    expect((await settings(a, { moderation: 'all', floodSeconds: 0, rateLimits: limits, webhooks: [hook] })).status).toBe(200);
    const COMMENTS = 60;
    const MAILS = 20;
    const ids: string[] = [];
    for (let i = 0; i < COMMENTS; i++) {
      // Alternating replicas, each post waking both workers (its own, and the other's through Redis); the first 20
      // readers ask for reply mail, so each is sent one confirmation.
      const r = await postVia(i % 2 ? b : a, 500 + i, { page: '/outbox', notify: i < MAILS }, '203.0.113.50');
      expect(r.status).toBe(201);
      ids.push(r.body.comment.id);
    }
    // One action approves them all: every webhook is due at once, and both workers go for them.
    const approved = await call(a, 'POST', '/api/v1/sites/demo/moderation/actions', { token: ownerToken, origin, body: { action: 'approve', ids } });
    expect(approved.body.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
    await hooks.waitFor(COMMENTS, 30_000);
    await smtp.waitFor(MAILS, 30_000);
    // Time for a second send, were one coming: both workers poll at least every 5 s.
    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    try {
      for (let i = 0; i < 100; i++) {
        const left = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE state <> 'delivered'`);
        const events = await db.query('SELECT count(*)::int AS n FROM notification_events');
        if (left.rows[0].n === 0 && events.rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 6000));
      const states = await db.query(`SELECT channel, state, attempts::int AS attempts, count(*)::int AS n FROM outbox GROUP BY 1, 2, 3 ORDER BY 1`);
      expect(states.rows).toEqual([
        { channel: 'mail', state: 'delivered', attempts: 1, n: MAILS },
        { channel: 'webhook', state: 'delivered', attempts: 1, n: COMMENTS },
      ]);
    } finally {
      await db.end();
    }
    // At the receivers: one request per comment, one mail per address, nothing twice.
    expect(hooks.requests).toHaveLength(COMMENTS);
    expect(hooks.requests.map((r) => r.json.comment.id).sort()).toEqual([...ids].sort());
    expect(new Set(hooks.requests.map((r) => r.headers['marginalia-delivery'])).size).toBe(COMMENTS);
    expect(smtp.mails).toHaveLength(MAILS);
    expect(smtp.mails.map((m) => m.to[0]).sort()).toEqual(Array.from({ length: MAILS }, (_, i) => `r${500 + i}@example.com`).sort());
  }, 60_000);

  it('delivers a live update made through replica A to a stream open on replica B', async () => {
    expect((await settings(a, { moderation: 'all', webhooks: [] })).status).toBe(200);
    const onB = await openStream(`${b.baseUrl}/api/v1/sites/demo/stream?page=%2Flive`, { 'x-forwarded-for': '203.0.113.60' });
    try {
      expect(onB.status).toBe(200);
      const posted = await postVia(a, 600, { page: '/live', body: 'Approved on A, seen on B' }, '203.0.113.61');
      expect(posted.body.status).toBe('pending');
      const approved = await call(a, 'POST', '/api/v1/sites/demo/moderation/actions', {
        token: ownerToken,
        origin,
        body: { action: 'approve', ids: [posted.body.comment.id] },
      });
      expect(approved.body.results[0]).toMatchObject({ ok: true });
      const [event] = await onB.waitFor(1, 10_000);
      expect(event.event).toBe('comment');
      expect(JSON.parse(event.data)).toMatchObject({ id: posted.body.comment.id, html: expect.stringContaining('Approved on A, seen on B') });
      // Nothing was published while it was pending: the approval is the first and only event.
      expect(onB.events).toHaveLength(1);
    } finally {
      onB.close();
    }
  });
});
