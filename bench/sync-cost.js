#!/usr/bin/env node
// What `synchronous` costs: one-row write transactions per second in WAL mode at NORMAL (the service's choice) and
// FULL, on a temp file on this disk. node bench/sync-cost.js
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');

const N = Number(process.env.SYNC_COST_WRITES ?? 2000);
const dir = fs.mkdtempSync(path.join(process.env.SYNC_COST_DIR ?? os.tmpdir(), 'marginalia-sync-'));
try {
  for (const level of ['NORMAL', 'FULL']) {
    const db = new Database(path.join(dir, `${level}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${level}`);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const write = db.transaction((b) => insert.run(b));
    const body = 'x'.repeat(400);
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) write(body);
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(`synchronous=${level.padEnd(6)} ${Math.round(N / s).toLocaleString('en')} commits/s (${((s / N) * 1000).toFixed(3)} ms each, ${N} commits)`);
    db.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
