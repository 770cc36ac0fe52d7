/**
 * Shared plumbing of the database benchmarks (bench/drift, bench/timeline):
 * a throw-away PostgreSQL database with every migration applied, the compiled
 * services (api/dist — Node cannot strip the decorators of api/src), timing
 * with warm-up and repetitions, and the printed table.
 *
 * Erasable TypeScript only: Node 24 runs these files directly.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DataSource } from 'typeorm';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The compiled api; BENCH_API_DIST points elsewhere (another build, to compare before and after on one database). */
export const DIST = process.env.BENCH_API_DIST ? resolve(process.env.BENCH_API_DIST) : join(ROOT, 'api', 'dist', 'api', 'src');
export const DEFAULT_ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const require = createRequire(import.meta.url);

/** A module of the compiled api (`npx tsc -p api/tsconfig.build.json` first). */
export function compiled<T = any>(rel: string): T {
  const path = join(DIST, rel);
  if (!existsSync(path)) throw new Error(`${path} is missing: build the api first (npx tsc -p api/tsconfig.build.json)`);
  return require(path) as T;
}

/** A dependency of the project (resolved from the repository's node_modules). */
export function dependency<T = any>(name: string): T {
  return require(name) as T;
}

export interface BenchDatabase {
  name: string;
  url: string;
  ds: DataSource;
  /** True when the database already existed (--db): its data is reused, not generated. */
  reused: boolean;
  close(): Promise<void>;
  drop(): Promise<void>;
}

function urlFor(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  return u.toString();
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Create `name` (or reuse it when `reuse` and it exists), connect a pool and
 * apply pending migrations with the api's own runner.
 */
export async function openBenchDatabase(o: { adminUrl: string; name: string; reuse?: boolean; poolSize?: number }): Promise<BenchDatabase> {
  if (!/^[a-z0-9_]+$/.test(o.name)) throw new Error(`bad database name ${o.name}`);
  const exists = await admin(o.adminUrl, async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [o.name])).rowCount === 1);
  if (exists && !o.reuse) throw new Error(`database ${o.name} already exists`);
  if (!exists) await admin(o.adminUrl, (c) => c.query(`CREATE DATABASE ${o.name}`));
  const url = urlFor(o.adminUrl, o.name);
  const { createDataSource } = compiled('db/data-source.js');
  const { migrate } = compiled('db/open.js');
  const pino = require('pino');
  const ds: DataSource = createDataSource({ url, poolSize: o.poolSize ?? 10, applicationName: 'driftline-bench' });
  await ds.initialize();
  await migrate(ds, true, pino({ level: 'silent' }));
  let closed = false;
  const close = async () => {
    if (!closed && ds.isInitialized) await ds.destroy();
    closed = true;
  };
  return {
    name: o.name,
    url,
    ds,
    reused: exists,
    close,
    async drop() {
      await close();
      await admin(o.adminUrl, async (c) => {
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [o.name]);
        await c.query(`DROP DATABASE IF EXISTS ${o.name}`);
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Timing

export interface Summary {
  runs: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarize(ms: number[]): Summary {
  const s = [...ms].sort((a, b) => a - b);
  return { runs: s.length, p50: percentile(s, 50), p95: percentile(s, 95), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

/**
 * Time `fn` `runs` times after `warmup` untimed calls. `before` runs untimed
 * before each call (it may prepare the call: an insert to evaluate, say); `i`
 * counts every call, warm-up included.
 */
export async function measure<T>(fn: (i: number) => Promise<T>, o: { warmup: number; runs: number; before?: (i: number) => Promise<void>; check?: (r: T) => void }): Promise<{ summary: Summary; samples: number[]; last: T | undefined }> {
  const samples: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < o.warmup + o.runs; i++) {
    if (o.before) await o.before(i);
    const t = performance.now();
    const r = await fn(i);
    const ms = performance.now() - t;
    if (o.check) o.check(r);
    if (i >= o.warmup) samples.push(ms);
    last = r;
  }
  return { summary: summarize(samples), samples, last };
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** A plain text table: first row is the header; numbers right-aligned. */
export function table(rows: (string | number)[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  const line = (r: (string | number)[]) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ');
  const [head, ...body] = rows;
  return [line(head!), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** EXPLAIN (ANALYZE, BUFFERS) of a query, as text. */
export async function explain(ds: DataSource, sql: string, params: unknown[] = []): Promise<string> {
  const rows: { 'QUERY PLAN': string }[] = await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
  return rows.map((r) => (r['QUERY PLAN'].length > 220 ? r['QUERY PLAN'].slice(0, 220) + '…' : r['QUERY PLAN'])).join('\n');
}

/** `--name value` and `--flag` arguments against a table of defaults (numbers parsed). */
export function parseArgs<T extends Record<string, string | number | boolean>>(argv: string[], defaults: T, usage: string): T {
  const o: Record<string, string | number | boolean> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const key = arg.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!arg.startsWith('--') || !(key in defaults)) throw new Error(`unknown argument ${arg}\nusage: ${usage}`);
    const d = defaults[key];
    if (typeof d === 'boolean') o[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\nusage: ${usage}`);
      if (typeof d === 'number') {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) throw new Error(`${arg} needs a non-negative number`);
        o[key] = n;
      } else o[key] = v;
    }
  }
  return o as T;
}

// ---------------------------------------------------------------------------------------------
// What the services send to the database

export interface CapturedQuery {
  sql: string;
  params: unknown[];
  ms: number;
  rows: number;
}

let capturing: CapturedQuery[] | null = null;
let patched = false;

/**
 * Record every statement sent through `pg` (TypeORM's driver) while `fn`
 * runs, with its time and row count: a breakdown of a service call, and the
 * exact SQL and parameters to EXPLAIN.
 */
export async function captureQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: CapturedQuery[] }> {
  if (!patched) {
    const proto = pg.Client.prototype as any;
    const original = proto.query;
    proto.query = function (this: unknown, ...args: any[]) {
      const list = capturing;
      const r = original.apply(this, args);
      if (list && typeof args[0] === 'string' && r && typeof r.then === 'function') {
        const t = performance.now();
        const entry: CapturedQuery = { sql: args[0], params: Array.isArray(args[1]) ? args[1] : [], ms: 0, rows: 0 };
        list.push(entry);
        r.then((res: { rowCount?: number; rows?: unknown[] }) => {
          entry.ms = performance.now() - t;
          entry.rows = res?.rows?.length ?? res?.rowCount ?? 0;
        }, () => undefined);
      }
      return r;
    };
    patched = true;
  }
  const queries: CapturedQuery[] = [];
  capturing = queries;
  try {
    const result = await fn();
    return { result, queries };
  } finally {
    capturing = null;
  }
}

/** One line per statement: time, rows, the SQL squeezed onto one line. */
export function describeQueries(queries: CapturedQuery[], width = 110): string {
  return queries
    .map((q) => `${q.ms.toFixed(1).padStart(8)} ms ${String(q.rows).padStart(7)} rows  ${q.sql.replace(/\s+/g, ' ').trim().slice(0, width)}`)
    .join('\n');
}
