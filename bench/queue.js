#!/usr/bin/env node
// npm run bench:queue: one site with 1,000,000 comments; times the first and the 50th page of the pending queue.
// npm run bench:queue -- --store postgres: the same on PostgreSQL (a fresh schema of BENCH_DATABASE_URL).
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib');

const COUNT = Number(process.env.QUEUE_COMMENTS ?? 1_000_000);
const SAMPLES = 50;

async function timeGet(url, token) {
  const t = process.hrtime.bigint();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const postgres = process.argv.includes('--store') && process.argv[process.argv.indexOf('--store') + 1] === 'postgres';
const DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-queue-'));
  const secret = crypto.randomBytes(32).toString('base64');
  const env = { DATA_DIR: dataDir, SECRET_KEY: secret };
  let dropSchema = async () => {};
  if (postgres) {
    const pg = require('pg');
    const schema = `bench_queue_${crypto.randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.DATABASE_URL = url.toString();
    dropSchema = async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    };
  }
  const seeder = postgres ? 'seed-queue-postgres.js' : 'seed-queue.js';
  execFileSync(process.execPath, [path.join(__dirname, seeder), String(COUNT)], { env: { ...process.env, ...env }, stdio: 'inherit' });
  const server = await startServer(env);
  try {
    const q = `${server.base}/api/v1/sites/queue-bench/moderation/comments?status=pending&limit=50`;
    // Walk to the 50th page once, keeping its cursor.
    let cursor = null;
    for (let page = 1; page < 50; page++) {
      const { body } = await timeGet(cursor ? `${q}&cursor=${cursor}` : q, server.token);
      cursor = body.nextCursor;
    }
    const first = [];
    const fiftieth = [];
    let counts;
    for (let i = 0; i < SAMPLES; i++) {
      const a = await timeGet(q, server.token);
      first.push(a.ms);
      counts = a.body.counts;
      fiftieth.push((await timeGet(`${q}&cursor=${cursor}`, server.token)).ms);
    }
    console.log(`\nModeration queue on ${postgres ? 'PostgreSQL' : 'SQLite'}, one site with ${COUNT.toLocaleString('en')} comments (${counts.pending.toLocaleString('en')} pending), 50 per page, ${SAMPLES} samples each`);
    console.log(`first page:  p50 ${pct(first, 50).toFixed(1)} ms  p99 ${pct(first, 99).toFixed(1)} ms`);
    console.log(`50th page:   p50 ${pct(fiftieth, 50).toFixed(1)} ms  p99 ${pct(fiftieth, 99).toFixed(1)} ms`);
    console.log(`target p50 ≤ 20 ms: ${pct(first, 50) <= 20 && pct(fiftieth, 50) <= 20 ? 'MET' : 'MISSED'}`);
  } finally {
    await server.stop();
    await dropSchema();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
