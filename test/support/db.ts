import { inject } from 'vitest';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../api/src/db/data-source';

export interface TestDatabase {
  url: string;
  dataSource: DataSource;
  /** Drop the database (PostgreSQL) or empty every table (PGlite fallback). */
  drop(): Promise<void>;
}

let counter = 0;

/**
 * A fresh database for one test file, copied from the migrated template
 * (CREATE DATABASE … TEMPLATE is a file copy: far faster than migrating again).
 */
export async function freshDatabase(opts: { poolSize?: number; connect?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const templateUrl = inject('templateUrl');
  if (!adminUrl) {
    const ds = createDataSource({ url: templateUrl, poolSize: 1 });
    if (opts.connect !== false) await ds.initialize();
    await truncateAll(ds.isInitialized ? ds : await ds.initialize());
    return { url: templateUrl, dataSource: ds, drop: async () => { if (!ds.isInitialized) await ds.initialize(); await truncateAll(ds); await ds.destroy(); } };
  }
  const template = new URL(templateUrl).pathname.slice(1);
  const name = `${template}_${process.pid}_${++counter}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  const url = u.toString();
  const ds = createDataSource({ url, poolSize: opts.poolSize ?? 4 });
  if (opts.connect !== false) await ds.initialize();
  return {
    url,
    dataSource: ds,
    async drop() {
      if (ds.isInitialized) await ds.destroy();
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

async function truncateAll(ds: DataSource): Promise<void> {
  const rows: { tablename: string }[] = await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations'`);
  if (rows.length) await ds.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
}
