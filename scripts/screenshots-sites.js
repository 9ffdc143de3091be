#!/usr/bin/env node
// Regenerates docs/admin-sites.png (the Sites view with the New site form filled in) and docs/admin-site.png (the
// new site's page: snippet, install check, preview). The built server on a temp database, headless Chromium
// signed in as the owner. Run `npm run build` first.
'use strict';
const path = require('node:path');
const { startServer, openConsole } = require('../bench/lib');

async function main() {
  const server = await startServer();
  const { base, token } = server;
  try {
    const { browser, page } = await openConsole(base, token, { width: 1100, height: 900 });
    await page.click('a[data-view=sites]');
    await page.waitForSelector('form.new-site');
    await page.fill('#f-id', 'blog');
    await page.fill('#f-name', 'My Blog');
    await page.fill('#f-origins', 'https://blog.example');
    await page.mouse.move(1, 1);
    await page.screenshot({ path: path.join(__dirname, '../docs/admin-sites.png') });
    await page.press('#f-id', 'Enter');
    await page.waitForSelector('#snippet');
    // What a reader's browser sends when the blog's article loads the widget: a cross-origin thread read.
    await fetch(`${base}/api/v1/sites/blog/comments?page=/2026/hello`, { headers: { origin: 'https://blog.example' } });
    await page.click('#check-again');
    await page.waitForSelector('#install-check li.ok');
    await page.locator('#preview-widget h2').waitFor();
    await page.setViewportSize({ width: 1100, height: 1500 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(1, 1);
    await page.screenshot({ path: path.join(__dirname, '../docs/admin-site.png') });
    await browser.close();
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
