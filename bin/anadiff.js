#!/usr/bin/env node
'use strict';
// The CLI is bundled to dist/cli.js by `npm run build`; this shim lets `npx anadiff` run it.
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  console.error(`anadiff: ${bundle} is missing; run \`npm run build\` first.`);
  process.exit(1);
}
require(bundle);
