import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The api package's version, found from source (api/src) and from the build (api/dist/api/src) alike. */
function readVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@driftline/api' && pkg.version) return pkg.version;
    }
    dir = resolve(dir, '..');
  }
  return '0.0.0';
}

export const VERSION: string = readVersion();
