// The widget's size budget: dist/embed/embed.js (CSS included) must stay at or under 10 KiB after gzip -9.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.join(__dirname, '../..');
const bundle = path.join(root, 'dist/embed/embed.js');
const BUDGET = 10 * 1024;

beforeAll(() => {
  // Build from the current sources so the number is never stale (npm test's pretest builds too).
  execFileSync(process.execPath, [path.join(root, 'scripts/build-embed.js')], { cwd: root, stdio: 'inherit' });
});

test('the gzipped widget bundle, CSS included, fits the 10 KiB budget', () => {
  const raw = fs.readFileSync(bundle);
  const gzipped = zlib.gzipSync(raw, { level: 9 }).length;
  // The stylesheet is inside the one file, not fetched separately.
  expect(raw.toString()).toContain(':host{');
  expect(gzipped).toBeLessThanOrEqual(BUDGET);
});

test('the bundle is one minified IIFE with no source map or external import', () => {
  const src = fs.readFileSync(bundle, 'utf8');
  expect(src.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
  expect(src).not.toMatch(/sourceMappingURL|\bimport\s*\(|\brequire\(/);
  expect(src.trimStart().startsWith('"use strict";(()=>{') || src.trimStart().startsWith('(()=>{')).toBe(true);
});

test('the widget sources typecheck against the DOM library (embed/tsconfig.json; esbuild does not typecheck)', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  // Throws, failing the test, with tsc's report when there is a type error.
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'embed/tsconfig.json')], { cwd: root, encoding: 'utf8' });
}, 60_000);
