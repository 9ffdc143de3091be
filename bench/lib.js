// Shared by the benchmarks: start the built server on a temp database and a free loopback port, stop it by pid.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(extraEnv = {}) {
  const dataDir = extraEnv.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-bench-'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'dist/src/main.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  let token;
  try {
    let healthy = false;
    for (let i = 0; i < 300 && !healthy; i++) {
      if (child.exitCode !== null) throw new Error('server exited');
      healthy = await fetch(base + '/healthz').then((r) => r.ok, () => false);
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    if (!healthy) throw new Error('server did not answer /healthz in 30 s');
    token = fs.readFileSync(path.join(dataDir, 'owner-token'), 'utf8').trim();
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    base,
    token,
    dataDir,
    pid: child.pid,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function json(base, method, p, body, headers = {}) {
  const res = await fetch(base + p, {
    method,
    headers: { 'content-type': 'application/json', origin: base, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Limits off: the benchmark measures the service, not its rate limiter. */
const benchSettings = {
  moderation: 'none',
  minSubmitSeconds: 0,
  floodSeconds: 0,
  maxLinks: 0,
  rateLimits: { postsPerMinute: 100000, reportsPerHour: 100000, readsPerMinute: 1000000, moderationPerMinute: 1000000 },
};

/** Headless Chromium with one page signed in to the console at `base` (for the screenshot scripts). */
async function openConsole(base, token, viewport) {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport });
  await page.goto(`${base}/admin`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav.tabs-main');
  return { browser, page };
}

module.exports = { startServer, json, benchSettings, root, openConsole };
