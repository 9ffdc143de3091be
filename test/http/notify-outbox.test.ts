// The outbox: facts are journalled in the transaction of the change, fanned out once, and delivered with retries,
// exponential backoff with jitter, for 24 hours — all against a real HTTP receiver on loopback.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/receivers';
import { storedRow, storedRows } from '../helpers/notify';
import { retryDelay, DEFAULT_RETRY } from '../../src/domain/notify/worker';
import { newCommentId } from '../../src/domain/ids';

let server: TestServer;
let receiver: WebhookReceiver;
const retry = { baseDelayMs: 1000, maxDelayMs: 8000, giveUpAfterMs: 24 * 60 * 60_000 };

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  server = await startTestServer({ env: { LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: 'true' }, retry });
  await configure(server, {
    ...fastPosting,
    moderation: 'none',
    webhooks: [{ url: receiver.url, events: ['comment.created', 'comment.approved'], secret: 'a-secret-of-sixteen+' }],
  });
});
afterEach(async () => {
  await server.stop();
  await receiver.stop();
});

const outbox = () => storedRows(server, 'SELECT * FROM outbox ORDER BY id');
const journal = () => storedRows(server, 'SELECT * FROM notification_events');

describe('journal and outbox', () => {
  it('records a posted comment in the journal before anything is sent, then fans it out into one delivery per event', async () => {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() });
    expect(r.status).toBe(201);
    // Committed with the comment: a process that died now would still deliver it after a restart.
    expect(await journal()).toHaveLength(1);
    expect(JSON.parse((await journal())[0].payload)).toMatchObject({ type: 'created', commentId: r.body.comment.id, status: 'approved' });
    expect(receiver.requests).toHaveLength(0);

    const now = Date.now();
    expect(await server.notifier.runOnce(now)).toEqual({ fannedOut: 1, attempted: 2 });
    expect(await journal()).toHaveLength(0);
    expect(receiver.requests.map((q) => q.headers['marginalia-event']).sort()).toEqual(['comment.approved', 'comment.created']);
    expect((await outbox()).map((o) => o.state)).toEqual(['delivered', 'delivered']);
    // Running again sends nothing more.
    expect(await server.notifier.runOnce(now + 60_000)).toEqual({ fannedOut: 0, attempted: 0 });
    expect(receiver.requests).toHaveLength(2);
  });

  it('removes entries that lead to nothing together, and hears of a webhook added since at once', async () => {
    await configure(server, { webhooks: [{ url: receiver.url, events: ['comment.reported'], secret: 'a-secret-of-sixteen+' }] });
    for (const page of ['/a', '/b', '/c']) expect((await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page }) })).status).toBe(201);
    expect(await journal()).toHaveLength(3);
    expect(await server.notifier.runOnce(Date.now())).toEqual({ fannedOut: 3, attempted: 0 });
    expect(await journal()).toHaveLength(0);
    expect(await outbox()).toHaveLength(0);

    // The notifier keeps sites in memory too: the settings change reaches it before the next post is fanned out.
    await configure(server, { webhooks: [{ url: receiver.url, events: ['comment.created'], secret: 'a-secret-of-sixteen+' }] });
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/d' }) });
    expect(await server.notifier.runOnce(Date.now())).toEqual({ fannedOut: 1, attempted: 1 });
    expect(receiver.requests.map((q) => [q.headers['marginalia-event'], JSON.parse(q.body).comment.id])).toEqual([['comment.created', r.body.comment.id]]);
  });

  it('writes no journal entry when the change rolls back', async () => {
    const first = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/a' }) });
    await server.notifier.runOnce(Date.now());
    const c = (await server.repos.comments.get(first.body.comment.id))!;
    // A reply whose parent is on another page fails inside the store's transaction, after the page was upserted.
    await expect(
      server.repos.comments.insert({
        ...c,
        id: newCommentId(),
        page: { key: '/b', url: null, title: null },
        parentId: c.id,
        bodyHash: 'x',
        editTokenHash: 'y',
        notify: true,
      }),
    ).rejects.toThrow(/not found/);
    expect(await journal()).toHaveLength(0);
    expect(await storedRow(server, `SELECT count(*) AS n FROM pages WHERE key = '/b'`)).toEqual({ n: 0 });
  });

  it('retries a failed delivery with backoff, under the same delivery id, until the receiver takes it', async () => {
    await configure(server, { webhooks: [{ url: receiver.url, events: ['comment.created'], secret: 'a-secret-of-sixteen+' }] });
    receiver.respond = (n) => (n < 2 ? 503 : 204);
    await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() });
    const t0 = Date.now();
    await server.notifier.runOnce(t0);
    let row = (await outbox())[0];
    expect(row).toMatchObject({ state: 'pending', attempts: 1, last_status: 503, last_error: 'answered 503' });
    // First retry: between half and all of the base delay.
    expect(row.next_attempt_at - t0).toBeGreaterThanOrEqual(500);
    expect(row.next_attempt_at - t0).toBeLessThanOrEqual(1000);
    expect((await server.notifier.runOnce(row.next_attempt_at - 1)).attempted).toBe(0);

    const t1 = row.next_attempt_at;
    await server.notifier.runOnce(t1);
    row = (await outbox())[0];
    expect(row).toMatchObject({ state: 'pending', attempts: 2, last_status: 503 });
    // Second retry: the delay doubled (1–2 s).
    expect(row.next_attempt_at - t1).toBeGreaterThanOrEqual(1000);
    expect(row.next_attempt_at - t1).toBeLessThanOrEqual(2000);

    await server.notifier.runOnce(row.next_attempt_at);
    expect((await outbox())[0]).toMatchObject({ state: 'delivered', attempts: 3, last_status: 204 });
    const ids = new Set(receiver.requests.map((q) => q.headers['marginalia-delivery']));
    expect(receiver.requests).toHaveLength(3);
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^dlv_[0-9A-Z]{26}$/);
  });

  it('does not follow a redirect: a 3xx answer is a failure to retry', async () => {
    await configure(server, { webhooks: [{ url: receiver.url, events: ['comment.created'], secret: 'a-secret-of-sixteen+' }] });
    receiver.respond = () => 302;
    await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() });
    await server.notifier.runOnce(Date.now());
    expect(receiver.requests).toHaveLength(1);
    expect((await outbox())[0]).toMatchObject({ state: 'pending', last_status: 302 });
  });

  it('gives up after 24 hours of failures, with the default policy', async () => {
    const other = await startTestServer({ env: { LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      await configure(other, {
        ...fastPosting,
        webhooks: [{ url: receiver.url, events: ['comment.created'], secret: 'a-secret-of-sixteen+' }],
      });
      receiver.respond = () => 500;
      await call(other, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() });
      const row = async () => (await storedRow(other, 'SELECT * FROM outbox'))!;
      await other.notifier.runOnce(Date.now());
      const gaps: number[] = [];
      for (let i = 0; i < 200 && (await row()).state === 'pending'; i++) {
        const before = await row();
        gaps.push(before.next_attempt_at - before.last_attempt_at);
        await other.notifier.runOnce(before.next_attempt_at);
      }
      const last = await row();
      expect(last.state).toBe('failed');
      expect(last.last_error).toBe('answered 500; gave up after 24 h');
      // Exponential: each of the first gaps is at least the previous one's lower bound doubled, until the 2 h cap.
      expect(gaps[0]).toBeLessThanOrEqual(30_000);
      expect(gaps[5]).toBeGreaterThanOrEqual(15_000 * 2 ** 5);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(DEFAULT_RETRY.maxDelayMs);
      expect(last.last_attempt_at - last.created_at).toBeLessThanOrEqual(24 * 60 * 60_000);
      expect(last.last_attempt_at - last.created_at).toBeGreaterThan(20 * 60 * 60_000);
      expect(receiver.requests).toHaveLength(last.attempts);
    } finally {
      await other.stop();
    }
  });
});

describe('retryDelay', () => {
  it('doubles from the base delay up to the cap, with jitter between half and all of it', () => {
    expect(retryDelay(DEFAULT_RETRY, 1, () => 0)).toBe(15_000);
    expect(retryDelay(DEFAULT_RETRY, 1, () => 1)).toBe(30_000);
    expect(retryDelay(DEFAULT_RETRY, 3, () => 1)).toBe(120_000);
    expect(retryDelay(DEFAULT_RETRY, 30, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelay(DEFAULT_RETRY, 2)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
