#!/usr/bin/env node
// npm run bench:stream: the built server on a temp database; a second process on loopback opens 5,000 live streams
// on one page. Prints the server's RSS growth per open stream, the time from an approve (the moderation request
// sent) to its event reaching every stream (p50, p99 over all deliveries of 20 approvals), and the thread GET
// (autocannon, 10 s, 50 connections) without streams and with the 5,000 open while an approve goes out each second.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { fork } = require('node:child_process');
const autocannon = require('autocannon');
const os = require('node:os');
const { startServer, json, benchSettings } = require('./lib');

const STREAMS = Number(process.env.BENCH_STREAMS ?? 5000);
const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 20);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const THREAD = '/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200';

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const PROBE_FILE = path.join(os.tmpdir(), `marginalia-stream-probe-${process.pid}.json`);

/** The server's memory after full collections (bench/memory-probe.js, preloaded into it), in KB. */
async function collected(pid) {
  fs.rmSync(PROBE_FILE, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 200 && !fs.existsSync(PROBE_FILE); i++) await sleep(50);
  const m = JSON.parse(fs.readFileSync(PROBE_FILE, 'utf8'));
  fs.rmSync(PROBE_FILE, { force: true });
  // A full collection of a large heap stalls the loop; the overload guard holds its gate shut a second after one.
  await sleep(1500);
  return { rss: rssKb(pid), heap: m.heapUsed / 1024, external: (m.external + m.arrayBuffers) / 1024 };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function clients() {
  const child = fork(path.join(__dirname, 'stream-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  child.on('message', (m) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m);
  });
  const next = (type, ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} from the client process in ${ms} ms`)), ms);
      waiting.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  return { child, next, send: (m) => child.send(m) };
}

async function main() {
  const server = await startServer(
    { STREAMS_PER_IP: String(STREAMS + 100), STREAMS_MAX: String(STREAMS + 1000), BENCH_PROBE_FILE: PROBE_FILE },
    { nodeArgs: ['--expose-gc', '-r', path.join(__dirname, 'memory-probe.js')] },
  );
  const { base, token } = server;
  const auth = { authorization: `Bearer ${token}` };
  const port = Number(new URL(base).port);
  let c;
  try {
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, auth);
    for (let i = 0; i < 100; i++)
      await json(base, 'POST', '/api/v1/sites/demo/comments', {
        page: '/bench/article',
        name: `Reader ${i}`,
        email: `reader${i}@example.com`,
        body: `Comment ${i}: a paragraph with *emphasis*, some \`code\` and a [link](https://example.com/${i}).\n\nA second paragraph.`,
      });
    const measureThread = async () => {
      const r = await autocannon({ url: base + THREAD, connections: CONNECTIONS, duration: DURATION });
      return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
    };
    const quiet = await measureThread();

    // Held for moderation from here on: each approve makes one comment public, one event to every stream. (After a
    // pause: on a busy machine the server may still be shedding load from the run just before.)
    await sleep(2000);
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', { moderation: 'all' }, auth);
    // The reading before is taken after full collections (bench/memory-probe.js): the autocannon run just before
    // leaves the young generation grown, and that would hide what the streams add. The reading after, 5 s after the
    // last stream opened, is taken twice: as the process stands (what `ps` shows; V8 collects when it chooses) and
    // after full collections (what the open streams keep), the figure the target is about.
    await sleep(2000);
    const gcBefore = await collected(server.pid);
    const rssBefore = gcBefore.rss;
    c = clients();
    const t = Date.now();
    c.send({ type: 'open', port, path: '/api/v1/sites/demo/stream?page=%2Fbench%2Flive', n: STREAMS });
    await c.next('opened', 120_000);
    const openMs = Date.now() - t;
    await sleep(5000);
    const rssAfter = rssKb(server.pid);
    const gcAfter = await collected(server.pid);

    const approve = async (i) => {
      const posted = await json(base, 'POST', '/api/v1/sites/demo/comments', { page: '/bench/live', name: `Live ${i}`, email: `live${i}@example.com`, body: `Live comment ${i}` });
      const id = posted.comment.id;
      c.send({ type: 'expect', id, timeoutMs: 10_000 });
      await c.next('expecting', 5000);
      const t0 = now();
      await json(base, 'POST', '/api/v1/sites/demo/moderation/actions', { action: 'approve', ids: [id] }, auth);
      const r = await c.next('arrivals', 15_000);
      return { latencies: r.times.map((x) => x - t0), missing: r.missing };
    };
    const all = [];
    const lastPerApprove = [];
    let missing = 0;
    for (let i = 0; i < APPROVALS; i++) {
      const r = await approve(i);
      all.push(...r.latencies);
      lastPerApprove.push(Math.max(...r.latencies));
      missing += r.missing;
      await sleep(200);
    }
    all.sort((a, b) => a - b);
    lastPerApprove.sort((a, b) => a - b);

    // The thread under load: 5,000 streams open and an approve each second (each one also empties the answer cache).
    let running = true;
    let k = APPROVALS;
    const background = (async () => {
      while (running) {
        const r = await approve(k++);
        missing += r.missing;
        await sleep(1000);
      }
    })();
    const loaded = await measureThread();
    running = false;
    await background;

    const perStream = ((gcAfter.rss - gcBefore.rss) * 1024) / STREAMS;
    const perStreamAsIs = ((rssAfter - rssBefore) * 1024) / STREAMS;
    const kb = (x) => ((x * 1024) / STREAMS / 1024).toFixed(2);
    console.log(`\nMarginalia live-stream benchmark — ${STREAMS} streams from a second process on loopback, Node ${process.version}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
    console.log(`streams opened in ${(openMs / 1000).toFixed(1)} s; server memory per open stream, before and 5 s after they are open:`);
    console.log(`  RSS after full GC    ${Math.round(gcBefore.rss / 1024)} MB → ${Math.round(gcAfter.rss / 1024)} MB: ${(perStream / 1024).toFixed(2)} KB per stream (JS heap ${kb(gcAfter.heap - gcBefore.heap)} KB, external ${kb(gcAfter.external - gcBefore.external)} KB)`);
    console.log(`  RSS as it stands     ${Math.round(rssBefore / 1024)} MB → ${Math.round(rssAfter / 1024)} MB: ${(perStreamAsIs / 1024).toFixed(2)} KB per stream (no GC forced after the streams opened)`);
    console.log(`approve → event on every stream, ${APPROVALS} approvals × ${STREAMS} streams (${all.length} deliveries, ${missing} missing):`);
    console.log(`  per delivery p50 ${pct(all, 50).toFixed(1)} ms, p99 ${pct(all, 99).toFixed(1)} ms; last stream reached p50 ${pct(lastPerApprove, 50).toFixed(1)} ms, max ${lastPerApprove[lastPerApprove.length - 1].toFixed(1)} ms`);
    console.log(`thread GET (100 comments), ${DURATION} s × ${CONNECTIONS} connections:`);
    console.log(`  without streams          ${Math.round(quiet.rps)} req/s, p50 ${quiet.p50} ms, p99 ${quiet.p99} ms, ${quiet.bad} errors`);
    console.log(`  with ${STREAMS} streams + 1 approve/s ${Math.round(loaded.rps)} req/s, p50 ${loaded.p50} ms, p99 ${loaded.p99} ms, ${loaded.bad} errors (${((loaded.rps / quiet.rps) * 100).toFixed(0)}%)`);
    console.log('\nTargets: ≤ 10 KB RSS per stream (after full GC); every stream reached within 1 s (p99); thread GET under load ≥ 60% of its figure without.');
    console.log(
      `per stream ${(perStream / 1024).toFixed(2)} KB ${perStream <= 10 * 1024 ? 'MET' : 'MISSED'}; ` +
        `p99 ${pct(all, 99).toFixed(0)} ms ${pct(all, 99) <= 1000 && missing === 0 ? 'MET' : 'MISSED'}; ` +
        `thread ${((loaded.rps / quiet.rps) * 100).toFixed(0)}% ${loaded.rps >= 0.6 * quiet.rps ? 'MET' : 'MISSED'}`,
    );
  } finally {
    if (c) {
      c.send({ type: 'close' });
      await new Promise((r) => c.child.once('exit', r));
    }
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
