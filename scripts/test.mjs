#!/usr/bin/env node
// `npm test`: build, then every tier (unit, integration + e2e API, web, browser) with one exit code.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`npm test needs Node.js >= 22.19 (this is ${process.version}); run it as: ./scripts/node24.sh npm test`);
  process.exit(2);
}
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;

if (!process.env.DRIFTLINE_SKIP_BUILD) {
  console.log('[test] building api and web');
  if (run('npm', ['run', 'build', '--silent']) !== 0) process.exit(1);
}
if (!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH) {
  console.log('[test] chromium is not installed (apt-get install -y chromium): the browser tier will be skipped, with this reason.');
}
const extra = process.argv.slice(2);
process.exit(run('npx', ['vitest', 'run', ...extra]));
