#!/usr/bin/env node
// npm run bench: the built server on a temp database, a page of 100 approved comments, autocannon (10 s, 50
// connections) against the thread, /healthz (the floor), counts, POST, and the thread again as another site's
// page asks for it (with an Origin, which the install check looks at). Prints req/s, p50, p99 and ratios.
// With --large: the same reads on 100 and on 1,000,000 comments, side by side (bench/large.js).
'use strict';
const autocannon = require('autocannon');
const { startServer, json, benchSettings } = require('./lib');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

function run(opts) {
  return autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
}

async function main() {
  const server = await startServer();
  const { base, token } = server;
  try {
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
    const countsQuery = Array.from({ length: 20 }, (_, i) => `page=${encodeURIComponent(i === 0 ? '/bench/article' : `/bench/other-${i}`)}`).join('&');

    const results = [];
    const measure = async (name, opts) => {
      const r = await run(opts);
      const ok = r['2xx'];
      const bad = r.non2xx + r.errors + r.timeouts;
      results.push({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok, bad });
    };
    await measure('GET /healthz (floor)', { url: `${base}/healthz` });
    await measure('GET thread (100 comments)', { url: `${base}/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200` });
    await measure('GET counts (20 pages)', { url: `${base}/api/v1/sites/demo/counts?${countsQuery}` });
    await measure('POST comment', {
      url: `${base}/api/v1/sites/demo/comments`,
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      idReplacement: true,
      body: JSON.stringify({
        page: '/bench/posts',
        name: 'Load Tester',
        email: 'load@example.com',
        body: 'Posting under load, comment [<id>] with *emphasis*.',
      }),
    });
    // As a reader's browser on another site asks: with an Origin, which the install check looks at.
    await measure('GET thread, cross-origin', {
      url: `${base}/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200`,
      headers: { origin: 'https://blog.example' },
    });

    const floor = results[0].rps;
    const pad = (s, n) => String(s).padEnd(n);
    const padl = (s, n) => String(s).padStart(n);
    console.log(`\nMarginalia benchmark — ${DURATION} s, ${CONNECTIONS} connections, Node ${process.version}\n`);
    console.log(`${pad('endpoint', 28)}${padl('req/s', 10)}${padl('p50 ms', 9)}${padl('p99 ms', 9)}${padl('vs floor', 10)}${padl('2xx', 10)}${padl('errors', 8)}`);
    for (const r of results)
      console.log(
        `${pad(r.name, 28)}${padl(Math.round(r.rps), 10)}${padl(r.p50, 9)}${padl(r.p99, 9)}${padl(((r.rps / floor) * 100).toFixed(0) + '%', 10)}${padl(r.ok, 10)}${padl(r.bad, 8)}`,
      );
    const [, t, c, p] = results;
    console.log('\nTargets: thread ≥ 60% of floor with p99 ≤ 50 ms; counts ≥ 60% of floor; POST ≥ 1,500/s.');
    console.log(`thread ${(t.rps / floor * 100).toFixed(0)}% p99 ${t.p99} ms ${t.rps >= 0.6 * floor && t.p99 <= 50 ? 'MET' : 'MISSED'}; ` +
      `counts ${(c.rps / floor * 100).toFixed(0)}% ${c.rps >= 0.6 * floor ? 'MET' : 'MISSED'}; ` +
      `POST ${Math.round(p.rps)}/s ${p.rps >= 1500 ? 'MET' : 'MISSED'}`);
  } finally {
    await server.stop();
  }
}

(process.argv.includes('--large') ? require('./large').runLarge() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
