#!/usr/bin/env node
// Bundles the widget (embed/src) into one minified IIFE at dist/embed/embed.js.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
esbuild
  .build({
    entryPoints: [path.join(root, 'embed/src/index.ts')],
    outfile: path.join(root, 'dist/embed/embed.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2019'],
    // CSS is imported as a string and placed in the shadow root.
    loader: { '.css': 'text' },
    legalComments: 'none',
    logLevel: 'warning',
  })
  .catch(() => process.exit(1));
