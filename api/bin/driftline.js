#!/usr/bin/env node
// The driftline command. The TypeScript sources are compiled by `npm run build`.
const path = require('node:path');
const fs = require('node:fs');
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`driftline needs Node.js >= 22.19 (this is ${process.version}). Run it through scripts/node24.sh.\n`);
  process.exit(2);
}
// V8's code cache on disk (Node >= 22.1): later starts skip compiling the CLI's modules (~0.1 s of every command).
require('node:module').enableCompileCache?.();
const entry = path.join(__dirname, '..', 'dist', 'api', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('driftline is not built yet: run `npm run build` in the repository root first.\n');
  process.exit(2);
}
require(entry);
