import { mkdirSync, openSync, writeSync, closeSync, readFileSync, unlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded database: PGlite (Postgres compiled to WASM) in `<dataDir>/data`,
 * served over the Postgres wire protocol on 127.0.0.1 by pglite-socket so the
 * ordinary `pg` driver (and TypeORM, and pg-boss) reach it unchanged.
 *
 * PGlite does not lock its data directory, and two processes on one folder
 * silently lose writes, so a lockfile naming the owner's pid guards it.
 */
export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly pid: number,
  ) {
    super(`the embedded database in ${lockPath.replace(/\/data\.lock$/, '')} is in use by another Driftline process (pid ${pid}); stop it first or set DATABASE_URL`);
    this.name = 'DataDirLockedError';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take `<dir>/data.lock`; a lock left by a dead process is taken over. */
export function acquireDataDirLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, 'data.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lockPath, 'utf8').trim());
      if (pid && pid !== process.pid && pidAlive(pid)) throw new DataDirLockedError(lockPath, pid);
      unlinkSync(lockPath); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the lock ${lockPath}`);
}

export async function startEmbeddedDatabase(dataDir: string, opts: { maxConnections?: number } = {}): Promise<EmbeddedDatabase> {
  const dir = join(dataDir, 'data');
  const release = acquireDataDirLock(dataDir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    mkdirSync(dir, { recursive: true });
    const fresh = !existsSync(join(dir, 'PG_VERSION'));
    const db = await PGlite.create({ dataDir: dir });
    if (fresh) await db.exec('SELECT 1');
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: opts.maxConnections ?? 16 });
    await server.start();
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    let stopped = false;
    return {
      url,
      dataDir: dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await server.stop();
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}
