// quick probe: PG server, POST load, sample pg_stat_activity wait events
const crypto = require('node:crypto');
const autocannon = require('autocannon');
const pg = require('pg');
const { startServer, json, benchSettings } = require('/work/wt/pgperf/bench/lib');
(async () => {
  const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_probe_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL }); await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(DATABASE_URL); url.searchParams.set('options', `-c search_path=${schema}`);
  const PUBLIC_URL = 'http://127.0.0.1:1';
  const s = await startServer({ PUBLIC_URL, DATABASE_URL: url.toString(), REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: `probe-${schema}:`, SECRET_KEY: crypto.randomBytes(32).toString('base64') });
  try {
    await json(s.base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, { authorization: `Bearer ${s.token}` });
    const opts = { url: `${s.base}/api/v1/sites/demo/comments`, method: 'POST', headers: { 'content-type': 'application/json', origin: PUBLIC_URL }, idReplacement: true,
      body: JSON.stringify({ page: '/bench/posts', name: 'Load Tester', email: 'load@example.com', body: 'Posting under load, comment [<id>] with *emphasis*.' }) };
    for (const c of [1, 10, 50]) {
      const waits = new Map();
      let stop = false;
      const sampler = (async () => { while (!stop) { const r = await admin.query(`SELECT coalesce(wait_event_type,'CPU')||':'||coalesce(wait_event,'-') AS w, count(*)::int n FROM pg_stat_activity WHERE application_name='marginalia' AND state <> 'idle' GROUP BY 1`); for (const x of r.rows) waits.set(x.w, (waits.get(x.w) ?? 0) + x.n); await new Promise((r) => setTimeout(r, 20)); } })();
      const r = await autocannon({ ...opts, connections: c, duration: 5 });
      stop = true; await sampler;
      console.log(`c=${c}: ${Math.round(r.requests.average)} req/s p50 ${r.latency.p50} p99 ${r.latency.p99} non2xx ${r.non2xx} | waits`, JSON.stringify([...waits].sort((a, b) => b[1] - a[1]).slice(0, 8)));
    }
  } finally { await s.stop(); await admin.query(`DROP SCHEMA ${schema} CASCADE`); await admin.end(); }
})();
