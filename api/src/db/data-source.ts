import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';

export interface DatabaseOptions {
  url: string;
  /** Pool size: 1 on the embedded database (one PGlite session), more on PostgreSQL. */
  poolSize: number;
  applicationName?: string;
  /** Fail fast when the server cannot be reached. */
  connectTimeoutMs?: number;
}

export function dataSourceOptions(o: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: o.url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'typeorm_migrations',
    migrations: MIGRATIONS,
    entities: [],
    poolSize: o.poolSize,
    applicationName: o.applicationName ?? 'driftline',
    connectTimeoutMS: o.connectTimeoutMs ?? 5000,
    extra: { max: o.poolSize, connectionTimeoutMillis: o.connectTimeoutMs ?? 5000 },
    logging: false,
  };
}

export function createDataSource(o: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(o));
}

/** Host and database of a URL, without credentials, for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** Names of migrations not yet applied; empty when the schema is current. */
export async function pendingMigrations(ds: DataSource): Promise<string[]> {
  const applied = new Set<string>();
  const exists = await ds.query(`SELECT to_regclass('public.typeorm_migrations') AS t`);
  if (exists[0]?.t) for (const r of await ds.query('SELECT name FROM typeorm_migrations')) applied.add(r.name);
  return MIGRATIONS.map((m) => m.name).filter((n) => !applied.has(n));
}
