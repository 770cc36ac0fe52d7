import { userInfo } from 'node:os';
import { ConfigError } from '../config/load';
import { DatabaseUnavailableError } from '../db/errors';
import { DataDirLockedError } from '../db/embedded';

/** Exit codes: 0 ok, 1 a finding (e.g. drift found), 2 usage or runtime error. */
export const EXIT = { ok: 0, finding: 1, error: 2 } as const;

/** Who ran a command, as records name it ("cli:<login>"): the creator of a token or a report. */
export function cliUser(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** One clear line (or a list of problems) on stderr; a stack only with DEBUG set. */
export function reportError(e: unknown, json = false, debug = false): number {
  if (json) {
    const problems = e instanceof ConfigError ? e.problems : undefined;
    process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).message, problems }) + '\n');
  }
  if (e instanceof ConfigError) {
    process.stderr.write(`driftline: invalid configuration in ${e.source}\n`);
    for (const p of e.problems) process.stderr.write(`  ${p.path || '(file)'}: ${p.message}\n`);
  } else if (e instanceof DatabaseUnavailableError || e instanceof DataDirLockedError) {
    process.stderr.write(`driftline: ${e.message}\n`);
  } else {
    process.stderr.write(`driftline: ${(e as Error)?.message ?? String(e)}\n`);
    if (debug && (e as Error)?.stack) process.stderr.write((e as Error).stack + '\n');
  }
  return EXIT.error;
}
