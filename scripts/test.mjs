#!/usr/bin/env node
// `npm test`: build, then every tier (unit, integration + e2e API, web, browser) with one exit code.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`npm test needs Node.js >= 22.19 (this is ${process.version}); run it as: ./scripts/node24.sh npm test`);
  process.exit(2);
}
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;

/** Newest modification time of the files below a folder (0 when absent). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const builtAt = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
const sources = Math.max(newest('api/src'), newest('migrations'), newest('web/src'), builtAt('web/index.html'));
const built = Math.min(builtAt('api/dist/api/src/cli/main.js'), builtAt('web/dist/index.html'));
if (process.env.DRIFTLINE_SKIP_BUILD || built > sources) {
  console.log('[test] the build is up to date');
} else {
  console.log('[test] building api and web');
  if (run('npm', ['run', 'build', '--silent']) !== 0) process.exit(1);
}
if (!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH) {
  console.log('[test] chromium is not installed (apt-get install -y chromium): the browser tier will be skipped, with this reason.');
}
const extra = process.argv.slice(2);
process.exit(run('npx', ['vitest', 'run', ...extra]));
