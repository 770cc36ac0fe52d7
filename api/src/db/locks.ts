import type { DataSource } from 'typeorm';
import { createHash } from 'node:crypto';

const local = new Map<string, Promise<void>>();

/** A stable 63-bit advisory lock key for a name. */
export function lockKey(name: string): string {
  return BigInt('0x' + createHash('sha256').update(name).digest('hex').slice(0, 15)).toString();
}

export class LockBusyError extends Error {
  constructor(readonly lockName: string) {
    super(`${lockName} is held by another process`);
    this.name = 'LockBusyError';
  }
}

/**
 * Run `fn` holding a named lock: a PostgreSQL session advisory lock on its own
 * connection (so two processes or replicas never run it at once), plus an
 * in-process mutex. On the embedded database there is one session and one
 * process (the data-dir lockfile), so the mutex alone is exact — and taking a
 * second connection there would deadlock.
 */
export async function withLock<T>(ds: DataSource, name: string, shared: boolean, fn: () => Promise<T>, opts: { wait?: boolean } = {}): Promise<T> {
  const wait = opts.wait ?? true;
  const previous = local.get(name);
  if (previous && !wait) throw new LockBusyError(name);
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = (previous ?? Promise.resolve()).then(() => mine);
  local.set(name, chained);
  await previous;
  try {
    if (!shared) return await fn();
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      const key = lockKey(name);
      if (wait) await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
      else if (!(await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]))[0].ok) throw new LockBusyError(name);
      try {
        return await fn();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  } finally {
    release();
    if (local.get(name) === chained) local.delete(name);
  }
}
