#!/usr/bin/env node
// node bench/write-path.js [N] [ROOT]: the write path without HTTP — CommentService.post N times (5,000 unless told)
// on a temp database of the built server in ROOT (this checkout unless told), after 500 to warm up. Prints wall
// and CPU time per comment; CPU time is what to compare on a shared machine.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const N = Number(process.argv[2] ?? 5000);
const root = path.resolve(process.argv[3] ?? path.join(__dirname, '..'));
const { loadConfig } = require(path.join(root, 'dist/src/config'));
const { openStore } = require(path.join(root, 'dist/src/store'));
const { deriveKeys, Privacy } = require(path.join(root, 'dist/src/domain/privacy'));
const { buildServices } = require(path.join(root, 'dist/src/app'));
const { loadOrCreateSecretKey } = require(path.join(root, 'dist/src/bootstrap'));

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-write-path-'));
  const config = loadConfig({ DATA_DIR: dir });
  const repos = openStore(config.databasePath);
  try {
    const services = buildServices({ repos, privacy: new Privacy(deriveKeys(loadOrCreateSecretKey(config))) });
    const { site } = await services.sites.ensureDemo(Date.now());
    // As the HTTP benchmark sets them: every check runs, none holds the comment.
    await repos.sites.update('demo', { settings: { ...site.settings, moderation: 'none', minSubmitSeconds: 0, floodSeconds: 0, maxLinks: 0 } });
    const post = (i) =>
      services.comments.post(
        'demo',
        { page: '/bench/posts', name: 'Load Tester', email: 'load@example.com', body: `Posting under load, comment [${i}] with *emphasis*.` },
        { ip: '127.0.0.1', userAgent: 'autocannon' },
        Date.now(),
      );
    for (let i = 0; i < 500; i++) await post(-i - 1);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await post(i);
    const wall = Number(process.hrtime.bigint() - t0) / 1000 / N;
    const c = process.cpuUsage(c0);
    console.log(
      `CommentService.post: ${wall.toFixed(0)} µs wall, ${((c.user + c.system) / N).toFixed(0)} µs CPU ` +
        `(user ${(c.user / N).toFixed(0)}, system ${(c.system / N).toFixed(0)}) per comment, ${N} comments; load average ${os.loadavg()[0].toFixed(2)}`,
    );
  } finally {
    await repos.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
