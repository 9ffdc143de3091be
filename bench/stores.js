// npm run bench: the built server on a temp database, a page of 100 approved comments, autocannon (10 s, 50
// connections) against the thread, /healthz (the floor), counts, POST, and the thread again as another site's
// page asks for it (with an Origin, which the install check looks at). Prints req/s, p50, p99 and ratios.
//
// Run by bench/run.js for --store. npm run bench -- --store postgres [--replicas 2]: the standard run on SQLite,
// then the same thread, counts and POST on PostgreSQL (a fresh
// schema of BENCH_DATABASE_URL, with Redis at BENCH_REDIS_URL) with one replica, and with two replicas sharing
// the load (two load generators, half the connections each), with ratios to the SQLite figures of the same run.
'use strict';
const crypto = require('node:crypto');
const autocannon = require('autocannon');
const { startServer, json, benchSettings } = require('./lib');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const store = arg('store') ?? 'sqlite';
const replicas = Number(arg('replicas') ?? 1);
if (!['sqlite', 'postgres'].includes(store)) throw new Error('--store is sqlite or postgres');
if (!(replicas >= 1 && replicas <= 4)) throw new Error('--replicas is 1 to 4');

function run(opts) {
  return autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
}

/** The same load spread over every replica: one autocannon per replica, the connections shared out, figures added. */
async function runSpread(bases, opts) {
  const each = Math.max(1, Math.floor(CONNECTIONS / bases.length));
  const rs = await Promise.all(bases.map((base) => autocannon({ connections: each, duration: DURATION, ...opts(base) })));
  return {
    requests: { average: rs.reduce((n, r) => n + r.requests.average, 0) },
    latency: { p50: Math.max(...rs.map((r) => r.latency.p50)), p99: Math.max(...rs.map((r) => r.latency.p99)) },
    '2xx': rs.reduce((n, r) => n + r['2xx'], 0),
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    timeouts: rs.reduce((n, r) => n + r.timeouts, 0),
  };
}

async function seed(base, token) {
  await json(base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, { authorization: `Bearer ${token}` });
  // 100 approved comments on one page: 60 top-level, 40 replies.
  const ids = [];
  for (let i = 0; i < 100; i++) {
    const parentId = i >= 60 ? ids[i % 60] : undefined;
    const r = await json(base, 'POST', '/api/v1/sites/demo/comments', {
      page: '/bench/article',
      pageTitle: 'Benchmark article',
      name: `Reader ${i}`,
      email: `reader${i}@example.com`,
      body: `Comment ${i}: a paragraph with *emphasis*, some \`code\` and a [link](https://example.com/${i}).\n\nA second paragraph to make it realistic.`,
      ...(parentId ? { parentId } : {}),
    });
    ids.push(r.comment.id);
  }
  const thread = await json(base, 'GET', '/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200');
  if (thread.comments.length !== 100) throw new Error(`expected 100 comments, got ${thread.comments.length}`);
}

const countsQuery = Array.from({ length: 20 }, (_, i) => `page=${encodeURIComponent(i === 0 ? '/bench/article' : `/bench/other-${i}`)}`).join('&');
const threadPath = '/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200';
// The public address every replica of one deployment shares; the demo site accepts writes from it.
const PUBLIC_URL = 'http://127.0.0.1:1';
const postOpts = (base) => ({
  url: `${base}/api/v1/sites/demo/comments`,
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: PUBLIC_URL },
  idReplacement: true,
  body: JSON.stringify({ page: '/bench/posts', name: 'Load Tester', email: 'load@example.com', body: 'Posting under load, comment [<id>] with *emphasis*.' }),
});

function summary(r) {
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], bad: r.non2xx + r.errors + r.timeouts };
}

/** Thread, counts and POST on servers already seeded; the load is spread over all of them. */
async function measureCore(bases) {
  const measured = (opts) => (bases.length === 1 ? run(opts(bases[0])) : runSpread(bases, opts));
  // A second on every replica first, as bench/run.js does: each figure starts with its code compiled and optimised.
  const spread = async (opts) => {
    await Promise.all(bases.map((b) => autocannon({ connections: Math.max(1, Math.floor(CONNECTIONS / bases.length)), duration: 1, ...opts(b) })));
    return measured(opts);
  };
  return {
    thread: summary(await spread((b) => ({ url: b + threadPath }))),
    counts: summary(await spread((b) => ({ url: `${b}/api/v1/sites/demo/counts?${countsQuery}` }))),
    post: summary(await spread(postOpts)),
  };
}

async function sqliteRun() {
  const server = await startServer({ PUBLIC_URL });
  const { base, token } = server;
  try {
    await seed(base, token);
    const results = [];
    const measure = async (name, opts) => results.push({ name, ...summary(await run(opts)) });
    await measure('GET /healthz (floor)', { url: `${base}/healthz` });
    const core = await measureCore([base]);
    results.push({ name: 'GET thread (100 comments)', ...core.thread }, { name: 'GET counts (20 pages)', ...core.counts }, { name: 'POST comment', ...core.post });
    // As a reader's browser on another site asks: with an Origin, which the install check looks at.
    await measure('GET thread, cross-origin', { url: base + threadPath, headers: { origin: 'https://blog.example' } });
    return { results, core };
  } finally {
    await server.stop();
  }
}

async function postgresRun(n) {
  const pg = require('pg');
  const schema = `bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const env = {
    PUBLIC_URL,
    DATABASE_URL: url.toString(),
    REDIS_URL,
    REDIS_PREFIX: `marginalia-bench-${schema}:`,
    SECRET_KEY: crypto.randomBytes(32).toString('base64'),
  };
  const servers = [];
  try {
    servers.push(await startServer(env));
    for (let i = 1; i < n; i++) servers.push(await startServer(env, { readToken: false }));
    await seed(servers[0].base, servers[0].token);
    return await measureCore(servers.map((s) => s.base));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    const { Redis } = require('ioredis');
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${env.REDIS_PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
}

const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);
const pct = (x) => (x * 100).toFixed(0) + '%';

async function main() {
  const { results, core: sq } = await sqliteRun();
  const floor = results[0].rps;
  console.log(`\nMarginalia benchmark — ${DURATION} s, ${CONNECTIONS} connections, Node ${process.version}\n`);
  console.log(`${pad('endpoint', 28)}${padl('req/s', 10)}${padl('p50 ms', 9)}${padl('p99 ms', 9)}${padl('vs floor', 10)}${padl('2xx', 10)}${padl('errors', 8)}`);
  for (const r of results)
    console.log(`${pad(r.name, 28)}${padl(Math.round(r.rps), 10)}${padl(r.p50, 9)}${padl(r.p99, 9)}${padl(pct(r.rps / floor), 10)}${padl(r.ok, 10)}${padl(r.bad, 8)}`);
  const [, t, c, p] = results;
  console.log('\nTargets: thread ≥ 60% of floor with p99 ≤ 50 ms; counts ≥ 60% of floor; POST ≥ 1,500/s.');
  console.log(`thread ${pct(t.rps / floor)} p99 ${t.p99} ms ${t.rps >= 0.6 * floor && t.p99 <= 50 ? 'MET' : 'MISSED'}; ` +
    `counts ${pct(c.rps / floor)} ${c.rps >= 0.6 * floor ? 'MET' : 'MISSED'}; ` +
    `POST ${Math.round(p.rps)}/s ${p.rps >= 1500 ? 'MET' : 'MISSED'}`);
  if (store !== 'postgres') return;

  const runs = [{ name: 'SQLite, 1 process', core: sq }, { name: 'PostgreSQL + Redis, 1 replica', core: await postgresRun(1) }];
  if (replicas > 1) runs.push({ name: `PostgreSQL + Redis, ${replicas} replicas`, core: await postgresRun(replicas) });
  console.log(`\nStores — thread, counts and POST, same run (req/s, p99 ms, ratio to SQLite)\n`);
  console.log(`${pad('', 34)}${padl('thread', 10)}${padl('p99', 6)}${padl('ratio', 7)}${padl('counts', 10)}${padl('p99', 6)}${padl('ratio', 7)}${padl('POST', 8)}${padl('p99', 6)}${padl('ratio', 7)}${padl('errors', 8)}`);
  for (const r of runs) {
    const k = r.core;
    const bad = k.thread.bad + k.counts.bad + k.post.bad;
    console.log(
      `${pad(r.name, 34)}${padl(Math.round(k.thread.rps), 10)}${padl(k.thread.p99, 6)}${padl(pct(k.thread.rps / sq.thread.rps), 7)}` +
        `${padl(Math.round(k.counts.rps), 10)}${padl(k.counts.p99, 6)}${padl(pct(k.counts.rps / sq.counts.rps), 7)}` +
        `${padl(Math.round(k.post.rps), 8)}${padl(k.post.p99, 6)}${padl(pct(k.post.rps / sq.post.rps), 7)}${padl(bad, 8)}`,
    );
  }
  console.log('\nTargets: thread on PostgreSQL ≥ 80% of SQLite with every replica count; POST on PostgreSQL ≥ 50% of SQLite.');
  for (const r of runs.slice(1)) {
    const tr = r.core.thread.rps / sq.thread.rps;
    const pr = r.core.post.rps / sq.post.rps;
    console.log(`${r.name}: thread ${pct(tr)} ${tr >= 0.8 ? 'MET' : 'MISSED'}; POST ${pct(pr)} ${pr >= 0.5 ? 'MET' : 'MISSED'}`);
  }
}

module.exports = main;
