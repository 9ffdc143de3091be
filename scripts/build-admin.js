#!/usr/bin/env node
// Bundles the moderation UI (admin/src) into dist/admin/admin.js; its HTML and CSS are copied beside it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist/admin');
fs.mkdirSync(out, { recursive: true });
for (const f of ['index.html', 'admin.css']) {
  const src = path.join(root, 'admin', f);
  if (fs.existsSync(src)) fs.copyFileSync(src, path.join(out, f));
}
esbuild
  .build({
    entryPoints: [path.join(root, 'admin/src/index.ts')],
    outfile: path.join(out, 'admin.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
  })
  .catch(() => process.exit(1));
