// From "installed" to "comments on my blog" in real Chromium: create a site in the console, copy its snippet,
// embed it in a page on another origin (a second server on 127.0.0.1), and see the console say it was seen there.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { buildEmbed, launchBrowser, openPage, foreignRequests, watchCsp, cspViolations, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, fastPosting } from '../helpers/api';

jest.setTimeout(60_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;

/** A reader's site: serves one article page whose HTML the test sets, on its own origin. */
interface Blog {
  origin: string;
  html: string;
  stop(): Promise<void>;
}
async function startBlog(): Promise<Blog> {
  const blog = { html: '' } as Blog;
  const s = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(blog.html);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  blog.origin = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  blog.stop = () => {
    s.closeAllConnections();
    return new Promise((resolve) => s.close(() => resolve()));
  };
  return blog;
}

const article = (snippet: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>My first post</title></head>
<body><article><h1>My first post</h1><p>Hello, readers.</p></article>
${snippet}
</body></html>`;

beforeAll(async () => {
  const root = path.join(__dirname, '../..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-admin.js')], { cwd: root, stdio: 'inherit' });
  buildEmbed();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  ({ page, rec, close: closePage } = await openPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] }));
  await watchCsp(page);
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

async function signIn(secret = server.ownerToken): Promise<void> {
  await page.goto(server.baseUrl + '/admin');
  await page.fill('#token', secret);
  await page.press('#token', 'Enter');
  await page.waitForSelector('nav.tabs-main a[data-view=sites]');
}

/** Fills the New site form from the keyboard and sends it with Enter. */
async function fillNewSite(f: { id: string; name?: string; origins?: string[] }): Promise<void> {
  await page.click('a[data-view=sites]');
  await page.waitForSelector('form.new-site');
  await page.focus('#f-id');
  await page.keyboard.type(f.id);
  await page.keyboard.press('Tab');
  await page.keyboard.type(f.name ?? '');
  await page.keyboard.press('Tab');
  for (const [i, o] of (f.origins ?? []).entries()) {
    if (i) await page.keyboard.press('Enter');
    await page.keyboard.type(o);
  }
  await page.focus('#f-id');
  await page.keyboard.press('Enter');
}

test('an owner creates a site, copies its snippet into a page on its origin, and the console sees it load', async () => {
  const blog = await startBlog();
  try {
    await signIn();
    await fillNewSite({ id: 'blog', name: 'My Blog', origins: [blog.origin] });

    // The site's page opens with the snippet for this service and site.
    await page.waitForSelector('#snippet');
    expect(await page.textContent('#site-title')).toContain('My Blog');
    const shown = (await page.textContent('#snippet'))!;
    expect(shown).toBe(`<div id="comments"></div>\n<script src="${server.baseUrl}/embed.js" data-site="blog" async></script>`);
    expect(await page.textContent('#install-check')).toContain('Not seen yet');
    // The switcher now offers the new site, and it is the current one.
    expect(await page.$eval('#site-switcher', (el) => (el as any).value)).toBe('blog');

    await page.getByRole('button', { name: 'Copy snippet' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText());
    expect(copied).toBe(shown);

    // And the count.js snippet for article lists, with its own copy button.
    const counts = (await page.textContent('#count-snippet'))!;
    expect(counts).toBe(
      `<a href="/my-post#comments" data-marginalia-count="/my-post">Comments</a>\n<script src="${server.baseUrl}/count.js" data-site="blog" async></script>`,
    );
    const countButton = page.locator('button.copy').nth(1);
    expect(await countButton.textContent()).toBe('Copy count snippet');
    await countButton.click();
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('button.copy')[1].textContent === 'Copied');
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(counts);

    // A reader opens an article on the blog's own origin with the pasted snippet.
    blog.html = article(copied);
    const reader = await openPage(browser);
    try {
      await reader.page.goto(`${blog.origin}/2026/my-first-post`);
      await reader.page.locator('#comments h2').filter({ hasText: /^0 Comments$/ }).waitFor();
      await reader.page.locator('#comments').getByRole('button', { name: 'Post Comment' }).waitFor();
      expect(reader.rec.errors).toEqual([]);
    } finally {
      await reader.close();
    }

    // The console's check asks again by itself and now says where the widget was seen.
    const seen = page.locator(`#install-check li[data-origin="${blog.origin}"]`);
    await seen.waitFor({ timeout: 12_000 });
    expect(await seen.textContent()).toMatch(new RegExp(`^Seen on ${blog.origin.replace(/[.]/g, '\\.')} just now`));
    expect(await seen.getAttribute('class')).toBe('ok');
    expect(await page.textContent('.summary')).toContain(`seen on ${blog.origin}`);

    // The Sites list says it too.
    await page.click('a[data-view=sites]');
    const row = page.locator('tr[data-site=blog]');
    await row.waitFor();
    expect(await row.textContent()).toContain(`seen on ${blog.origin}`);
    expect(await row.textContent()).toContain(blog.origin);

    expect(await cspViolations(page)).toEqual([]);
    expect(rec.errors).toEqual([]);
    expect(foreignRequests(rec, server.baseUrl)).toEqual([]);
  } finally {
    await blog.stop();
  }
});

test('New site shows the reason beside each invalid field and creates nothing; a taken id is said beside the id', async () => {
  await signIn();
  await fillNewSite({ id: 'Bad Id', origins: ['https://ok.example', 'blog.example/path'] });
  await page.waitForSelector('#err-id:not(:empty)');
  expect(await page.textContent('#err-id')).toMatch(/a–z, 0–9 and -/);
  expect(await page.textContent('#err-origins')).toBe('Line 2: must be an origin like https://blog.example (scheme, host and optional port, nothing else)');
  expect(await page.getAttribute('#f-origins', 'aria-invalid')).toBe('true');
  expect(await page.textContent('#err-name')).toBe('');
  // The first invalid field has the focus, described by its error.
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('f-id');
  expect(await page.getAttribute('#f-id', 'aria-describedby')).toContain('err-id');

  await page.fill('#f-id', 'demo');
  await page.fill('#f-origins', '');
  await page.press('#f-id', 'Enter');
  await page.waitForSelector('#err-id:has-text("already exists")');
  const sites = await call(server, 'GET', '/api/v1/sites', { token: server.ownerToken });
  expect(sites.body.items.map((s: { id: string }) => s.id)).toEqual(['demo']);
});

test('a page on an origin that is not listed is reported as such, and one click allows it', async () => {
  const blog = await startBlog();
  try {
    await server.services.sites.create({ id: 'blog', origins: ['https://blog.example'] }, Date.now());
    blog.html = article(`<div id="comments"></div><script src="${server.baseUrl}/embed.js" data-site="blog" async></script>`);
    const reader = await openPage(browser);
    // The widget asks for the thread; CORS keeps the answer from this origin, so the reader gets no thread.
    const asked = reader.page.waitForRequest((r) => r.url().startsWith(`${server.baseUrl}/api/v1/sites/blog/comments`));
    await reader.page.goto(`${blog.origin}/post`);
    await asked;
    await reader.close();

    await signIn();
    await page.selectOption('#site-switcher', 'blog');
    await page.click('a[data-view=sites]');
    await page.locator('tr[data-site=blog] button.open-site').click();
    const seen = page.locator(`#install-check li[data-origin="${blog.origin}"]`);
    await seen.waitFor();
    expect(await seen.getAttribute('class')).toBe('warn');
    expect(await seen.textContent()).toContain('that origin is not allowed');
    await seen.getByRole('button', { name: `Allow ${blog.origin}` }).click();
    await page.locator(`#install-check li.ok[data-origin="${blog.origin}"]`).waitFor();
    const settings = await call(server, 'GET', '/api/v1/sites/blog/settings', { token: server.ownerToken });
    expect(settings.body.settings.origins).toEqual(['https://blog.example', blog.origin]);
  } finally {
    await blog.stop();
  }
});

test("the preview runs the site's widget in the console, keeps its comments off the real pages, and removes them", async () => {
  await server.services.sites.create({ id: 'blog', origins: ['https://blog.example'], settings: { ...fastPosting, moderation: 'first-time' } }, Date.now());
  await signIn();
  await page.selectOption('#site-switcher', 'blog');
  await page.click('a[data-view=sites]');
  await page.locator('tr[data-site=blog] button.open-site').click();
  const widget = page.locator('#preview-widget');
  await widget.locator('h2').filter({ hasText: /^0 Comments$/ }).waitFor();
  expect(await page.textContent('.preview-frame')).toContain('Preview — not a live page');

  // Typing in the preview does not trigger the console's keys (? would open the help).
  await widget.getByRole('textbox', { name: 'Comment', exact: true }).fill('');
  await widget.getByRole('textbox', { name: 'Comment', exact: true }).type('Does this work? Testing the preview.');
  expect(await page.locator('.overlay').count()).toBe(0);
  await widget.getByRole('textbox', { name: 'Name', exact: true }).fill('Site Owner');
  await widget.getByRole('textbox', { name: 'Email', exact: true }).fill('owner@example.com');
  await widget.getByRole('button', { name: 'Post Comment' }).click();
  await widget.locator('li', { hasText: 'Testing the preview.' }).getByText('Your comment is awaiting moderation.').waitFor();

  const held = await call(server, 'GET', '/api/v1/sites/blog/moderation/comments?status=all', { token: server.ownerToken });
  expect(held.body.items.map((c: any) => [c.page.key, c.status])).toEqual([['marginalia:preview', 'pending']]);

  await page.getByRole('button', { name: 'Remove preview comments' }).click();
  await page.locator('.toast', { hasText: 'Removed 1 preview comment.' }).waitFor();
  const after = await call(server, 'GET', '/api/v1/sites/blog/moderation/comments?status=all', { token: server.ownerToken });
  expect(after.body.items.map((c: any) => c.status)).toEqual(['deleted']);

  // The preview is no install: the site is still "not seen".
  expect(await page.textContent('#install-check')).toContain('Not seen yet');
  expect(await cspViolations(page)).toEqual([]);
  expect(rec.errors).toEqual([]);
  expect(foreignRequests(rec, server.baseUrl)).toEqual([]);
});

test('a moderator sees only their site and no New site form', async () => {
  await server.services.sites.create({ id: 'blog', origins: ['https://blog.example'] }, Date.now());
  const t = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'blog', label: 'mod' } });
  await signIn(t.body.token);
  await page.click('a[data-view=sites]');
  await page.locator('tr[data-site=blog]').waitFor();
  expect(await page.locator('table.sites tbody tr').count()).toBe(1);
  expect(await page.locator('form.new-site').count()).toBe(0);
  expect(await page.textContent('main')).toContain('Only an owner token for all sites can add a site');
});

test('an owner of all sites whose database has no site yet starts on Sites, to add one', async () => {
  const db = new Database(path.join(server.dataDir, 'marginalia.db'));
  db.prepare('DELETE FROM sites').run(); // the owner token covers all sites (no site of its own), so it stays
  db.close();
  await signIn();
  await page.waitForSelector('form.new-site');
  expect(await page.textContent('main')).toContain('No site yet.');
  await fillNewSite({ id: 'first-site' });
  await page.waitForSelector('#snippet');
  expect(await page.textContent('#snippet')).toContain('data-site="first-site"');
});

test('a site named with markup is shown as text in the list, the switcher and its page', async () => {
  const name = '<img src=x onerror=alert("site")><script>alert("site")</script>';
  expect((await call(server, 'POST', '/api/v1/sites', { token: server.ownerToken, body: { id: 'xss', name } })).status).toBe(201);
  await signIn();
  await page.click('a[data-view=sites]');
  const row = page.locator('tr[data-site=xss]');
  await row.waitFor();
  expect(await row.locator('strong').textContent()).toBe(name);
  await row.locator('button.open-site').click();
  await page.waitForSelector('#snippet');
  expect(await page.textContent('#site-title')).toBe(`${name} xss`);
  expect(await page.$eval('#site-switcher option[value=xss]', (el) => el.textContent)).toBe(`${name} (xss)`);
  expect(await page.locator('main img, main script, header img').count()).toBe(0);
  expect(rec.dialogs).toEqual([]);
  expect(rec.errors).toEqual([]);
});
