import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import type { CliContext } from '../cli/commands';
import { CliRuntime, withRuntime, progressBar } from '../cli/runtime';
import { EXIT, cliUser, printJson } from '../cli/output';
import { DomainError } from '../common/errors';
import { loadConfig, type ConfigEnv } from '../config/load';
import type * as ReportsRepositoryModule from './reports.repository';
import type * as ReportsServiceModule from './reports.service';
import type { ReportRequest, ReportView, VerifyResult } from './reports.service';

/** Loaded when a command runs (pdfkit and the queries are not needed for `--help`). */
function reportsService(rt: CliRuntime) {
  const { ReportsRepository } = require('./reports.repository') as typeof ReportsRepositoryModule;
  const { ReportsService } = require('./reports.service') as typeof ReportsServiceModule;
  return new ReportsService(rt.ds, new ReportsRepository(rt.ds), rt.config, rt.logger, rt.runtime);
}
import type { ReportFormat } from './report.types';

type Progress = (fraction: number, phase: string, done: number, total: number) => void;

/** What `driftline report` (generate) or `report verify` does: everything the worker thread needs, as plain data. */
export type ReportJob = { config?: string; json?: boolean; env: ConfigEnv } & (
  | { kind: 'generate'; request: ReportRequest; output: string; createdBy: string }
  | { kind: 'verify'; file: string }
);

type JobResult<J extends ReportJob> = J extends { kind: 'generate' } ? ReportView : VerifyResult;

export type WorkerMessage =
  | { type: 'progress'; args: Parameters<Progress> }
  | { type: 'done'; result: ReportView | VerifyResult }
  | { type: 'error'; error: { name: string; message: string; code?: unknown; status?: unknown; details?: unknown; stack?: string } };

/** Opens the database, then writes the report file and records it, or verifies a report file. */
export function runJob(job: ReportJob, onProgress: Progress): Promise<ReportView | VerifyResult> {
  return withRuntime<ReportView | VerifyResult>({ config: job.config, json: job.json }, job.env, (rt) =>
    job.kind === 'generate' ? reportsService(rt).generateToFile(job.request, job.output, job.createdBy, onProgress) : reportsService(rt).verify(job.file),
  );
}

/**
 * V8 heap limits of the report worker. A report's live heap stays at 40-50 MiB whatever the window
 * (measured over a year of 100,000 changes: objects in chunks, rows in pages, documents and YAML in
 * caches of a few thousand entries, pdfkit pages let go once written). Left to its defaults on a
 * host with plenty of RAM, V8 still grows a 128 MiB young generation and an old generation of
 * 100-300 MiB before it collects, so the process peaked at 400-550 MiB. These limits keep the heap
 * near what the report holds: old 160 MiB (over 3x the live heap, of which ~25 MiB is the loaded
 * modules' code and sources) and a young generation of 8 MiB for a PDF and for verification, where
 * time has room (a year's PDF takes ~20 s of its 60) and RSS has less. A year's PDF peaked at 284-296 MiB
 * with 32 MiB, 268-284 MiB with 16 and 270-273 MiB with 8 (~0.5 s slower); verification at 306-319,
 * 285-299 and 280-282 MiB. The caches are bounded by entries, not bytes: documents far larger than
 * these (~500 B) would raise the live heap, and the worker would stop with report.out_of_memory.
 */
const REPORT_HEAP: ResourceLimits = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 160 };

/**
 * CSV and JSON generation get a 64 MiB young generation: their objects die young (rows, records, lines),
 * and a year CSV spent 2.3 s in GC instead of 3.3-4.3 s with 32 MiB (5.3 s with 24 MiB) at a peak RSS
 * of ~240 MiB. The CSV has the tight time target (10 s), the PDF the tight memory.
 */
const TEXT_REPORT_HEAP: ResourceLimits = { ...REPORT_HEAP, maxYoungGenerationSizeMb: 64 };

function heapOf(job: ReportJob): ResourceLimits {
  return job.kind === 'generate' && job.request.format !== 'pdf' ? TEXT_REPORT_HEAP : REPORT_HEAP;
}

/**
 * Runs a report job (generate or verify, which re-derives every record) in a worker thread with REPORT_HEAP limits (the documented way to bound one task's
 * heap without restarting the process with other flags). Embedded PGlite runs in-process: its WASM
 * heap is far larger than these limits are meant for. From the TypeScript sources (tests), in-process too.
 */
function inWorker<J extends ReportJob>(job: J, onProgress: Progress = () => undefined): Promise<JobResult<J>> {
  const embedded = !loadConfig({ configPath: job.config, env: job.env }).config.database.url;
  if (embedded || !__filename.endsWith('.js')) return runJob(job, onProgress) as Promise<JobResult<J>>;
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  return new Promise<JobResult<J>>((resolvePromise, reject) => {
    const worker = new Worker(join(__dirname, 'report-worker.js'), { workerData: job, resourceLimits: heapOf(job) });
    let outcome: { result: JobResult<J> } | { error: Error } | null = null;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(...m.args);
      else if (m.type === 'done') outcome = { result: m.result as JobResult<J> };
      else {
        const e = m.error;
        const err = e.name === 'DomainError' ? new DomainError(String(e.code), e.message, Number(e.status) || 400, e.details as Record<string, unknown> | undefined) : Object.assign(new Error(e.message), { name: e.name, code: e.code });
        err.stack = e.stack;
        outcome = { error: err };
      }
    });
    worker.on('error', (e: Error & { code?: string }) => {
      outcome ??= {
        error: e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new DomainError('report.out_of_memory', `the report ran out of its ${REPORT_HEAP.maxOldGenerationSizeMb} MiB heap: ${e.message}`, 500) : e,
      };
    });
    worker.on('exit', (code) => {
      if (outcome && 'result' in outcome) resolvePromise(outcome.result);
      else reject(outcome?.error ?? new Error(`the report worker stopped (exit code ${code})`));
    });
  });
}

const collect = (v: string, prev: string[]) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function formatOf(o: { format?: string; output: string }): ReportFormat {
  const f = (o.format ?? /\.(csv|json|pdf)$/i.exec(o.output)?.[1] ?? '').toLowerCase();
  if (f !== 'csv' && f !== 'json' && f !== 'pdf') throw new DomainError('report.bad_format', `--format: expected csv, json or pdf${o.format ? `, got "${o.format}"` : ' (or an --output ending in .csv, .json or .pdf)'}`, 400);
  return f;
}

function printVerify(r: VerifyResult): void {
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`${r.file}: ${r.format.toUpperCase()} report ${r.reportId} on ${r.environments.join(', ')} from ${r.from} to ${r.to}, ${r.records} records, generated ${r.generatedAt}${r.generatedBy ? ` by ${r.generatedBy.createdBy}` : ''}`);
  const fileLine = { intact: 'ok    file: intact (its sha256 line matches its content)', edited: 'FAIL  file: edited after it was generated', known: 'ok    file: its sha256 is that of a report Driftline generated', unknown: 'FAIL  file: its sha256 matches no report Driftline generated' }[r.file_integrity];
  out(fileLine);
  out(r.contentMatches ? 'ok    content: every record still matches the database' : 'FAIL  content: the records no longer match the database');
  for (const d of r.differences) out(`        ${d.kind.padEnd(8)} ${d.key}: ${d.description}`);
  out(r.chainsIntact ? 'ok    hash chains: every record of the window is unchanged and none was removed' : 'FAIL  hash chains:');
  for (const p of r.problems.filter((p) => /^(commits|desired_revisions|live_revisions|drift_events) /.test(p))) out(`        ${p}`);
  out(r.ok ? 'INTACT: the report matches the database' : `NOT INTACT: ${r.problems.length} problem(s)`);
}

/** `driftline report …` and `driftline report verify FILE`. */
export function registerReportCommands(program: Command, ctx: CliContext, withConfig: (c: Command) => Command): void {
  const report = withConfig(program.command('report'))
    .description('export every change to environments in a window (CSV, JSON or PDF); `report verify FILE` checks a report against the database')
    .option('-e, --environment <name>', 'an environment (repeat or comma-separate for several)', collect, [])
    .option('--from <date>', 'window start: 2026-07-01 (UTC day start) or an ISO time with a zone')
    .option('--to <date>', 'window end, inclusive: 2026-09-30 (UTC day end) or an ISO time with a zone')
    .option('-f, --format <format>', 'csv, json or pdf (default: from the --output extension)')
    .option('-o, --output <file>', 'the file to write')
    .option('--kind <kind>', 'only these object kinds (repeatable)', collect, [])
    .option('--namespace <glob>', 'only these namespaces (repeatable)', collect, [])
    .option('--author <name-or-email>', 'only Git changes by these authors (repeatable)', collect, [])
    .option('--json', 'print a JSON summary')
    .action(async (o: { config?: string; environment: string[]; from?: string; to?: string; format?: string; output?: string; kind: string[]; namespace: string[]; author: string[]; json?: boolean }) => {
      const missing = [!o.environment.length && '--environment', !o.from && '--from', !o.to && '--to', !o.output && '--output'].filter(Boolean);
      if (missing.length) throw new DomainError('report.usage', `missing ${missing.join(', ')} (e.g. driftline report --environment prod --from 2026-07-01 --to 2026-09-30 --format csv --output q3.csv)`, 400);
      const format = formatOf({ format: o.format, output: o.output! });
      const output = resolve(o.output!);
      const state: { bar: ReturnType<typeof progressBar> | null; phase: string; started: number } = { bar: null, phase: '', started: Date.now() };
      const r = await inWorker(
        {
          kind: 'generate',
          config: o.config,
          json: o.json,
          env: { ...ctx.env },
          request: { environments: o.environment, from: o.from!, to: o.to!, format, kinds: o.kind, namespaces: o.namespace, authors: o.author },
          output,
          createdBy: cliUser(),
        },
        (_f, p, done, total) => {
          if (o.json) return;
          if (p !== state.phase) {
            state.bar?.done();
            state.phase = p;
            state.started = Date.now();
            state.bar = progressBar(p === 'analysing' ? 'report: analysing' : 'report: writing  ');
          }
          const secs = (Date.now() - state.started) / 1000;
          const rate = secs > 0 ? done / secs : 0;
          state.bar!.update(done, total, rate, rate > 0 ? (total - done) / rate : null, p === 'analysing' ? 'objects' : 'records');
        },
      );
      state.bar?.done();
      if (o.json) printJson({ ...r, output });
      else process.stdout.write(`wrote ${output}: ${r.records} records, ${format.toUpperCase()}, ${r.size} bytes, sha256 ${r.sha256} (report ${r.id})\n`);
    });

  withConfig(report.command('verify'))
    .description('check a report file against the database: exit 0 intact, 1 changed (the file, its records, or the hash chains), 2 error')
    .argument('<file>', 'a CSV, JSON or PDF report')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      // `report` has --config and --json too: whichever level they were given at, they count.
      const o = cmd.optsWithGlobals<{ config?: string; json?: boolean }>();
      if (!existsSync(file)) throw new DomainError('report.file_missing', `${file}: no such file`, 404);
      const r = await inWorker({ kind: 'verify', config: o.config, json: o.json, env: { ...ctx.env }, file: resolve(file) });
      if (o.json) printJson(r);
      else printVerify(r);
      ctx.setExitCode(r.ok ? EXIT.ok : EXIT.finding);
    });
}
