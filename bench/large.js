// npm run bench -- --large: the same reads on a 100-comment database and on one of 1,000,000 comments over 10,000
// pages (replies, every status), side by side: thread GET (cached, and rebuilt after a write), counts, the moderation
// queue and its search, with the database size and the server's RSS. One run, one machine.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { startServer, json, benchSettings, rssBytes, dbBytes, mb } = require('./lib');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const COMMENTS = Number(process.env.LARGE_COMMENTS ?? 1_000_000);
const PAGES = Number(process.env.LARGE_PAGES ?? 10_000);
const SAMPLES = 200;

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function timed(url, init) {
  const t = process.hrtime.bigint();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function samples(n, f) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(await f(i));
  return { p50: pct(xs, 50), p99: pct(xs, 99) };
}

/** Every figure for one server: `site`, a page of about 100 comments, 20 pages for counts, and a search word. */
async function measure(server, { site, page, countPages, word, rare }) {
  const auth = { authorization: `Bearer ${server.token}` };
  const threadUrl = `${server.base}/api/v1/sites/${site}/comments?page=${encodeURIComponent(page)}&limit=200`;
  const thread = await json(server.base, 'GET', `/api/v1/sites/${site}/comments?page=${encodeURIComponent(page)}&limit=200`);
  const hot = await autocannon({ url: threadUrl, connections: CONNECTIONS, duration: DURATION });
  const countsQs = countPages.map((p) => `page=${encodeURIComponent(p)}`).join('&');
  const counts = await autocannon({ url: `${server.base}/api/v1/sites/${site}/counts?${countsQs}`, connections: CONNECTIONS, duration: DURATION });
  // A write to the site makes the next read rebuild the thread from the database.
  const cold = await samples(SAMPLES, async (i) => {
    await json(server.base, 'POST', `/api/v1/sites/${site}/comments`, { page: '/bench/writes', name: 'Writer', email: 'writer@example.com', body: `Write ${i} ${Date.now()}` });
    return timed(threadUrl);
  });
  const q = `${server.base}/api/v1/sites/${site}/moderation/comments?limit=50`;
  const queue = await samples(SAMPLES, () => timed(`${q}&status=pending`, { headers: auth }));
  const search = await samples(SAMPLES, () => timed(`${q}&status=all&q=${word}`, { headers: auth }));
  const rareSearch = await samples(5, () => timed(`${q}&status=all&q=${rare}`, { headers: auth }));
  const bad = hot.non2xx + hot.errors + counts.non2xx + counts.errors;
  return {
    shown: thread.comments.length,
    hot: { rps: hot.requests.average, p50: hot.latency.p50, p99: hot.latency.p99 },
    counts: { rps: counts.requests.average, p50: counts.latency.p50, p99: counts.latency.p99 },
    cold,
    queue,
    search,
    rareSearch,
    bad,
    rss: rssBytes(server.pid),
    db: dbBytes(server.dataDir),
  };
}

// The overload guard is off here: a slow query must show as its latency, not as the 503s that follow it.
const GUARD_OFF = { OVERLOAD_LAG_MS: '0' };

async function small() {
  const server = await startServer(GUARD_OFF);
  try {
    const { base, token } = server;
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, { authorization: `Bearer ${token}` });
    const ids = [];
    for (let i = 0; i < 100; i++) {
      const parentId = i >= 60 ? ids[i % 60] : undefined;
      const r = await json(base, 'POST', '/api/v1/sites/demo/comments', {
        page: '/bench/article',
        name: `Reader ${i}`,
        email: `reader${i}@example.com`,
        body: `Comment ${i} about the lantern: *thoughtful* words, \`code\`, and a [link](https://example.com/${i}).\n\nA second paragraph to make it realistic.`,
        ...(parentId ? { parentId } : {}),
      });
      ids.push(r.comment.id);
    }
    const countPages = Array.from({ length: 20 }, (_, i) => (i === 0 ? '/bench/article' : `/bench/other-${i}`));
    return await measure(server, { site: 'demo', page: '/bench/article', countPages, word: 'lantern', rare: 'zqxjv' });
  } finally {
    await server.stop();
  }
}

async function large() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-large-'));
  const env = { DATA_DIR: dataDir, SECRET_KEY: crypto.randomBytes(32).toString('base64'), ...GUARD_OFF };
  const t = Date.now();
  execFileSync(process.execPath, [path.join(__dirname, 'seed-large.js'), String(COMMENTS), String(PAGES)], { env: { ...process.env, ...env }, stdio: 'inherit' });
  const seedSeconds = (Date.now() - t) / 1000;
  const server = await startServer(env);
  try {
    await json(server.base, 'PATCH', '/api/v1/sites/large/settings', { origins: [server.base] }, { authorization: `Bearer ${server.token}` });
    // Any page: each holds COMMENTS / PAGES comments, about 70 % of them shown.
    const countPages = Array.from({ length: 20 }, (_, i) => `/articles/${i * 37}`);
    const r = await measure(server, { site: 'large', page: `/articles/${(PAGES >> 1) + 1}`, countPages, word: 'lantern', rare: 'zqxjv' });
    return { ...r, seedSeconds };
  } finally {
    await server.stop();
  }
}

async function runLarge() {
  const a = await small();
  const b = await large();
  const ms = (x) => `${Number(x).toFixed(1)} ms`;
  const rows = [
    ['thread GET (cached), p50', ms(a.hot.p50), ms(b.hot.p50)],
    ['thread GET (cached), p99', ms(a.hot.p99), ms(b.hot.p99)],
    ['thread GET (cached), req/s', Math.round(a.hot.rps), Math.round(b.hot.rps)],
    ['thread GET after a write, p50', ms(a.cold.p50), ms(b.cold.p50)],
    ['thread GET after a write, p99', ms(a.cold.p99), ms(b.cold.p99)],
    ['counts (20 pages), p99', ms(a.counts.p99), ms(b.counts.p99)],
    ['counts (20 pages), req/s', Math.round(a.counts.rps), Math.round(b.counts.rps)],
    ['queue, first page, p50', ms(a.queue.p50), ms(b.queue.p50)],
    ['queue, first page, p99', ms(a.queue.p99), ms(b.queue.p99)],
    ['search "lantern", p50', ms(a.search.p50), ms(b.search.p50)],
    ['search "lantern", p99', ms(a.search.p99), ms(b.search.p99)],
    ['search, no match (whole site), p50', ms(a.rareSearch.p50), ms(b.rareSearch.p50)],
    ['comments shown in the thread', a.shown, b.shown],
    ['database on disk', mb(a.db), mb(b.db)],
    ['server RSS after the run', mb(a.rss), mb(b.rss)],
  ];
  console.log(`\nMarginalia benchmark, --large — ${DURATION} s per load, ${CONNECTIONS} connections, Node ${process.version}`);
  console.log(`large: ${COMMENTS.toLocaleString('en')} comments over ${PAGES.toLocaleString('en')} pages, seeded in ${b.seedSeconds.toFixed(0)} s\n`);
  console.log(`${'figure'.padEnd(38)}${'100 comments'.padStart(16)}${`${(COMMENTS / 1e6).toLocaleString('en')}M comments`.padStart(16)}`);
  for (const [name, x, y] of rows) console.log(`${String(name).padEnd(38)}${String(x).padStart(16)}${String(y).padStart(16)}`);
  const ratio = b.hot.p99 / Math.max(a.hot.p99, 1);
  console.log(`\nthread GET p99 ratio, large / small: ${ratio.toFixed(2)} (target ≤ 1.5: ${ratio <= 1.5 ? 'MET' : 'MISSED'}); non-2xx or errors under load: ${a.bad + b.bad}`);
}

module.exports = { runLarge };
