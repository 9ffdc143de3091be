#!/usr/bin/env node
// npm run bench:import: generated Disqus exports of 20,000 and 200,000 comments, each imported by the built CLI into
// a fresh database; prints comments/s (by the clock and per CPU-second) and the peak RSS of each run, their ratio,
// and a second run of the large one.
// `-- --store postgres`: into a fresh schema of BENCH_DATABASE_URL (else TEST_DATABASE_URL) each instead of SQLite.
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CLI = path.join(__dirname, '../dist/src/cli/index.js');
const DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const storeAt = process.argv.indexOf('--store');
const STORE = storeAt < 0 ? 'sqlite' : process.argv[storeAt + 1];
if (!['sqlite', 'postgres'].includes(STORE)) throw new Error('--store is sqlite or postgres');
const SMALL = Number(process.env.IMPORT_SMALL ?? 20_000);
const LARGE = Number(process.env.IMPORT_LARGE ?? 200_000);

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * A Disqus export of `count` posts on count/20 threads: a third are replies (some placed before their parent), a few
 * deleted or spam, HTML bodies of a few sentences, every author with an e-mail and an address. Written as a stream.
 */
function generate(file, count) {
  const fd = fs.openSync(file, 'w');
  let buf = '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n';
  const flush = (force) => {
    if (force || buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  };
  const threads = Math.max(1, Math.floor(count / 20));
  for (let t = 0; t < threads; t++) {
    buf += `<thread dsq:id="t${t}"><id>post-${t}</id><forum>bench</forum><link>https://bench.example/${2000 + (t % 20)}/post-${t}/</link><title>${esc(`Post number ${t} & more`)}</title><createdAt>2015-01-01T00:00:00Z</createdAt><isClosed>false</isClosed><isDeleted>false</isDeleted></thread>\n`;
    flush();
  }
  const base = Date.parse('2015-01-02T00:00:00Z');
  let pending = null;
  for (let i = 0; i < count; i++) {
    const thread = i % threads;
    // Every third post replies to the post that came 3 before it on the same thread.
    const parent = i % 3 === 2 && i >= threads * 3 ? i - threads * 3 : null;
    const flags = `<isDeleted>${i % 97 === 0}</isDeleted><isSpam>${i % 89 === 0}</isSpam>`;
    const post = `<post dsq:id="p${i}"><id/><message><![CDATA[<p>Comment ${i}: ${crypto.randomBytes(24).toString('base64')} is what I think about <b>this</b>.</p><p>Second paragraph with <a href="https://example.com/${i}">a link</a>.</p>]]></message><createdAt>${new Date(base + i * 60_000).toISOString()}</createdAt>${flags}<author><email>reader${i % 5000}@example.com</email><name>Reader ${i % 5000}</name><isAnonymous>false</isAnonymous></author><ipAddress>198.51.${(i >> 8) & 255}.${i & 255}</ipAddress><thread dsq:id="t${thread}"/>${parent === null ? '' : `<parent dsq:id="p${parent}"/>`}</post>\n`;
    // One in ten replies is written before the post that came just before it: parents need not come first.
    if (pending === null && i % 30 === 2) pending = post;
    else {
      buf += post;
      if (pending) {
        buf += pending;
        pending = null;
      }
    }
    flush();
  }
  if (pending) buf += pending;
  buf += '</disqus>\n';
  flush(true);
  fs.closeSync(fd);
}

/** psql-free schema handling: one short node process with pg, so this script stays synchronous. */
function pgRun(sql) {
  const code = `const pg = require('pg'); const c = new pg.Client({ connectionString: ${JSON.stringify(DATABASE_URL)} });
    c.connect().then(() => c.query(${JSON.stringify(sql)})).then(() => c.end()).catch((e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PostgreSQL: ${r.stderr}`);
}

function schemaUrl(name) {
  const u = new URL(DATABASE_URL);
  u.searchParams.set('options', `-c search_path=${name}`);
  return u.toString();
}

function importOnce(file, dataDir, databaseUrl) {
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  if (!databaseUrl) delete env.DATABASE_URL;
  const runner = `const { performance } = require('node:perf_hooks'); const t = performance.now();
    process.argv = [process.argv[0], 'marginalia.js', 'import', 'disqus', ${JSON.stringify(file)}, '--site', 'bench', '--create-site'];
    process.on('exit', () => process.stderr.write('\\nBENCH ' + JSON.stringify({ ms: performance.now() - t, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000, maxRssKiB: process.resourceUsage().maxRSS }) + '\\n'));
    require(${JSON.stringify(CLI)});`;
  // IMPORT_CPU_PROF=dir writes a V8 CPU profile of each import run there (open it in Chrome's DevTools).
  const prof = process.env.IMPORT_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.IMPORT_CPU_PROF] : [];
  const r = spawnSync(process.execPath, [...prof, '-e', runner], { env, encoding: 'utf8', timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`import failed (${r.status}): ${r.stderr}`);
  const m = /BENCH (\{.*\})/.exec(r.stderr);
  return { ...JSON.parse(m[1]), summary: r.stdout.trim().split('\n')[0] };
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-bench-import-'));
  const schemas = [];
  console.log(`store: ${STORE}`);
  try {
    const results = {};
    for (const n of [SMALL, LARGE]) {
      const file = path.join(dir, `disqus-${n}.xml`);
      generate(file, n);
      const dataDir = path.join(dir, `data-${n}`);
      let url = null;
      if (STORE === 'postgres') {
        const name = `bench_import_${process.pid}_${n}`;
        pgRun(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`);
        schemas.push(name);
        url = schemaUrl(name);
      }
      const first = importOnce(file, dataDir, url);
      results[n] = first;
      console.log(`${n.toLocaleString('en')} comments (${(fs.statSync(file).size / 1e6).toFixed(1)} MB): ${(first.ms / 1000).toFixed(1)} s, ` +
        `${Math.round(n / (first.ms / 1000)).toLocaleString('en')} comments/s, peak RSS ${(first.maxRssKiB / 1024).toFixed(0)} MB` +
        ` (CPU ${(first.cpuMs / 1000).toFixed(1)} s: ${Math.round(n / (first.cpuMs / 1000)).toLocaleString('en')} comments per CPU-second, the figure a busy machine disturbs least)`);
      console.log(`  ${first.summary}`);
      if (n === LARGE) {
        const second = importOnce(file, dataDir, url);
        console.log(`  second run: ${(second.ms / 1000).toFixed(1)} s — ${second.summary}`);
      }
    }
    console.log(`peak RSS ratio ${LARGE.toLocaleString('en')} / ${SMALL.toLocaleString('en')}: ${(results[LARGE].maxRssKiB / results[SMALL].maxRssKiB).toFixed(2)}×`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const name of schemas) pgRun(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  }
}

if (require.main === module) main();
module.exports = { generate };
