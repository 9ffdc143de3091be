// The console's Notifications section in real Chromium: add a webhook (a private target refused beside its field),
// see its deliveries with their answer, send one again; moderators' mail addresses.
import type { Browser, Page } from 'playwright-core';
import { buildAdmin, launchBrowser, openPage, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/receivers';

jest.setTimeout(60_000);

let browser: Browser;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;
let receiver: WebhookReceiver;

beforeAll(async () => {
  buildAdmin();
  browser = await launchBrowser();
});
afterAll(() => browser.close());
beforeEach(async () => {
  receiver = await startWebhookReceiver();
  ({ page, rec, close: closePage } = await openPage(browser));
});
afterEach(async () => {
  await closePage();
  await receiver.stop();
});

async function signIn(server: TestServer): Promise<void> {
  await page.goto(server.baseUrl + '/admin');
  await page.fill('#token', server.ownerToken);
  await page.press('#token', 'Enter');
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications · demo' }).waitFor();
}

it('refuses a private webhook target beside the URL field', async () => {
  const server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  try {
    await signIn(server);
    await page.getByLabel('URL', { exact: true }).fill(receiver.url);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const error = page.locator('#err-url');
    await error.filter({ hasText: 'public address' }).waitFor();
    expect(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect((await call(server, 'GET', '/api/v1/sites/demo/settings', { token: server.ownerToken })).body.settings.webhooks).toEqual([]);
  } finally {
    await server.stop();
  }
});

it('adds a webhook, lists its deliveries with the answer code, and sends one again under the same id', async () => {
  const server = await startTestServer({ env: { LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: 'true' } });
  try {
    await configure(server, { ...fastPosting, moderation: 'none' });
    await signIn(server);
    expect(await page.getByText('No webhooks yet.').isVisible()).toBe(true);
    await page.getByLabel('URL', { exact: true }).fill(receiver.url);
    await page.getByLabel('comment.approved').uncheck();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByRole('button', { name: `Remove ${receiver.url}` }).waitFor();
    const hooks = (await call(server, 'GET', '/api/v1/sites/demo/settings', { token: server.ownerToken })).body.settings.webhooks;
    expect(hooks).toEqual([{ url: receiver.url, events: ['comment.created'], secret: expect.stringMatching(/^[0-9a-f]{64}$/) }]);

    await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() });
    await server.notifier.runOnce();
    expect(receiver.requests).toHaveLength(1);
    await page.reload();
    await page.getByRole('link', { name: 'Notifications' }).click();
    const row = page.locator(`tr[data-delivery="${receiver.requests[0].headers['marginalia-delivery']}"]`);
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual([expect.any(String), 'comment.created', receiver.url, 'delivered', '200', '1', 'Send again']);
    await row.getByRole('button', { name: 'Send again' }).click();
    await row.locator('td', { hasText: 'pending' }).waitFor();
    await server.notifier.runOnce();
    expect(receiver.requests.map((r) => r.headers['marginalia-delivery'])).toEqual([
      receiver.requests[0].headers['marginalia-delivery'],
      receiver.requests[0].headers['marginalia-delivery'],
    ]);

    await page.getByLabel('Addresses, one per line, each followed by pending, reported or all').fill('mod@example.com reported\nnot-an-address');
    await page.getByRole('button', { name: 'Save moderator mail' }).click();
    await page.locator('#err-notifications\\.moderators').filter({ hasText: 'Line 2' }).waitFor();
    await page.getByLabel('Addresses, one per line, each followed by pending, reported or all').fill('mod@example.com reported');
    await page.getByRole('button', { name: 'Save moderator mail' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).first().waitFor();
    const s = (await call(server, 'GET', '/api/v1/sites/demo/settings', { token: server.ownerToken })).body.settings;
    expect(s.notifications).toEqual({ moderators: [{ email: 'mod@example.com', on: 'reported' }], digestMinutes: 0 });
    expect(rec.errors).toEqual([]);
  } finally {
    await server.stop();
  }
});
