#!/usr/bin/env node
// npm run bench -- --round-trips: one server on PostgreSQL + Redis; counts the queries and Redis commands each
// request sends (POST of a comment, a cached thread read, a cached counts read), by statement, per request.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, json, benchSettings } = require('./lib');

const DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const N = 200;

async function main() {
  const pg = require('pg');
  const schema = `bench_rt_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const file = path.join(os.tmpdir(), `marginalia-round-trips-${schema}.json`);
  const env = { DATABASE_URL: url.toString(), REDIS_URL, REDIS_PREFIX: `marginalia-bench-${schema}:`, SECRET_KEY: crypto.randomBytes(32).toString('base64'), ROUND_TRIPS_FILE: file };
  const server = await startServer(env, { nodeArgs: ['--require', path.join(__dirname, 'count-round-trips.js')] });
  const { base, token } = server;
  const tally = async () => {
    process.kill(server.pid, 'SIGUSR2');
    for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 20));
    const t = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.rmSync(file);
    return t;
  };
  const show = (what, t) => {
    const entries = Object.entries(t).sort((a, b) => b[1] - a[1]);
    const total = (p) => entries.filter(([k]) => k.startsWith(p)).reduce((n, [, v]) => n + v, 0) / N;
    console.log(`\n${what}: ${total('pg ').toFixed(2)} PostgreSQL queries and ${total('redis ').toFixed(2)} Redis commands per request`);
    for (const [k, v] of entries) console.log(`  ${(v / N).toFixed(2).padStart(6)}  ${k}`);
  };
  try {
    await json(base, 'PATCH', '/api/v1/sites/demo/settings', benchSettings, { authorization: `Bearer ${token}` });
    const post = (i) => json(base, 'POST', '/api/v1/sites/demo/comments', { page: '/bench/article', pageTitle: 'Benchmark article', name: 'Load Tester', email: 'load@example.com', body: `Comment ${i}.` });
    await post(-1); // the page exists from here on, as it does for nearly every post
    await tally();
    for (let i = 0; i < N; i++) await post(i);
    show('POST comment', await tally());
    const read = (p) => fetch(base + p).then((r) => r.text());
    const thread = '/api/v1/sites/demo/comments?page=%2Fbench%2Farticle&limit=200';
    await read(thread);
    await tally();
    for (let i = 0; i < N; i++) await read(thread);
    show('GET thread (cached)', await tally());
    const counts = '/api/v1/sites/demo/counts?page=%2Fbench%2Farticle&page=%2Fother';
    await read(counts);
    await tally();
    for (let i = 0; i < N; i++) await read(counts);
    show('GET counts (cached)', await tally());
  } finally {
    await server.stop();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

module.exports = main;
