#!/usr/bin/env node
// Bundles the widget (embed/src) into one minified IIFE at dist/embed/embed.js (or the path given as argument),
// and the comment-count script (embed/src/count.ts) beside it as count.js.
// Beside it goes the stylesheet under a content-hashed name (widget.<hash>.css), for browsers without
// constructable stylesheets. Files are written to a temporary name and renamed, so a server reading them
// never sees half a file.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const outfile = path.resolve(process.argv[2] || path.join(root, 'dist/embed/embed.js'));
const target = ['chrome100', 'firefox100', 'safari15'];

const writeAtomically = (file, contents) => {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
};

async function build() {
  const source = await fs.promises.readFile(path.join(root, 'embed/src/widget.css'), 'utf8');
  const css = (await esbuild.transform(source, { loader: 'css', minify: true, target })).code.trim();
  const cssFile = `widget.${crypto.createHash('sha256').update(css).digest('hex').slice(0, 16)}.css`;
  // The catalogues besides English, which the bundle fetches on demand (embed/src/i18n.ts).
  const langs = fs
    .readdirSync(path.join(root, 'embed/i18n'))
    .map((f) => /^([a-z]{2,3})\.json$/.exec(f)?.[1])
    .filter((l) => l && l !== 'en')
    .sort();

  // CSS is imported as a string (placed in the shadow root as a constructable stylesheet).
  const cssText = {
    name: 'minified-css-text',
    setup(b) {
      b.onLoad({ filter: /\.css$/ }, () => ({ contents: css, loader: 'text' }));
    },
  };
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'embed/src/index.ts')],
    outfile,
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    // Browsers with shadow DOM and constructable stylesheets all run ES2022 natively; no helpers needed.
    target: ['es2022'],
    plugins: [cssText],
    define: { __MG_CSS__: JSON.stringify(cssFile), __MG_LANGS__: JSON.stringify(langs) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  // count.js carries only the two count phrases of each catalogue, so it needs no second request for a language.
  const countWords = {};
  for (const l of ['en', ...langs]) {
    const c = JSON.parse(fs.readFileSync(path.join(root, 'embed/i18n', `${l}.json`), 'utf8'));
    countWords[l] = [c.one, c.many];
  }
  const count = await esbuild.build({
    entryPoints: [path.join(root, 'embed/src/count.ts')],
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2022'],
    define: { __MG_COUNT_WORDS__: JSON.stringify(countWords) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  const dir = path.dirname(outfile);
  fs.mkdirSync(dir, { recursive: true });
  writeAtomically(path.join(dir, cssFile), css);
  writeAtomically(outfile, result.outputFiles[0].contents);
  writeAtomically(path.join(dir, 'count.js'), count.outputFiles[0].contents);
}

build().catch(() => process.exit(1));
