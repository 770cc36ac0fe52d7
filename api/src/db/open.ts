import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { createDataSource, describeDatabaseUrl } from './data-source';
import { startEmbeddedDatabase, EmbeddedDatabase } from './embedded';
import { join } from 'node:path';

import { DatabaseUnavailableError } from './errors';

export { DatabaseUnavailableError };

export interface OpenDatabase {
  dataSource: DataSource;
  kind: 'embedded' | 'postgres';
  embedded?: EmbeddedDatabase;
  close(): Promise<void>;
}

const MIGRATION_LOCK = 7_346_201; // pg_advisory_lock key for migrations across replicas

/** Connect (PostgreSQL from a URL, or the embedded PGlite in dataDir), and optionally apply pending migrations. */
export async function openDatabase(o: { url?: string; dataDir: string; logger: Logger; migrate: boolean; poolSize?: number }): Promise<OpenDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let url = o.url;
  if (!url) {
    embedded = await startEmbeddedDatabase(o.dataDir);
    url = embedded.url;
    o.logger.info({ dataDir: join(o.dataDir, 'data') }, 'embedded database (PGlite) started');
  }
  // One PGlite session: pool of 1 so a transaction never waits on a second connection.
  const ds = createDataSource({ url, poolSize: embedded ? 1 : (o.poolSize ?? 10), connectTimeoutMs: 5000 });
  try {
    await ds.initialize();
  } catch (e) {
    await embedded?.stop();
    const err = e as NodeJS.ErrnoException & { errors?: Error[] };
    const cause = err.code ?? err.errors?.map((x) => (x as NodeJS.ErrnoException).code ?? x.message).join(', ') ?? err.message;
    throw new DatabaseUnavailableError(embedded ? 'embedded database' : describeDatabaseUrl(url), cause || err.message);
  }
  const close = async () => {
    if (ds.isInitialized) await ds.destroy();
    await embedded?.stop();
  };
  if (o.migrate) {
    try {
      await migrate(ds, !embedded, o.logger);
    } catch (e) {
      await close();
      throw e;
    }
  }
  return { dataSource: ds, kind: embedded ? 'embedded' : 'postgres', embedded, close };
}

export async function migrate(ds: DataSource, lock: boolean, logger: Logger): Promise<string[]> {
  const runner = lock ? ds.createQueryRunner() : undefined;
  try {
    if (runner) await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = await ds.runMigrations({ transaction: 'each' });
    if (done.length) logger.info({ migrations: done.map((m) => m.name) }, 'migrations applied');
    return done.map((m) => m.name);
  } finally {
    if (runner) {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await runner.release();
    }
  }
}
