#!/usr/bin/env node
// Screenshots of the widget on the demo page, light and dark: docs/widget-light.png and docs/widget-dark.png.
// Starts the built server on a free port with a throw-away DATA_DIR, seeds a small thread, and drives Chromium.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { chromium } = require('playwright-core');

const root = path.join(__dirname, '..');
const out = path.join(root, 'docs');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(url, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error('server did not start: ' + url);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  if (!fs.existsSync(path.join(root, 'dist/src/main.js'))) execFileSync('npm', ['run', 'build:server'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts/build-embed.js')], { cwd: root, stdio: 'inherit' });

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-shots-'));
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, PUBLIC_URL: base, LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  let browser;
  try {
    await waitFor(`${base}/api/v1/sites/demo/comments?page=/`);
    const owner = fs.readFileSync(path.join(dataDir, 'owner-token'), 'utf8').trim();
    const api = async (method, p, body, token) => {
      const res = await fetch(base + '/api/v1' + p, {
        method,
        headers: { 'content-type': 'application/json', origin: base, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await api('PATCH', '/sites/demo/settings', {
      moderation: 'none', minSubmitSeconds: 0, floodSeconds: 0, maxLinks: 5,
      rateLimits: { postsPerMinute: 1000 },
    }, owner);

    const hoursAgo = [];
    const seed = async (hours, parentId, name, email, body, website) => {
      const r = await api('POST', '/sites/demo/comments', { page: '/', parentId, name, email, body, website });
      hoursAgo.push([r.comment.id, hours]);
      return r.comment.id;
    };
    const maya = await seed(50, undefined, 'Maya Chen', 'maya@example.com',
      'Rode it end to end on Saturday with two kids in tow. The surface is **superb**, and the view from the Fenwick viaduct is worth the trip on its own.',
      'https://mayachen.example');
    const geoff = await seed(30, maya, 'Geoffrey Lyle', 'geoff@example.com',
      'Glad you enjoyed it. One request from the farms along the route: please *close the gates* at Saltmarsh Lane behind you.');
    await seed(26, geoff, 'Maya Chen', 'maya@example.com', 'Will do, and thank you for letting the path cross your land.', 'https://mayachen.example');
    await seed(5, undefined, 'Tom Avery', 'tom@example.com',
      '> My grandfather drove the last passenger train in 1961.\n\nThat is me quoted above! The old waiting room at Oakley Halt is now a small museum, open on Sundays.');
    // Give the thread believable ages (the API stamps "now"); the list is not cached until first read.
    const db = new Database(path.join(dataDir, 'marginalia.db'));
    const stamp = db.prepare('UPDATE comments SET created_at = ?, status_changed_at = ? WHERE id = ?');
    for (const [id, h] of hoursAgo) stamp.run(Date.now() - h * 3600e3, Date.now() - h * 3600e3, id);
    db.close();
    await api('PATCH', '/sites/demo/settings', { moderation: 'all' }, owner);

    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width: 820, height: 1000 }, colorScheme: scheme, deviceScaleFactor: 1 });
      const page = await context.newPage();
      await page.goto(base + '/');
      const widget = page.locator('#comments');
      await widget.locator('li', { hasText: 'Oakley Halt' }).waitFor();
      if (scheme === 'light') {
        // The reader's own comment, waiting for moderation.
        await widget.getByRole('textbox', { name: 'Comment', exact: true }).fill('Is the path gritted when it is icy? I would love to commute on it this winter.');
        await widget.getByRole('textbox', { name: 'Name', exact: true }).fill('Sam Okafor');
        await widget.getByRole('textbox', { name: 'Email', exact: true }).fill('sam@example.com');
        await widget.getByRole('button', { name: 'Post Comment' }).click();
        await widget.locator('p.pending').waitFor();
      } else {
        await widget.getByRole('textbox', { name: 'Name', exact: true }).fill('Sam Okafor');
      }
      await page.evaluate('document.activeElement && document.activeElement.blur()');
      await page.mouse.move(0, 0);
      await page.evaluate('document.fonts.ready');
      await page.evaluate('window.scrollTo(0, 0)');
      const box = await page.locator('.discussion').boundingBox();
      const pad = 24;
      await page.screenshot({
        path: path.join(out, `widget-${scheme}.png`),
        fullPage: true,
        clip: { x: box.x - pad, y: box.y + 8, width: box.width + 2 * pad, height: box.height - 8 + pad },
      });
      await context.close();
      console.log(`wrote docs/widget-${scheme}.png`);
    }
  } finally {
    if (browser) await browser.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
