#!/usr/bin/env node
// Regenerates docs/admin-queue.png and docs/admin-settings.png: the built server on a temp database, a few held
// comments, headless Chromium signed in as the owner. Run `npm run build` first.
'use strict';
const path = require('node:path');
const { startServer, json, openConsole } = require('../bench/lib');

const PAGE = { page: '/2026/11/greenway-opens', pageTitle: 'The old railway becomes a greenway', pageUrl: 'https://news.example/2026/11/greenway-opens' };

async function main() {
  const server = await startServer();
  const { base, token } = server;
  const auth = { authorization: `Bearer ${token}` };
  const post = (name, email, body, extra = {}) => json(base, 'POST', '/api/v1/sites/demo/comments', { ...PAGE, name, email, body, ...extra });
  const approve = (id) => json(base, 'POST', '/api/v1/sites/demo/moderation/actions', { action: 'approve', ids: [id] }, auth);
  try {
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', { minSubmitSeconds: 0, floodSeconds: 0, reportThreshold: 1, blockedWords: ['pills'], origins: ['https://news.example'] }, auth);
    // Newest first in the queue: a reported comment, one held by the rules, a reply, a first-time author.
    const maya = await post('Maya Chen', 'maya@example.com', 'Rode the whole greenway on Saturday — the new surface is superb. Is the café at the viaduct open in winter?');
    await approve(maya.comment.id);
    await post('Priya N.', 'priya@example.com', 'Could the council publish the maintenance budget? I would like to know who pays for the lighting.');
    await post('Tom Avery', 'tom@example.com', 'It is, weekends only from November. My grandfather drove the last passenger train on this line in 1961.', { parentId: maya.comment.id, website: 'https://tomavery.example' });
    await post('Cheap Pills', 'deals@spam.example', 'Best prices!!! [click](https://spam.example/a) [here](https://spam.example/b) [now](https://spam.example/c)');
    // An approved comment that a reader reports: it comes back to the queue with its report.
    const geoff = await post('Geoffrey Lyle', 'geoff@example.com', 'Whoever keeps leaving the gates open at Saltmarsh Lane should be **named and shamed**.');
    await approve(geoff.comment.id);
    await json(base, 'POST', `/api/v1/comments/${geoff.comment.id}/reports`, { reason: 'abuse', note: 'Calls for naming a neighbour' });
    const { browser, page } = await openConsole(base, token, { width: 1100, height: 1080 });
    await page.waitForSelector('.item');
    await page.keyboard.press('j');
    await page.mouse.move(1, 1); // no hover state in the picture
    await page.screenshot({ path: path.join(__dirname, '../docs/admin-queue.png') });
    await page.click('a[data-view=settings]');
    await page.waitForSelector('form.settings');
    await page.fill('#f-maxLinks', '-1');
    await page.fill('#f-origins', 'https://news.example\nnot an origin');
    await page.click('form.settings button[type=submit]');
    await page.waitForSelector('#err-maxLinks:not(:empty)');
    await page.setViewportSize({ width: 1100, height: 1180 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(__dirname, '../docs/admin-settings.png') });
    await browser.close();
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
