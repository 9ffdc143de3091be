#!/usr/bin/env node
// Bundles the widget (embed/src) into one minified IIFE at dist/embed/embed.js (or the path given as argument).
// The file is written to a temporary name and renamed, so a server reading it never sees half a bundle.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const outfile = path.resolve(process.argv[2] || path.join(root, 'dist/embed/embed.js'));

// CSS is imported as a string (placed in the shadow root as a constructable stylesheet); minify it first.
const minifiedCss = {
  name: 'minified-css-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await esbuild.transform(await fs.promises.readFile(args.path, 'utf8'), {
        loader: 'css',
        minify: true,
        target: ['chrome100', 'firefox100', 'safari15'],
      });
      return { contents: code.trim(), loader: 'text' };
    });
  },
};

esbuild
  .build({
    entryPoints: [path.join(root, 'embed/src/index.ts')],
    outfile,
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    // Browsers with shadow DOM and constructable stylesheets all run ES2022 natively; no helpers needed.
    target: ['es2022'],
    plugins: [minifiedCss],
    legalComments: 'none',
    logLevel: 'warning',
  })
  .then((result) => {
    fs.mkdirSync(path.dirname(outfile), { recursive: true });
    const tmp = `${outfile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, result.outputFiles[0].contents);
    fs.renameSync(tmp, outfile);
  })
  .catch(() => process.exit(1));
