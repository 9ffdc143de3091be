// Notifications in real Chromium: the widget's opt-in through to the confirmation page, and the "My comments" page
// (delete one, download JSON), with mail delivered to a real SMTP server on loopback.
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { buildEmbed, launchBrowser, openPage } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/receivers';
import { linkTo, local } from '../helpers/notify';

jest.setTimeout(60_000);

let browser: Browser;
let server: TestServer;
let smtp: SmtpReceiver;

beforeAll(async () => {
  buildEmbed();
  browser = await launchBrowser();
});
afterAll(() => browser.close());
beforeEach(async () => {
  smtp = await startSmtpReceiver();
  server = await startTestServer({ env: { LOG_LEVEL: 'warn', SMTP_URL: smtp.url, PUBLIC_URL: 'https://comments.example' } });
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(async () => {
  await server.stop();
  await smtp.stop();
});

it('opts in from the widget: the box is there when mail is on, the post asks, the mailed page confirms', async () => {
  const { page, rec, close } = await openPage(browser);
  try {
    await page.goto(server.baseUrl + '/');
    const w = page.locator('#comments');
    const notify = w.getByRole('checkbox', { name: 'Notify me of replies by email' });
    await notify.waitFor({ state: 'visible' });
    expect(await notify.isChecked()).toBe(false);
    await w.getByRole('textbox', { name: 'Comment', exact: true }).fill('Tell me when someone answers.');
    await w.getByRole('textbox', { name: 'Name', exact: true }).fill('Ada');
    await w.getByRole('textbox', { name: 'Email', exact: true }).fill('ada@example.com');
    await notify.check();
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/sites/demo/comments'));
    await w.getByRole('button', { name: 'Post Comment' }).click();
    expect((await posted).postDataJSON()).toMatchObject({ notify: true, email: 'ada@example.com' });
    await w.getByText('Tell me when someone answers.').first().waitFor();

    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    await page.goto(local(server, linkTo(mail, '/notify/confirm')[0]));
    expect(await page.locator('h1').textContent()).toBe('Confirm reply notifications');
    await page.getByRole('button', { name: 'Yes, confirm my address' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Your address is confirmed');
    expect(rec.errors).toEqual([]);
    expect(rec.consoleErrors).toEqual([]);
  } finally {
    await close();
  }
});

it('hides the mail features when the service sends no mail', async () => {
  const plain = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  const { page, close } = await openPage(browser);
  try {
    const answered = page.waitForResponse((r) => r.url().endsWith('/sites/demo/notifications'));
    await page.goto(plain.baseUrl + '/');
    const w = page.locator('#comments');
    await w.getByRole('button', { name: 'Post Comment' }).waitFor();
    expect(await (await answered).json()).toEqual({ mail: false });
    expect(await w.getByRole('checkbox', { name: 'Notify me of replies by email' }).isVisible()).toBe(false);
    expect(await w.getByRole('button', { name: 'Email me a link to my comments' }).isVisible()).toBe(false);
  } finally {
    await close();
    await plain.stop();
  }
});

it('mails a link to "My comments", where the reader deletes one and downloads the rest as JSON', async () => {
  const ids: string[] = [];
  for (const body of ['My first thought.', 'My second thought.']) {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/', name: 'Bea', email: 'bea@example.com', body } });
    ids.push(r.body.comment.id);
  }
  await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/', name: 'Other', email: 'other@example.com', body: 'Not hers.' } });
  const { page, rec, close } = await openPage(browser);
  try {
    await page.goto(server.baseUrl + '/');
    const w = page.locator('#comments');
    const ask = w.getByRole('button', { name: 'Email me a link to my comments' });
    await ask.waitFor({ state: 'visible' });
    await w.getByRole('textbox', { name: 'Email', exact: true }).fill('bea@example.com');
    await ask.click();
    await w.getByText('If this address has comments here, a link to them is on its way.').waitFor();

    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    expect(mail.to).toEqual(['bea@example.com']);
    await page.goto(local(server, linkTo(mail, '/notify/my-comments')[0]));
    const items = page.locator('li[data-comment]');
    expect(await items.count()).toBe(2);
    expect(await page.content()).not.toContain('Not hers.');
    expect(await page.content()).not.toContain('bea@example.com');

    await page.locator(`li[data-comment="${ids[0]}"]`).getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/notify\/my-comments\?t=/);
    expect(await items.count()).toBe(1);
    expect(await page.locator(`li[data-comment="${ids[1]}"]`).count()).toBe(1);
    const thread = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/');
    expect(thread.body.comments.map((c: { id: string }) => c.id)).not.toContain(ids[0]);

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download them all as JSON' }).click();
    const file = await (await download).path();
    const json = JSON.parse(fs.readFileSync(file!, 'utf8'));
    expect(json.site).toBe('demo');
    expect(json.comments.map((c: { id: string; body: string }) => [c.id, c.body])).toEqual([[ids[1], 'My second thought.']]);
    expect(rec.errors).toEqual([]);
    expect(rec.consoleErrors).toEqual([]);
  } finally {
    await close();
  }
});
