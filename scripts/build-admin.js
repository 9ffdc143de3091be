#!/usr/bin/env node
// Bundles the moderation UI (admin/src) into dist/admin/admin.js; its HTML, CSS and icon are copied beside it.
// Each file is written to a temporary name and renamed, so a running server (or a test) never reads half a file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist/admin');
fs.mkdirSync(out, { recursive: true });
const writeAtomically = (file, contents) => {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
};
for (const f of ['index.html', 'admin.css', 'favicon.svg']) {
  const src = path.join(root, 'admin', f);
  if (fs.existsSync(src)) writeAtomically(path.join(out, f), fs.readFileSync(src));
}
esbuild
  .build({
    entryPoints: [path.join(root, 'admin/src/index.ts')],
    outfile: path.join(out, 'admin.js'),
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    legalComments: 'none',
    logLevel: 'warning',
  })
  .then((result) => writeAtomically(path.join(out, 'admin.js'), result.outputFiles[0].contents))
  .catch(() => process.exit(1));
