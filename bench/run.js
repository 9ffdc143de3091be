#!/usr/bin/env node
// npm run bench: the built server on a temp database, a page of 100 approved comments, autocannon (10 s, 50
// connections) against /healthz (the floor), the thread as a browser asks for it (offering gzip), counts, POST,
// the thread as another site's page asks for it (with an Origin, which the install check looks at) and the thread
// uncompressed. Prints req/s, p50, p99, ratios, server CPU per request and the server's peak RSS. BENCH_ROUNDS=n:
// the endpoints take turns n times, and the means are printed.
//
// npm run bench -- --mixed: one site, 20 pages of 50 comments; reads spread over the 20 pages while 0, 2 and 10
// comments a second are posted to them. Prints req/s, p99 and the ratio to the run without writes.
//
// npm run bench -- --profile [post|thread|healthz]: one benchmark alone (POST by default) on a server started with
// `node --cpu-prof`; prints where the time went (bench/profile-summary.js) and keeps the .cpuprofile file.
//
// npm run bench -- --large: the same reads on 100 and on 1,000,000 comments, side by side (bench/large.js).
//
// npm run bench -- --store postgres [--replicas 2]: SQLite, then PostgreSQL + Redis with one and more replicas
// (bench/stores.js).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { startServer, json, benchSettings, rssSampler, cpuSeconds } = require('./lib');
const { summarise } = require('./profile-summary');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const MB = 1024 * 1024;

function run(opts) {
  return autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
}

const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** What Chromium sends with a fetch. */
const BROWSER = { 'accept-encoding': 'gzip, deflate, br, zstd' };

function postRequest(base, page = '/bench/posts') {
  return {
    url: `${base}/api/v1/sites/demo/comments`,
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    idReplacement: true,
    body: JSON.stringify({
      page,
      name: 'Load Tester',
      email: 'load@example.com',
      body: 'Posting under load, comment [<id>] with *emphasis*.',
    }),
  };
}

/** `n` comments on `page`: 60% top-level and 40% replies, or all top-level with `replies: false`. */
async function seedThread(base, page, n, label, { replies = true } = {}) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const parentId = replies && i >= n * 0.6 ? ids[i % Math.ceil(n * 0.6)] : undefined;
    const r = await json(base, 'POST', '/api/v1/sites/demo/comments', {
      page,
      pageTitle: `Benchmark ${label}`,
      name: `Reader ${i}`,
      email: `reader${i}@example.com`,
      body: `Comment ${i}: a paragraph with *emphasis*, some \`code\` and a [link](https://example.com/${i}).\n\nA second paragraph to make it realistic.`,
      ...(parentId ? { parentId } : {}),
    });
    ids.push(r.comment.id);
  }
}

async function standard() {
  const server = await startServer();
  const { base, token } = server;
  const rss = rssSampler(server.pid);
  try {
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, { authorization: `Bearer ${token}` });
    // 100 approved comments on one page: 60 top-level, 40 replies.
    await seedThread(base, '/bench/article', 100, 'article');
    const thread = await json(base, 'GET', '/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200');
    if (thread.comments.length !== 100) throw new Error(`expected 100 comments, got ${thread.comments.length}`);
    console.log(`server RSS after seeding ${(rss.mark() / MB).toFixed(0)} MB`);
    const countsQuery = Array.from({ length: 20 }, (_, i) => `page=${encodeURIComponent(i === 0 ? '/bench/article' : `/bench/other-${i}`)}`).join('&');

    const threadUrl = `${base}/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200`;
    const endpoints = [
      ['GET /healthz (floor)', { url: `${base}/healthz` }],
      // As the widget asks from a browser, which always offers gzip (the answer is kept gzipped as well).
      ['GET thread (100 comments)', { url: threadUrl, headers: BROWSER }],
      ['GET counts (20 pages)', { url: `${base}/api/v1/sites/demo/counts?${countsQuery}` }],
      ['POST comment', postRequest(base)],
      // As a reader's browser on another site asks: with an Origin, which the install check looks at.
      ['GET thread, cross-origin', { url: threadUrl, headers: { ...BROWSER, origin: 'https://blog.example' } }],
      // A client that offers no compression gets the 52 KB answer as it is.
      ['GET thread, uncompressed', { url: threadUrl }],
    ];
    const runs = new Map(endpoints.map(([name]) => [name, []]));
    const measure = async (name, opts) => {
      // A second first, so each measurement starts with its code compiled and optimised.
      await autocannon({ connections: CONNECTIONS, duration: 1, ...opts });
      const cpu0 = cpuSeconds(server.pid);
      const r = await run(opts);
      runs.get(name).push({ r, cpu: cpuSeconds(server.pid) - cpu0, rss: rss.mark() });
    };
    const load = [loadavg()];
    // With BENCH_ROUNDS=n the endpoints take turns n times, so a machine whose speed drifts (other load, clock
    // changes) weighs on all of them alike; each figure is the mean of its rounds.
    for (let round = 0; round < ROUNDS; round++) for (const [name, opts] of endpoints) await measure(name, opts);
    load.push(loadavg());
    const results = endpoints.map(([name]) => {
      const rs = runs.get(name);
      const total = rs.reduce((n, x) => n + x.r.requests.total, 0);
      return {
        name,
        rps: mean(rs.map((x) => x.r.requests.average)),
        p50: Math.round(mean(rs.map((x) => x.r.latency.p50))),
        p99: Math.max(...rs.map((x) => x.r.latency.p99)),
        ok: rs.reduce((n, x) => n + x.r['2xx'], 0),
        bad: rs.reduce((n, x) => n + x.r.non2xx + x.r.errors + x.r.timeouts, 0),
        rss: Math.max(...rs.map((x) => x.rss)),
        // Server CPU per request answered: µs.
        us: (rs.reduce((n, x) => n + x.cpu, 0) * 1e6) / Math.max(1, total),
      };
    });
    const peak = rss.stop();

    const floor = results[0].rps;
    console.log(`\nMarginalia benchmark — ${DURATION} s, ${CONNECTIONS} connections, ${ROUNDS} round(s), Node ${process.version}, load average ${load[0]} before, ${load[1]} after\n`);
    const floorUs = results[0].us;
    console.log(`${pad('endpoint', 28)}${padl('req/s', 10)}${padl('p50 ms', 9)}${padl('p99 ms', 9)}${padl('vs floor', 10)}${padl('2xx', 10)}${padl('errors', 8)}${padl('RSS MB', 8)}${padl('CPU µs', 9)}${padl('floor/CPU', 11)}`);
    for (const r of results)
      console.log(
        `${pad(r.name, 28)}${padl(Math.round(r.rps), 10)}${padl(r.p50, 9)}${padl(r.p99, 9)}${padl(((r.rps / floor) * 100).toFixed(0) + '%', 10)}${padl(r.ok, 10)}${padl(r.bad, 8)}${padl((r.rss / MB).toFixed(0), 8)}` +
          `${padl(Math.round(r.us), 9)}${padl(((floorUs / r.us) * 100).toFixed(0) + '%', 11)}`,
      );
    console.log('CPU µs: server CPU time per request answered; floor/CPU: the floor\'s cost over this one, the req/s ratio a CPU-bound quiet machine would show.');
    const [, t, c, p] = results;
    console.log(`\nserver RSS peak ${(peak / MB).toFixed(0)} MB`);
    console.log('Targets: thread ≥ 90% of floor; counts ≥ 60% of floor; POST ≥ 25% of floor; server RSS ≤ 120 MB.');
    const verdict = (name, r, share) =>
      `${name} ${((r.rps / floor) * 100).toFixed(0)}% by req/s ${r.rps >= share * floor ? 'MET' : 'MISSED'}, ` +
      `${((floorUs / r.us) * 100).toFixed(0)}% by CPU ${floorUs / r.us >= share ? 'MET' : 'MISSED'}`;
    console.log(`${verdict('thread', t, 0.9)}; ${verdict('counts', c, 0.6)}; ${verdict('POST', p, 0.25)}; RSS ${(peak / MB).toFixed(0)} MB ${peak <= 120 * MB ? 'MET' : 'MISSED'}`);
  } finally {
    await server.stop();
  }
}

let written = 0; // across writers, so no post repeats an earlier one (that would be a duplicate, 409)

/** Posts `perSecond` comments a second to the given pages, round-robin, until stopped; counts what got in. */
function writer(base, pages, perSecond) {
  let ok = 0;
  let failed = 0;
  let firstError = null;
  const inflight = new Set();
  const timer =
    perSecond > 0 &&
    setInterval(() => {
      const sent = written++;
      const page = pages[sent % pages.length];
      const p = json(base, 'POST', '/api/v1/sites/demo/comments', {
        page,
        name: 'Live Writer',
        email: `writer${sent}@example.com`,
        body: `Live comment ${sent} on ${page}, with *emphasis*.`,
      }).then(
        () => ok++,
        (err) => {
          failed++;
          firstError ??= err.message;
        },
      );
      inflight.add(p);
      p.finally(() => inflight.delete(p));
    }, 1000 / perSecond);
  return {
    async stop() {
      if (timer) clearInterval(timer);
      await Promise.all(inflight);
      return { ok, failed, firstError };
    },
  };
}

async function mixed() {
  const server = await startServer();
  const { base, token } = server;
  const rss = rssSampler(server.pid);
  try {
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, { authorization: `Bearer ${token}` });
    const pages = Array.from({ length: 20 }, (_, i) => `/bench/story-${i}`);
    // 50 top-level comments fill a thread's first answer (50 by default, oldest first), so the comments posted during
    // the run go to each page's second answer: every round reads answers of the same size, and what it measures is
    // what the writes cost (the post, and the answers it makes stale being built again), not threads growing.
    for (const [i, page] of pages.entries()) await seedThread(base, page, 50, `story ${i}`, { replies: false });
    // Each connection walks the 20 pages in turn: reads spread evenly over the site.
    const requests = pages.map((p) => ({ method: 'GET', path: `/api/v1/sites/demo/comments?page=${encodeURIComponent(p)}`, headers: BROWSER }));
    // Rounds alternate the three write rates, so load from elsewhere on the machine falls on all of them alike.
    const rates = [0, 2, 10];
    const runs = new Map(rates.map((r) => [r, []]));
    await autocannon({ connections: CONNECTIONS, duration: 2, url: base, requests }); // warm-up
    const load = [loadavg()];
    for (let round = 0; round < ROUNDS; round++)
      // Every other round runs the rates in reverse (0, 2, 10, then 10, 2, 0): a drift in the machine's speed over
      // a round, or a rate's place in it, falls on all three alike.
      for (const perSecond of round % 2 === 0 ? rates : [...rates].reverse()) {
        const cpu0 = cpuSeconds(server.pid);
        const w = writer(base, pages, perSecond);
        const r = await run({ url: base, requests });
        const posted = await w.stop();
        runs.get(perSecond).push({ r, posted, cpu: cpuSeconds(server.pid) - cpu0 });
      }
    load.push(loadavg());
    const peak = rss.stop();
    const rows = rates.map((perSecond) => {
      const rs = runs.get(perSecond);
      return {
        perSecond,
        rps: mean(rs.map((x) => x.r.requests.average)),
        each: rs.map((x) => Math.round(x.r.requests.average)),
        p50: Math.max(...rs.map((x) => x.r.latency.p50)),
        p99: Math.max(...rs.map((x) => x.r.latency.p99)),
        bad: rs.reduce((a, x) => a + x.r.non2xx + x.r.errors + x.r.timeouts, 0),
        posted: rs.reduce((a, x) => a + x.posted.ok, 0),
        failed: rs.reduce((a, x) => a + x.posted.failed, 0),
        firstError: rs.map((x) => x.posted.firstError).find(Boolean),
        // Reads per CPU-second of the server, writes' cost included: the read capacity left while writes arrive.
        readsPerCpuSecond: rs.reduce((a, x) => a + x.r.requests.total, 0) / rs.reduce((a, x) => a + x.cpu, 0),
      };
    });

    const base0 = rows[0].rps;
    console.log(`\nMarginalia mixed benchmark — reads over 20 pages of 50 comments while comments are posted to them`);
    console.log(`${DURATION} s × ${ROUNDS} round(s), ${CONNECTIONS} connections, Node ${process.version}, load average ${load[0]} before, ${load[1]} after\n`);
    const cpu0 = rows[0].readsPerCpuSecond;
    console.log(`${pad('writes on the site', 20)}${padl('reads/s', 10)}${padl('p50 ms', 9)}${padl('p99 ms', 9)}${padl('vs none', 10)}${padl('errors', 8)}${padl('posted', 8)}${padl('failed', 8)}${padl('reads/CPU s', 13)}${padl('vs none', 9)}   each round`);
    for (const r of rows)
      console.log(
        `${pad(r.perSecond === 0 ? 'none' : `${r.perSecond}/s`, 20)}${padl(Math.round(r.rps), 10)}${padl(r.p50, 9)}${padl(r.p99, 9)}` +
          `${padl(((r.rps / base0) * 100).toFixed(0) + '%', 10)}${padl(r.bad, 8)}${padl(r.posted, 8)}${padl(r.failed, 8)}` +
          `${padl(Math.round(r.readsPerCpuSecond), 13)}${padl(((r.readsPerCpuSecond / cpu0) * 100).toFixed(0) + '%', 9)}   ${r.each.join(', ')}`,
      );
    console.log('reads/CPU s: reads answered per second of server CPU, the writes\' cost included; other load on the machine disturbs it far less than reads/s.');
    for (const r of rows) if (r.firstError) console.log(`a post at ${r.perSecond}/s failed: ${r.firstError}`);
    const ten = rows[2];
    console.log(`\nserver RSS peak ${(peak / MB).toFixed(0)} MB`);
    console.log(`Target: reads under 10 writes/s ≥ 90% of the no-write figure: ${((ten.rps / base0) * 100).toFixed(0)}% by reads/s ${ten.rps >= 0.9 * base0 ? 'MET' : 'MISSED'}, ` +
      `${((ten.readsPerCpuSecond / cpu0) * 100).toFixed(0)}% by reads per CPU-second ${ten.readsPerCpuSecond >= 0.9 * cpu0 ? 'MET' : 'MISSED'}`);
  } finally {
    await server.stop();
  }
}

/** `what`: post (default), thread (a cached thread read) or healthz (the floor). */
async function profile(what = 'post') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-profile-'));
  const spawnedAt = performance.now();
  const server = await startServer({}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const { base, token } = server;
  let r;
  let skipUs;
  try {
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, { authorization: `Bearer ${token}` });
    let target = postRequest(base);
    if (what === 'thread') {
      await seedThread(base, '/bench/article', 100, 'article');
      target = { url: `${base}/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200`, headers: BROWSER };
    } else if (what === 'healthz') target = { url: `${base}/healthz` };
    // A second of load first, so lazily loaded code and V8's optimisation are behind the measured part.
    await autocannon({ ...target, connections: CONNECTIONS, duration: 1 });
    // The profile's clock starts about when the process does: leave out start-up, set-up and the warm-up.
    skipUs = (performance.now() - spawnedAt) * 1000;
    const load = loadavg();
    r = await run(target);
    console.log(`\n${what} under node --cpu-prof: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, ${r['2xx']} 2xx, ${r.non2xx + r.errors + r.timeouts} errors; load average ${load}`);
  } finally {
    await server.stop(); // the profile is written as the server exits
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const kept = path.join(os.tmpdir(), `marginalia-${what}-${Date.now()}.cpuprofile`);
  fs.renameSync(path.join(dir, file), kept);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(summarise(JSON.parse(fs.readFileSync(kept, 'utf8')), { skipUs }));
  console.log(`(the first ${(skipUs / 1e6).toFixed(1)} s, start-up and warm-up, left out)`);
  console.log(`\nprofile: ${kept} (open in Chrome DevTools, Performance tab)`);
}

const args = process.argv.slice(2);
const mode = args.includes('--round-trips') ? () => require('./round-trips')() : args.includes('--store') ? () => require('./stores')() : args.includes('--large') ? () => require('./large').runLarge() : args.includes('--mixed') ? mixed : args.includes('--profile') ? () => profile(args[args.indexOf('--profile') + 1]) : standard;
mode().catch((err) => {
  console.error(err);
  process.exit(1);
});
