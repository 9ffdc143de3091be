#!/usr/bin/env node
// npm run soak: the built server on a fresh database under 60 s of mixed load — thread reads, counts, posts, the
// moderation queue, moderation actions and reports — twice in a row; prints RSS (peak and after), heap and handle
// counts after each run, so growth from the first run to the second shows. SOAK_SECONDS and SOAK_CLIENTS change it.
'use strict';
const { startServer, json, benchSettings, rssBytes, mb } = require('./lib');

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 16);
const PAGES = 50;

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

async function metrics(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const get = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return {
    rss: get('process_resident_memory_bytes'),
    heapUsed: get('nodejs_heap_size_used_bytes'),
    heapTotal: get('nodejs_heap_size_total_bytes'),
    handles: get('nodejs_active_handles_total'),
    requests: get('nodejs_active_requests_total'),
  };
}

async function main() {
  // SOAK_SERVER_NODE_OPTIONS: V8 flags for the server alone (e.g. a heap cap), not for this load generator.
  const serverOptions = process.env.SOAK_SERVER_NODE_OPTIONS;
  const server = await startServer(serverOptions ? { NODE_OPTIONS: serverOptions } : {});
  const { base, token } = server;
  const auth = { authorization: `Bearer ${token}` };
  try {
    // Posts wait for a moderator, so the load moderates too; limits off so it measures the service.
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', { ...benchSettings, moderation: 'all' }, auth);
    const pending = [];
    const approved = [];
    let seq = 0;
    const post = async (page) => {
      const n = seq++;
      const r = await fetch(`${base}/api/v1/sites/demo/comments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base },
        body: JSON.stringify({
          page,
          name: `Reader ${n % 300}`,
          email: `reader${n % 300}@example.com`,
          body: `Soak comment ${n}: *words* about the article and a [link](https://example.com/${n}).`,
        }),
      });
      const body = await r.json();
      if (r.status === 201) pending.push(body.comment.id);
      return r;
    };
    // Seeding waits out the overload guard's refusals (a busy machine can stall the server's loop).
    const seedPost = async (page) => {
      for (;;) {
        const r = await post(page);
        if (r.status === 201) return;
        if (r.status !== 503) throw new Error(`seed post: ${r.status}`);
        await new Promise((res) => setTimeout(res, 1000));
      }
    };
    for (let p = 0; p < PAGES; p++) for (let i = 0; i < 10; i++) await seedPost(`/soak/${p}`);
    const ids = pending.splice(0);
    await json(base, 'POST', '/api/v1/sites/demo/moderation/actions', { action: 'approve', ids: ids.slice(0, 200) }, auth);
    await json(base, 'POST', '/api/v1/sites/demo/moderation/actions', { action: 'approve', ids: ids.slice(200, 400) }, auth);
    approved.push(...ids.slice(0, 400));
    pending.push(...ids.slice(400));

    const countsQs = Array.from({ length: 10 }, (_, i) => `page=${encodeURIComponent(`/soak/${i}`)}`).join('&');
    const ops = [
      [60, async () => fetch(`${base}/api/v1/sites/demo/comments?page=${encodeURIComponent(`/soak/${Math.floor(Math.random() * PAGES)}`)}`)],
      [10, async () => fetch(`${base}/api/v1/sites/demo/counts?${countsQs}`)],
      [12, () => post(`/soak/${Math.floor(Math.random() * PAGES)}`)],
      [8, async () => fetch(`${base}/api/v1/sites/demo/moderation/comments?status=pending&limit=50`, { headers: auth })],
      [6, async () => {
        const batch = pending.splice(0, 5);
        if (!batch.length) return { status: 200 };
        const action = Math.random() < 0.7 ? 'approve' : pick(['reject', 'spam']);
        const r = await fetch(`${base}/api/v1/sites/demo/moderation/actions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ action, ids: batch }) });
        if (action === 'approve') approved.push(...batch);
        if (approved.length > 2000) approved.splice(0, approved.length - 2000);
        return r;
      }],
      [4, async () => fetch(`${base}/api/v1/comments/${pick(approved)}/reports`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ reason: pick(['spam', 'abuse', 'off-topic', 'other']) }) })],
    ];
    const totalWeight = ops.reduce((n, [w]) => n + w, 0);
    const choose = () => {
      let r = Math.random() * totalWeight;
      for (const [w, f] of ops) if ((r -= w) < 0) return f;
      return ops[0][1];
    };

    console.log(`\nMarginalia soak — ${SECONDS} s of mixed load, ${CLIENTS} clients, twice; Node ${process.version}; server NODE_OPTIONS: ${serverOptions ?? '(none)'}`);
    console.log('mix: 60% thread reads, 10% counts, 12% posts, 8% moderation queue, 6% moderation actions, 4% reports\n');
    const results = [];
    for (let run = 1; run <= 2; run++) {
      let done = 0;
      let serverErrors = 0;
      let overloaded = 0;
      let otherErrors = 0;
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(server.pid))), 500);
      const until = Date.now() + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (Date.now() < until) {
            try {
              const r = await choose()();
              if (r.arrayBuffer && !r.bodyUsed) await r.arrayBuffer();
              // The overload guard's 503 is the service protecting itself, counted apart from failures.
              if (r.status === 503 && r.headers?.get('retry-after')) overloaded++;
              else if (r.status >= 500) serverErrors++;
              else if (r.status >= 400) otherErrors++;
            } catch {
              serverErrors++;
            }
            done++;
          }
        }),
      );
      clearInterval(sampler);
      await new Promise((r) => setTimeout(r, 2000));
      const m = await metrics(base);
      results.push({ run, done, serverErrors, otherErrors, peak, ...m });
      console.log(
        `run ${run}: ${done.toLocaleString('en')} requests (${Math.round(done / SECONDS)}/s), 5xx or failed ${serverErrors}, overload 503s ${overloaded}, other 4xx ${otherErrors}; ` +
          `RSS peak ${mb(peak)}, after ${mb(m.rss)}; heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}; handles ${m.handles}, active requests ${m.requests}`,
      );
    }
    const [a, b] = results;
    const growth = b.rss - a.rss;
    console.log(`\nRSS after run 2 − after run 1: ${(growth / 1024 / 1024).toFixed(1)} MB; peak RSS ${mb(Math.max(a.peak, b.peak))} (target ≤ 120 MB: ${Math.max(a.peak, b.peak) <= 120 * 1024 * 1024 ? 'MET' : 'MISSED'})`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
