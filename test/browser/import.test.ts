// The console's "Import & export" page in real Chromium: upload a Disqus export, watch progress and the summary,
// find the imported comments in the queue; a broken file says where and changes nothing; download the export.
import type { Browser, Page } from 'playwright-core';
import { buildAdmin, launchBrowser, openPage, watchCsp, cspViolations } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/api';
import { fixture, fixtureText } from '../helpers/imports';

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
  ({ page, close: closePage } = await openPage(browser, { acceptDownloads: true }));
  await watchCsp(page);
  await page.goto(server.baseUrl + '/admin');
  await page.fill('#token', server.ownerToken);
  await page.press('#token', 'Enter');
  await page.waitForSelector('[data-view="transfer"]');
  await page.click('[data-view="transfer"]');
  await page.waitForSelector('#import-file');
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

it('uploads a Disqus export, shows progress and the summary, and the comments are in the queue', async () => {
  await page.selectOption('#import-format', 'disqus');
  await page.setInputFiles('#import-file', fixture('disqus.xml'));
  await page.click('form button[type="submit"]');
  await page.waitForSelector('#import-summary', { timeout: 20_000 });
  expect(await page.locator('#import-progress').isVisible()).toBe(true);
  expect(await page.locator('#import-progress').getAttribute('value')).toBe('100');
  expect(await page.textContent('#import-status')).toBe('Done — 100%');
  expect(await page.textContent('#import-summary .big')).toBe('Imported 10 comments on 3 new pages.');
  expect(await page.textContent('#import-summary')).toContain('post 9009: its parent 8888 is not in the file');
  const r = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all&limit=50', { token: server.ownerToken });
  expect(r.body.items).toHaveLength(10);
  // The summary links to the queue, where the imported spam waits under its tab.
  await page.click('#import-summary a[href="#/queue"]');
  await page.locator('[data-status="spam"]').first().click();
  await page.waitForSelector('text=Cheap pills');
  expect(await page.locator('text=Spammer').count()).toBeGreaterThan(0);
  expect(await cspViolations(page)).toEqual([]);
});

it('a truncated file stops with where it broke, and nothing is imported', async () => {
  const text = fixtureText('disqus.xml');
  await page.setInputFiles('#import-file', { name: 'broken.xml', mimeType: 'application/xml', buffer: Buffer.from(text.slice(0, 4000)) });
  await page.click('form button[type="submit"]');
  await page.waitForSelector('#import-error', { timeout: 20_000 });
  expect(await page.textContent('#import-error')).toMatch(/^The import stopped and changed nothing: line \d+, column \d+: the XML is not well-formed/);
  const r = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all', { token: server.ownerToken });
  expect(r.body.items).toEqual([]);
});

it('downloads the export of the site', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
  expect(download.suggestedFilename()).toMatch(/^marginalia-demo-\d{4}-\d{2}-\d{2}\.json$/);
  const path = await download.path();
  const doc = JSON.parse(require('node:fs').readFileSync(path, 'utf8'));
  expect(doc).toMatchObject({ format: 'marginalia-export', version: 1, sites: [{ id: 'demo' }] });
});
