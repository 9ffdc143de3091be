// count.js in real Chromium: a publisher's article list on another origin gets every count from one request.
// The publisher is a second HTTP server on loopback (its own origin), serving the list page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { buildEmbed, launchBrowser, openPage } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';

jest.setTimeout(60_000);

let browser: Browser;
let server: TestServer;
let publisher: string;
let publisherServer: http.Server;
let html = '';
beforeAll(async () => {
  publisherServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise<void>((resolve) => publisherServer.listen(0, '127.0.0.1', resolve));
  buildEmbed(); // builds count.js beside embed.js
  browser = await launchBrowser();
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  publisher = `http://127.0.0.1:${(publisherServer.address() as AddressInfo).port}`;
  await configure(server, { ...fastPosting, moderation: 'none', origins: [publisher] });
});
afterAll(async () => {
  await browser.close();
  await server.stop();
  publisherServer.closeAllConnections();
  await new Promise((resolve) => publisherServer.close(resolve));
});

async function seed(page: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page }) });
    expect(r.status).toBe(201);
  }
}

function listPage(lang: string): string {
  return `<!doctype html><html lang="${lang}"><head><title>Articles</title></head><body><ul>
    <li><a href="/one">One</a> <a class="c" href="/one#comments" data-marginalia-count="/one">Comments</a></li>
    <li><a href="/two">Two</a> <a class="c" href="/two#comments" data-marginalia-count="/two">Comments</a></li>
    <li><a href="/three">Three</a> <a class="c" href="/three#comments" data-marginalia-count="/three">Comments</a></li>
  </ul><script src="${server.baseUrl}/count.js" data-site="demo" async></script></body></html>`;
}

test('count.js fills three links on a list page from one counts request, in the page language', async () => {
  await seed('/one', 1);
  await seed('/two', 3);
  for (const [lang, expected] of [
    ['en', ['1 Comment', '3 Comments', '0 Comments']],
    ['de', ['1 Kommentar', '3 Kommentare', '0 Kommentare']],
  ] as const) {
    const { page, rec, close } = await openPage(browser);
    try {
      html = listPage(lang);
      await page.goto(`${publisher}/articles`);
      await page.waitForFunction(
        (want) => Array.from((globalThis as any).document.querySelectorAll('a.c'), (a: any) => a.textContent).join('|') === want,
        expected.join('|'),
      );
      expect(await page.locator('a.c').allTextContents()).toEqual(expected);
      const countCalls = rec.requests.filter((u) => u.includes('/counts?'));
      expect(countCalls).toHaveLength(1);
      expect(new URL(countCalls[0]).searchParams.getAll('page')).toEqual(['/one', '/two', '/three']);
      // Nothing else: no widget, no catalogue, no third party.
      expect(rec.requests.filter((u) => !u.startsWith(publisher)).map((u) => new URL(u).pathname)).toEqual(['/count.js', '/api/v1/sites/demo/counts']);
      expect(rec.errors).toEqual([]);
    } finally {
      await close();
    }
  }
});
