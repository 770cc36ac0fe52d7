import type { TestProject } from 'vitest/node';
import { Client } from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createDataSource } from '../../api/src/db/data-source';
import { migrate } from '../../api/src/db/open';
import { startEmbeddedDatabase, EmbeddedDatabase } from '../../api/src/db/embedded';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the server, for creating per-file databases (null on the PGlite fallback). */
    adminUrl: string | null;
    /** A database with every migration applied, used as the template for per-file databases. */
    templateUrl: string;
    dbKind: 'postgres' | 'pglite';
  }
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<string | null> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return (e as Error).message || String((e as NodeJS.ErrnoException).code);
  } finally {
    await c.end().catch(() => undefined);
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

/**
 * Integration tiers run on a real PostgreSQL: a fresh database for this run with
 * every migration applied (the template), dropped at the end. With no server
 * reachable, they run on the embedded PGlite instead, and say so.
 */
export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_URL || DEFAULT_URL;
  const why = await reachable(adminUrl);
  const logger = pino({ level: 'silent' });
  if (why === null) {
    const name = `driftline_test_${process.pid}_${Date.now().toString(36)}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const templateUrl = withDatabase(adminUrl, name);
    const ds = createDataSource({ url: templateUrl, poolSize: 2 });
    await ds.initialize();
    await migrate(ds, true, logger);
    await ds.destroy();
    project.provide('adminUrl', adminUrl);
    project.provide('templateUrl', templateUrl);
    project.provide('dbKind', 'postgres');
    return async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      // Per-file databases made from the template are named after it.
      const rows = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${name}%`]);
      for (const r of rows.rows) {
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [r.datname]);
        await c.query(`DROP DATABASE IF EXISTS ${r.datname}`);
      }
      await c.end();
    };
  }
  process.stdout.write(`\n[test] PostgreSQL at ${new URL(adminUrl).host} is not reachable (${why}); running the integration tier on embedded PGlite instead.\n`);
  const dir = mkdtempSync(join(tmpdir(), 'driftline-test-pglite-'));
  const embedded: EmbeddedDatabase = await startEmbeddedDatabase(dir, { maxConnections: 32 });
  const ds = createDataSource({ url: embedded.url, poolSize: 1 });
  await ds.initialize();
  await migrate(ds, false, logger);
  await ds.destroy();
  project.provide('adminUrl', null);
  project.provide('templateUrl', embedded.url);
  project.provide('dbKind', 'pglite');
  return async () => {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
