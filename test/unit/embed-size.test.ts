// The size budgets: the widget bundle of embed/src (CSS included) at or under 12 KiB after gzip -9, count.js at or
// under 1.5 KiB.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.join(__dirname, '../..');
// Built from the current sources into a private file: never stale, and never racing the browser tests' copy.
const bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-embed-')), 'embed.js');
const BUDGET = 12 * 1024;
const COUNT_BUDGET = 1536;

beforeAll(() => {
  execFileSync(process.execPath, [path.join(root, 'scripts/build-embed.js'), bundle], { cwd: root, stdio: 'inherit' });
});
afterAll(() => {
  fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
});

test('the gzipped widget bundle, CSS included, fits the 12 KiB budget', () => {
  const raw = fs.readFileSync(bundle);
  const gzipped = zlib.gzipSync(raw, { level: 9 }).length;
  process.stdout.write(`embed.js: ${raw.length} bytes minified, ${gzipped} bytes gzip -9 (budget ${BUDGET})\n`);
  // The stylesheet is inside the one file, not fetched separately.
  expect(raw.toString()).toContain(':host{');
  expect(gzipped).toBeLessThanOrEqual(BUDGET);
});

test('count.js, built beside it, fits the 1.5 KiB budget and carries the count words of every language', () => {
  const raw = fs.readFileSync(path.join(path.dirname(bundle), 'count.js'));
  const gzipped = zlib.gzipSync(raw, { level: 9 }).length;
  process.stdout.write(`count.js: ${raw.length} bytes minified, ${gzipped} bytes gzip -9 (budget ${COUNT_BUDGET})\n`);
  expect(gzipped).toBeLessThanOrEqual(COUNT_BUDGET);
  for (const word of ['{n} Comments', '{n} Kommentare', '{n} commentaires', '{n} comentarios']) expect(raw.toString()).toContain(word);
});

test('the bundle is one minified IIFE with no source map or external import', () => {
  const src = fs.readFileSync(bundle, 'utf8');
  expect(src.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
  expect(src).not.toMatch(/sourceMappingURL|\bimport\s*\(|\brequire\(/);
  expect(src.trimStart().startsWith('"use strict";(()=>{') || src.trimStart().startsWith('(()=>{')).toBe(true);
});

test('the widget sources typecheck against the DOM library (embed/tsconfig.json; esbuild does not typecheck)', () => {
  // The API types it imports are generated from the OpenAPI document (as `npm run typecheck` does first).
  execFileSync(process.execPath, [path.join(root, 'scripts/api-types.js')], { cwd: root, stdio: 'inherit' });
  const tsc = require.resolve('typescript/bin/tsc');
  // Throws, failing the test, with tsc's report when there is a type error.
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'embed/tsconfig.json')], { cwd: root, encoding: 'utf8' });
}, 60_000);
