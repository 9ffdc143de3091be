// The console in real Chromium: vote totals and the featured state on each item, `f` to feature, the Featured tab.
import type { Browser, Page } from 'playwright-core';
import { buildAdmin, launchBrowser, openPage } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { auditLog } from '../helpers/moderation';

jest.setTimeout(60_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let closePage: () => Promise<void>;
beforeAll(async () => {
  buildAdmin();
  browser = await launchBrowser();
});
afterAll(() => browser.close());
beforeEach(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(server, { ...fastPosting, moderation: 'none', votes: 'updown' });
  ({ page, close: closePage } = await openPage(browser));
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('f features the focused comment, the Featured tab lists it, and each item shows its vote totals', async () => {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ body: 'Feature me.' }) });
  const id = r.body.comment.id;
  await call(server, 'POST', `/api/v1/comments/${id}/votes`, { body: { value: 1 }, headers: { 'marginalia-voter': 'console-voter-key-0001' } });
  await call(server, 'POST', `/api/v1/comments/${id}/votes`, { body: { value: -1 }, headers: { 'marginalia-voter': 'console-voter-key-0002' } });
  await page.goto(server.baseUrl + '/admin');
  await page.fill('#token', server.ownerToken);
  await page.press('#token', 'Enter');
  await page.waitForSelector('.status-tabs');
  await page.click('.status-tabs [data-status="approved"]');
  const item = page.locator(`.item[data-id="${id}"]`);
  await item.waitFor();
  expect(await item.locator('.votes').textContent()).toBe('▲ 1 ▼ 1');
  expect(await item.locator('.badge.featured').count()).toBe(0);
  await item.focus();
  await page.keyboard.press('f');
  await item.locator('.badge.featured').waitFor();
  expect(await item.getByRole('button', { name: 'Unfeature' }).count()).toBe(1);
  // Sent after the undo delay; then it is in the audit log and the public list.
  await until(async () => (await call(server, 'GET', '/api/v1/sites/demo/featured')).body.comments.length === 1, 'the feature to be saved');
  expect((await auditLog(server)).map((e) => e.action)).toContain('feature');
  await page.click('.status-tabs [data-status="featured"]');
  await page.locator(`.item[data-id="${id}"] .badge.featured`).waitFor();
  expect(await page.locator('.list .item').count()).toBe(1);
});
