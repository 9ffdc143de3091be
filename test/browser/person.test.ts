// The console's Person panel in real Chromium: opened from a queue item's author, it lists the person's comments on
// the site, downloads their export, erases them after a confirmation; keyboard in and out, focus back where it was.
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { buildAdmin, launchBrowser, openPage, watchCsp, cspViolations, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';
import { createToken } from '../helpers/moderation';

jest.setTimeout(45_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;

const EMAIL = 'pat.person@example.org';

beforeAll(async () => {
  buildAdmin();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(server, { ...fastPosting, moderation: 'all' });
  ({ page, rec, close: closePage } = await openPage(browser, { acceptDownloads: true }));
  await watchCsp(page);
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

async function post(body: Record<string, unknown>): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/post', ...body } });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
  return r.body.comment.id;
}
async function moderate(action: string, ids: string[]): Promise<void> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action, ids } });
  expect(r.status).toBe(200);
}

/** Pat's three comments (approved with a reply by Quinn, spam, pending) and one pending comment by someone else. */
async function seed() {
  const approved = await post({ page: '/garden', name: 'Pat', email: EMAIL, body: 'Tulips first, then the roses.' });
  await moderate('approve', [approved]);
  const reply = await post({ page: '/garden', parentId: approved, name: 'Quinn', email: 'quinn@example.com', body: 'Roses need the sun.' });
  await moderate('approve', [reply]);
  const spam = await post({ page: '/post', name: 'Pat', email: EMAIL.toUpperCase(), body: 'Buy my seeds, cheap.' });
  await moderate('spam', [spam]);
  const pending = await post({ page: '/post', name: 'Pat', email: EMAIL, body: 'A pending thought about compost.' });
  const other = await post({ page: '/post', name: 'Robin', email: 'robin@example.com', body: 'Robin waits too.' });
  return { approved, reply, spam, pending, other };
}

async function signIn(secret = server.ownerToken): Promise<void> {
  await page.goto(server.baseUrl + '/admin');
  await page.fill('#token', secret);
  await page.press('#token', 'Enter');
  await page.waitForSelector('.item.focused');
}

const panel = () => page.locator('.person-overlay[role=dialog]');
const listed = () => panel().locator('.person-comment').evaluateAll((els) => els.map((e) => (e as any).dataset.id as string));

it("opens from a queue item's author, lists the person's comments, exports them, erases them and leaves placeholders", async () => {
  const s = await seed();
  await signIn();
  const item = page.locator(`.item[data-id="${s.pending}"]`);
  await item.locator('button.person-open').click();
  await panel().locator('.person-comment').nth(2).waitFor();
  expect(await panel().locator('#person-title').textContent()).toBe('Person: Pat');
  expect(await panel().locator('.person-email').textContent()).toBe(EMAIL);
  expect(await listed()).toEqual([s.pending, s.spam, s.approved]);
  expect(await panel().locator('.person-comment .status').allTextContents()).toEqual(['pending', 'spam', 'approved']);
  expect(await panel().locator('.person-comment .person-meta').allTextContents()).toEqual([
    expect.stringContaining('/post'),
    expect.stringContaining('/post'),
    expect.stringContaining('/garden'),
  ]);
  expect(await panel().locator('.person-count').textContent()).toBe('3 comments on this site, newest first.');
  expect(await panel().textContent()).not.toContain('Robin');
  expect(await panel().textContent()).not.toContain('Roses need the sun');

  // The export: a file with the person's comments and their e-mail in clear.
  const [download] = await Promise.all([page.waitForEvent('download'), panel().locator('#person-export').click()]);
  expect(download.suggestedFilename()).toMatch(/^marginalia-demo-person-\d{4}-\d{2}-\d{2}\.json$/);
  const doc = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
  expect(doc).toMatchObject({ format: 'marginalia-person', version: 1, site: { id: 'demo' }, person: { email: EMAIL, names: ['Pat'] } });
  expect(doc.comments.map((c: any) => [c.id, c.status, c.body])).toEqual([
    [s.pending, 'pending', 'A pending thought about compost.'],
    [s.spam, 'spam', 'Buy my seeds, cheap.'],
    [s.approved, 'approved', 'Tulips first, then the roses.'],
  ]);
  expect(doc.comments[1].author.email).toBe(EMAIL.toUpperCase());

  // Erase: nothing happens until the confirmation.
  await panel().locator('#person-erase').click();
  await panel().locator('#person-confirm-text', { hasText: `Erase every comment of ${EMAIL} on this site for good?` }).waitFor();
  await panel().locator('#person-erase-cancel').click();
  expect(await panel().locator('#person-erase-confirm').count()).toBe(0);
  await panel().locator('#person-erase').click();
  await panel().locator('#person-erase-confirm').click();
  await panel().locator('.person-status', { hasText: 'Erased 3 comments.' }).waitFor();
  expect(await panel().locator('.person-comment').count()).toBe(0);

  // Closed, the queue shows what is left: Pat's pending comment is gone from Pending, Robin's stays.
  await page.keyboard.press('Escape');
  await panel().waitFor({ state: 'detached' });
  await page.waitForSelector(`.item[data-id="${s.other}"]`);
  await page.locator(`.item[data-id="${s.pending}"]`).waitFor({ state: 'detached' });
  // Deleted lists the three as placeholders: no name, e-mail or text, and no Person button.
  await page.click('.status-tabs [data-status=deleted]');
  await page.locator('.item .author.erased').nth(2).waitFor();
  const placeholders = page.locator('.item');
  expect((await placeholders.evaluateAll((els) => els.map((e) => (e as any).dataset.id as string))).sort()).toEqual([s.pending, s.spam, s.approved].sort());
  expect(await placeholders.locator('.placeholder').count()).toBe(3);
  expect(await placeholders.locator('button.person-open').count()).toBe(0);
  expect(await page.locator('main').textContent()).not.toMatch(/Pat|compost|Tulips|pat\.person/i);
  // Quinn's reply is still approved, under its erased parent.
  await page.click('.status-tabs [data-status=approved]');
  await page.locator(`.item[data-id="${s.reply}"] .parent`, { hasText: 'Reply to an erased comment' }).waitFor();

  const r = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all&limit=200', { token: server.ownerToken });
  expect(r.text).not.toContain(EMAIL);
  expect(rec.errors).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

it('is reached and left from the keyboard, with focus back where it came from', async () => {
  const s = await seed();
  await signIn();
  // The first pending item (newest first) is Robin's; j moves to Pat's.
  await page.keyboard.press('j');
  await page.waitForSelector(`.item.focused[data-id="${s.pending}"]`);
  await page.keyboard.press('p');
  await panel().locator('.person-comment').nth(2).waitFor();
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('person-close');
  // Tab stays inside the panel, and queue keys do nothing while it is open.
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!(globalThis as any).document.activeElement.closest('.person-panel'))).toBe(true);
  }
  await page.keyboard.press('a');
  await page.keyboard.press('Escape');
  await panel().waitFor({ state: 'detached' });
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.dataset.id)).toBe(s.pending);
  // Nothing was approved by the `a` pressed inside the panel.
  const r = await call(server, 'GET', `/api/v1/sites/demo/moderation/comments?status=pending`, { token: server.ownerToken });
  expect(r.body.items.map((i: any) => i.id)).toContain(s.pending);

  // From the author button with Enter: Escape brings the focus back to that button.
  await page.locator(`.item[data-id="${s.other}"] button.person-open`).focus();
  await page.keyboard.press('Enter');
  await panel().locator('.person-comment').first().waitFor();
  expect(await listed()).toEqual([s.other]);
  await page.keyboard.press('Escape');
  await panel().waitFor({ state: 'detached' });
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.classList.contains('person-open'))).toBe(true);
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.closest('.item').dataset.id)).toBe(s.other);

  // The author of the parent a reply quotes opens too.
  await page.click('.status-tabs [data-status=approved]');
  await page.locator(`.item[data-id="${s.reply}"] .parent button.person-open`).click();
  await panel().locator('.person-comment').nth(2).waitFor();
  expect(await listed()).toEqual([s.pending, s.spam, s.approved]);
});

it('lets a moderator see and export a person, and leaves erasing to owners', async () => {
  const s = await seed();
  const mod = await createToken(server, { role: 'moderator', site: 'demo', label: 'desk' });
  await signIn(mod.secret);
  await page.locator(`.item[data-id="${s.pending}"] button.person-open`).click();
  await panel().locator('.person-comment').nth(2).waitFor();
  expect(await panel().locator('#person-erase').count()).toBe(0);
  await panel().getByText('Erasing a person needs an owner token.').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), panel().locator('#person-export').click()]);
  const doc = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
  expect(doc.comments).toHaveLength(3);
  // The export was audited under the moderator's token, without the person's data.
  const log = await call(server, 'GET', '/api/v1/sites/demo/moderation/log', { token: server.ownerToken });
  const row = log.body.items.find((a: any) => a.action === 'export');
  expect(row).toMatchObject({ commentId: s.pending, actor: { type: 'token', id: mod.id, label: 'desk' } });
  expect(JSON.stringify(row)).not.toMatch(/pat/i);
});

it('pages a long list on with Load more', async () => {
  const first = await post({ name: 'Sam', email: 'sam@example.com', body: 'Comment 0 of many.' });
  for (let i = 1; i <= 100; i++) await post({ name: 'Sam', email: 'sam@example.com', body: `Comment ${i} of many.` });
  await signIn();
  await page.locator('.item[data-index="0"] button.person-open').click();
  await panel().locator('.person-comment').nth(99).waitFor();
  expect(await panel().locator('.person-comment').count()).toBe(100);
  expect(await panel().locator('.person-count').textContent()).toBe('The newest 100 comments on this site; more below.');
  await panel().locator('#person-more').click();
  await panel().locator('.person-count', { hasText: '101 comments on this site, newest first.' }).waitFor();
  expect((await listed()).slice(-1)).toEqual([first]);
  expect(await panel().locator('#person-more').isHidden()).toBe(true);
});
