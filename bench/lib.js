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

/**
 * `nodeArgs` go before the entry point (e.g. `--cpu-prof`); `readToken: false` for a replica started after the
 * first (only the first start writes the owner token).
 */
async function startServer(extraEnv = {}, opts = {}) {
  const { nodeArgs = [], readToken = true } = Array.isArray(opts) ? { nodeArgs: opts } : opts;
  const dataDir = extraEnv.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-bench-'));
  const port = await freePort();
  // As `npm start` runs it (scripts/start.sh execs node with the memory settings, keeping this pid).
  const child = spawn('/bin/sh', [path.join(root, 'scripts/start.sh'), ...nodeArgs], {
    env: { ...process.env, NODE: process.execPath, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extraEnv },
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
    if (readToken) token = fs.readFileSync(path.join(dataDir, 'owner-token'), 'utf8').trim();
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

/** Resident memory of a process in bytes, from /proc (Linux). */
function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Bytes on disk of a SQLite database and its write-ahead log. */
function dbBytes(dataDir) {
  const file = path.join(dataDir, 'marginalia.db');
  return [file, `${file}-wal`].reduce((n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;


/** Samples the process's resident memory (VmRSS, Linux) every 200 ms; `stop()` gives the peak in bytes. */
function rssSampler(pid) {
  const read = () => {
    try {
      return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    } catch {
      return 0;
    }
  };
  let peak = read();
  let since = peak;
  const timer = setInterval(() => {
    const v = read();
    peak = Math.max(peak, v);
    since = Math.max(since, v);
  }, 200);
  return {
    now: read,
    /** The peak since the last call (or the start). */
    mark() {
      const m = Math.max(since, read());
      since = 0;
      return m;
    },
    stop() {
      clearInterval(timer);
      return Math.max(peak, read());
    },
  };
}

/**
 * CPU seconds the process has used (user + system, all its threads; Linux /proc, 100 ticks a second). Divided by
 * the requests served, it is what a request costs the server, which other load on the machine disturbs far less
 * than req/s.
 */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // After "pid (comm) ": state is field 0, utime 11, stime 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

module.exports = { startServer, json, benchSettings, root, openConsole, rssBytes, dbBytes, mb, rssSampler, cpuSeconds };
