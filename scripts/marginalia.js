#!/usr/bin/env node
// `npx marginalia <command>`: runs the built CLI (build with `npm run build:server`).
require('../dist/src/cli/index.js');
