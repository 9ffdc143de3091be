// Webhooks against a real HTTP receiver on loopback: events as the SPEC lists them, the signature checked with the
// recipe from docs/notifications.md, no private data in payloads, the delivery log with "send again", and the SSRF guard.
import crypto from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { startWebhookReceiver, type WebhookReceiver, type WebhookRequest } from '../helpers/receivers';
import { approve, storedRows } from '../helpers/notify';
import { isPrivateAddress } from '../../src/outbound/webhook-client';
import { webhookEvents } from '../../src/domain/settings';

const SECRET = 'whsec-test-0123456789abcdef';
let server: TestServer;
let receiver: WebhookReceiver;

/** The receiver's check, exactly as docs/notifications.md gives it. */
function verify(rawBody: string, header: string, secret: string): boolean {
  const { t, v1 } = Object.fromEntries(header.split(',').map((kv) => kv.split('=')));
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false; // too old: a replay
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return v1.length === expected.length && crypto.timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
}

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  server = await startTestServer({ env: { LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: 'true' } });
  await configure(server, { ...fastPosting, moderation: 'all', webhooks: [{ url: receiver.url, events: [...webhookEvents], secret: SECRET }] });
});
afterEach(async () => {
  await server.stop();
  await receiver.stop();
});

const post = async (over: Record<string, unknown> = {}) => {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput(over) });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
  return r.body as { comment: { id: string }; editToken: string };
};
const events = () => receiver.requests.map((r) => r.headers['marginalia-event']);
async function drain(): Promise<WebhookRequest[]> {
  await server.notifier.runOnce();
  return receiver.requests;
}

describe('webhook deliveries', () => {
  it('signs each body so the receiver can verify it with the documented recipe; one delivery id per delivery', async () => {
    const { comment } = await post({ name: 'Ada', email: 'ada@example.com', website: 'https://ada.example' });
    const [req] = await drain();
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['marginalia-event']).toBe('comment.created');
    expect(req.headers['marginalia-delivery']).toMatch(/^dlv_[0-9A-Z]{26}$/);
    expect(req.headers['marginalia-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verify(req.body, String(req.headers['marginalia-signature']), SECRET)).toBe(true);
    expect(verify(req.body, String(req.headers['marginalia-signature']), 'another-secret-000000')).toBe(false);
    expect(verify(req.body.replace('Ada', 'Eve'), String(req.headers['marginalia-signature']), SECRET)).toBe(false);

    expect(req.json).toMatchObject({
      event: 'comment.created',
      site: 'demo',
      deliveryId: req.headers['marginalia-delivery'],
      comment: { id: comment.id, status: 'pending', author: { name: 'Ada', website: 'https://ada.example' }, page: { key: '/post' } },
    });
    // The SPEC's privacy rules: no e-mail (nor its hash), no IP, no user agent.
    expect(req.body).not.toContain('ada@example.com');
    expect(Object.keys(req.json.comment).sort()).toEqual(['author', 'createdAt', 'editedAt', 'html', 'id', 'page', 'parentId', 'status']);
    expect(Object.keys(req.json.comment.author).sort()).toEqual(['avatar', 'name', 'website']);
  });

  it('fires the events the SPEC lists: created, approved, status_changed, reported, edited, deleted; spam nothing until moved', async () => {
    await post({ hp: 'filled by a bot' }); // spam: nothing
    expect(await drain()).toHaveLength(0);

    const { comment, editToken } = await post();
    await drain();
    expect(events()).toEqual(['comment.created']);
    await approve(server, [comment.id]);
    await drain();
    expect(events().slice(1).sort()).toEqual(['comment.approved', 'comment.status_changed']);
    const changed = receiver.requests.find((r) => r.headers['marginalia-event'] === 'comment.status_changed')!;
    expect(changed.json).toMatchObject({ from: 'pending', to: 'approved', by: 'moderator' });

    receiver.requests.length = 0;
    expect((await call(server, 'POST', `/api/v1/comments/${comment.id}/reports`, { body: { reason: 'spam' } })).status).toBe(202);
    expect((await call(server, 'PATCH', `/api/v1/comments/${comment.id}`, { token: editToken, body: { body: 'Edited text' } })).status).toBe(200);
    await drain();
    // On a site that holds every comment, the edited text goes back to moderation: that is a status change too.
    expect(events().sort()).toEqual(['comment.edited', 'comment.reported', 'comment.status_changed']);
    expect(receiver.requests.find((r) => r.headers['marginalia-event'] === 'comment.reported')!.json.reason).toBe('spam');
    expect(receiver.requests.find((r) => r.headers['marginalia-event'] === 'comment.status_changed')!.json).toMatchObject({ from: 'approved', to: 'pending', by: 'system' });

    receiver.requests.length = 0;
    expect((await call(server, 'DELETE', `/api/v1/comments/${comment.id}`, { token: editToken })).status).toBe(204);
    await drain();
    expect(events().sort()).toEqual(['comment.deleted', 'comment.status_changed']);

    // A moderator moving a spam comment fires: it leaves spam.
    receiver.requests.length = 0;
    const q = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=spam', { token: server.ownerToken });
    await approve(server, [q.body.items[0].id], 'restore');
    await drain();
    expect(events()).toEqual(['comment.status_changed']);
    expect(receiver.requests[0].json).toMatchObject({ from: 'spam', to: 'pending' });
  });

  it('posts approved-at-once comments as created and approved; only the events a webhook names', async () => {
    await configure(server, { moderation: 'none', webhooks: [{ url: receiver.url, events: ['comment.approved'], secret: SECRET }] });
    await post();
    await drain();
    expect(events()).toEqual(['comment.approved']);
  });

  it('lists deliveries for owners with status, answer code, time and attempts; "send again" resends under the same id', async () => {
    receiver.respond = (n) => (n === 0 ? 500 : 200);
    await configure(server, { webhooks: [{ url: receiver.url, events: ['comment.created'], secret: SECRET }] });
    await post();
    await drain();
    const log = await call(server, 'GET', '/api/v1/sites/demo/deliveries', { token: server.ownerToken });
    expect(log.status).toBe(200);
    const [item] = log.body.items;
    expect(item).toMatchObject({ channel: 'webhook', event: 'comment.created', url: receiver.url, state: 'pending', attempts: 1, lastStatus: 500 });
    expect(Date.parse(item.lastAttemptAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(item.nextAttemptAt)).toBeGreaterThan(Date.parse(item.lastAttemptAt));

    // Not finished yet: "send again" is for a delivered or failed one.
    expect((await call(server, 'POST', `/api/v1/sites/demo/deliveries/${item.id}/resend`, { token: server.ownerToken })).status).toBe(404);
    await server.notifier.runOnce(Date.parse(item.nextAttemptAt));
    const again = await call(server, 'POST', `/api/v1/sites/demo/deliveries/${item.id}/resend`, { token: server.ownerToken });
    expect(again.status).toBe(202);
    expect(again.body.delivery).toMatchObject({ state: 'pending', deliveryId: item.deliveryId });
    await server.notifier.runOnce();
    expect(receiver.requests.map((r) => r.headers['marginalia-delivery'])).toEqual([item.deliveryId, item.deliveryId, item.deliveryId]);
    const after = await call(server, 'GET', '/api/v1/sites/demo/deliveries', { token: server.ownerToken });
    expect(after.body.items[0]).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200 });

    const mod = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'demo', label: 'm' } });
    expect((await call(server, 'GET', '/api/v1/sites/demo/deliveries', { token: mod.body.token })).status).toBe(403);
    expect((await call(server, 'GET', '/api/v1/sites/demo/deliveries')).status).toBe(401);
  });
});

describe('SSRF guard', () => {
  it('knows which addresses are private', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip'])
      expect([a, isPrivateAddress(a)]).toEqual([a, true]);
    for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect([a, isPrivateAddress(a)]).toEqual([a, false]);
  });

  it('refuses private and loopback targets in the settings with a 400 naming the url, unless WEBHOOK_ALLOW_PRIVATE', async () => {
    const strict = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
    try {
      for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://[::1]/x', 'http://10.0.0.8/x', 'http://169.254.169.254/latest', 'http://[::ffff:127.0.0.1]/x']) {
        const r = await call(strict, 'PATCH', '/api/v1/sites/demo/settings', {
          token: strict.ownerToken,
          body: { webhooks: [{ url: 'http://93.184.215.14/ok', events: ['comment.created'], secret: SECRET }, { url, events: ['comment.created'], secret: SECRET }] },
        });
        expect([url, r.status]).toEqual([url, 400]);
        expect(r.body.errors).toEqual([expect.objectContaining({ path: 'webhooks.1.url', code: 'not_allowed' })]);
      }
      const bad = await call(strict, 'PATCH', '/api/v1/sites/demo/settings', {
        token: strict.ownerToken,
        body: { webhooks: [{ url: 'ftp://example.com/x', events: ['comment.nope'], secret: 'short' }] },
      });
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['webhooks.0.events.0', 'webhooks.0.secret', 'webhooks.0.url']);
      expect((await call(strict, 'GET', '/api/v1/sites/demo/settings', { token: strict.ownerToken })).body.settings.webhooks).toEqual([]);
    } finally {
      await strict.stop();
    }
  });

  it('checks the resolved address again at send time (a name that now points inside), and does not retry', async () => {
    const strict = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
    try {
      await configure(strict, { ...fastPosting, moderation: 'none' });
      // As if each name had resolved to a public address when saved, and resolves to loopback now.
      const port = new URL(receiver.url).port;
      const site = (await strict.repos.sites.get('demo'))!;
      await strict.repos.sites.update('demo', {
        settings: {
          ...site.settings,
          webhooks: [
            { url: `http://localhost:${port}/hooks`, events: ['comment.created'], secret: SECRET },
            { url: `http://127.0.0.1:${port}/hooks`, events: ['comment.created'], secret: SECRET },
          ],
        },
      });
      await call(strict, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() });
      await strict.notifier.runOnce();
      expect(receiver.requests).toHaveLength(0);
      const rows = await storedRows(strict, 'SELECT target, state, attempts, last_error FROM outbox ORDER BY id');
      expect(rows).toEqual([
        { target: `http://localhost:${port}/hooks`, state: 'failed', attempts: 1, last_error: 'localhost resolves to a private or loopback address' },
        { target: `http://127.0.0.1:${port}/hooks`, state: 'failed', attempts: 1, last_error: '127.0.0.1 resolves to a private or loopback address' },
      ]);
    } finally {
      await strict.stop();
    }
  });
});
