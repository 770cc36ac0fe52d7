import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { CONFIG, LOGGER, RUNTIME } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';
import type { RuntimeInfo } from '../runtime-info';
import { DomainError, notFound } from '../common/errors';
import { VERSION } from '../version';
import { canonicalJson } from '../core/canonical';
import { BuildProgress, ReportBuilder, ReportSnapshot, recordDigestLine, recordKey, RecordDigest } from './report-builder';
import { ReportsRepository, ReportRow } from './reports.repository';
import { CsvReportWriter, FileSink, JsonReportWriter, ReportWriter, writeReport, WITH_SUMMARY } from './writers';
import { PdfReportWriter } from './pdf-writer';
import { csvRow, parseCsv, CSV_COLUMNS } from './csv';
import { lineHash, readReportFile, ReportFileError } from './report-files';
import { SegmentChecker } from './chains';
import type { ChainSegment, ReportFormat, ReportManifest, ReportScope } from './report.types';

export interface ReportRequest {
  environments: string[];
  from: string;
  to: string;
  format: ReportFormat;
  kinds?: string[];
  namespaces?: string[];
  authors?: string[];
}

export interface ReportView {
  id: string;
  status: ReportRow['status'];
  format: ReportFormat;
  environments: string[];
  from: string;
  to: string;
  kinds: string[];
  namespaces: string[];
  authors: string[];
  progress: number;
  phase: string | null;
  error: string | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  records: number | null;
  size: number | null;
  sha256: string | null;
  downloadUrl: string | null;
}

export interface VerifyDifference {
  kind: 'changed' | 'removed' | 'added';
  key: string;
  description: string;
}

export interface VerifyResult {
  ok: boolean;
  file: string;
  format: ReportFormat;
  reportId: string;
  generatedAt: string;
  environments: string[];
  from: string;
  to: string;
  records: number;
  /** intact | edited (CSV/JSON own sha256 line) | known (PDF: its sha256 is a report Driftline generated) | unknown */
  file_integrity: 'intact' | 'edited' | 'known' | 'unknown';
  generatedBy: { id: string; createdBy: string; createdAt: string } | null;
  contentMatches: boolean;
  chainsIntact: boolean;
  problems: string[];
  differences: VerifyDifference[];
}

export interface GenerateOptions {
  reportId: string;
  scope: ReportScope;
  format: ReportFormat;
  output: string;
  snapshot?: ReportSnapshot | null;
  onSnapshot?: (s: ReportSnapshot) => Promise<void>;
  onProgress?: (fraction: number, phase: string, done: number, total: number) => void;
}

const EXT: Record<ReportFormat, string> = { csv: 'csv', json: 'json', pdf: 'pdf' };
export const CONTENT_TYPES: Record<ReportFormat, string> = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8', pdf: 'application/pdf' };
const STALE_MS = 30_000;
const MAX_ATTEMPTS = 3;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A window bound: an ISO time with a zone, or a date (from: its start, to: its end, in UTC). */
export function parseBound(v: string, end: boolean, name: string): Date {
  const t = DATE_ONLY.test(v) ? Date.parse(`${v}T00:00:00.000Z`) + (end ? 86_400_000 - 1 : 0) : /(Z|[+-]\d\d:?\d\d)$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw new DomainError('report.bad_window', `${name}: "${v}" is not a date (2026-07-01) or an ISO time with a zone (2026-07-01T00:00:00Z)`, 400);
  return new Date(t);
}

const view = (r: ReportRow): ReportView => {
  const s = r.scope as unknown as ReportScope;
  return {
    id: r.id,
    status: r.status,
    format: r.format,
    environments: s.environments.map((e) => e.name),
    from: s.from,
    to: s.to,
    kinds: s.kinds,
    namespaces: s.namespaces,
    authors: s.authors,
    progress: Math.round(Number(r.progress) * 1000) / 1000,
    phase: r.phase,
    error: r.error,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
    records: r.records,
    size: r.size === null ? null : Number(r.size),
    sha256: r.sha256,
    downloadUrl: r.status === 'done' && r.path ? `/api/v1/reports/${r.id}/download` : null,
  };
};

/** Field paths where two JSON values differ (at most `max`). */
function differingPaths(a: unknown, b: unknown, path = '', out: string[] = [], max = 8): string[] {
  if (out.length >= max) return out;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of [...keys].sort()) differingPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out, max);
    return out;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push(path || '(record)');
  return out;
}

/**
 * Audit reports: the jobs (queued → running → done | failed, resumed after a
 * restart from their saved snapshot), generation into the reports folder, and
 * verification of a report file against the database. The CLI and the API both
 * come here: one generation path.
 */
@Injectable()
export class ReportsService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly builder: ReportBuilder;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly ds: DataSource,
    private readonly repo: ReportsRepository,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
  ) {
    this.builder = new ReportBuilder(ds, repo);
  }

  get reportsDir(): string {
    return resolve(this.config.dataDir, 'reports');
  }

  /** A request → the frozen scope: environments with the configuration the report depends on. */
  resolveScope(req: Omit<ReportRequest, 'format'>): ReportScope {
    if (!req.environments.length) throw new DomainError('report.no_environment', 'name at least one environment', 400);
    const environments = [...new Set(req.environments)].map((name) => {
      const e = this.config.environments.find((x) => x.name === name);
      if (!e) {
        throw new DomainError('environment.not_found', `no environment named "${name}" (configured: ${this.config.environments.map((x) => x.name).join(', ') || 'none'})`, 404);
      }
      return {
        name: e.name,
        repository: e.repository,
        cluster: e.cluster ?? null,
        applier: e.applier,
        humanManagers: e.humanManagers,
        controllerManagers: e.controllerManagers,
        namespaces: e.namespaces,
        ignore: e.ignore.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Record<string, string>),
      };
    });
    const from = parseBound(req.from, false, 'from');
    const to = parseBound(req.to, true, 'to');
    if (from > to) throw new DomainError('report.bad_window', `the window ends (${to.toISOString()}) before it starts (${from.toISOString()})`, 400);
    return { environments, from: from.toISOString(), to: to.toISOString(), kinds: req.kinds ?? [], namespaces: req.namespaces ?? [], authors: req.authors ?? [] };
  }

  async create(req: ReportRequest, createdBy: string): Promise<ReportView> {
    const scope = this.resolveScope(req);
    const id = randomUUID();
    await this.repo.insertReport({ id, status: 'queued', format: req.format, scope, createdBy });
    this.logger.info({ report: id, format: req.format, environments: req.environments, createdBy }, 'report queued');
    this.kick();
    return view((await this.repo.get(id))!);
  }

  async list(limit: number, before?: string): Promise<ReportView[]> {
    return (await this.repo.list(limit, before ? new Date(before) : null)).map(view);
  }

  async get(id: string): Promise<ReportView> {
    const r = await this.repo.get(id);
    if (!r) throw notFound('report', id);
    return view(r);
  }

  /** The file of a finished report, resolved inside the reports folder (never outside it, symlinks included). */
  async download(id: string): Promise<{ path: string; filename: string; contentType: string; size: number }> {
    const r = await this.repo.get(id);
    if (!r) throw notFound('report', id);
    if (r.status !== 'done') throw new DomainError('report.not_ready', `report ${id} is ${r.status}${r.status === 'failed' ? `: ${r.error}` : ''}`, 409);
    if (!r.path) throw new DomainError('report.not_stored', `report ${id} was written by the CLI to a file of its own; the server does not keep it`, 404);
    const dir = this.reportsDir;
    const file = resolve(dir, r.path);
    const rel = relative(dir, file);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) throw new DomainError('report.bad_path', `report ${id} points outside the reports folder`, 403);
    if (!existsSync(file)) throw new DomainError('report.file_missing', `the file of report ${id} is gone from the reports folder`, 410);
    const realDir = realpathSync(dir);
    const real = realpathSync(file);
    if (!real.startsWith(realDir + sep)) throw new DomainError('report.bad_path', `report ${id} points outside the reports folder`, 403);
    const s = r.scope as unknown as ReportScope;
    const filename = `driftline-report-${s.environments.map((e) => e.name).join('+')}-${s.from.slice(0, 10)}-${s.to.slice(0, 10)}.${EXT[r.format]}`;
    return { path: real, filename, contentType: CONTENT_TYPES[r.format], size: statSync(real).size };
  }

  /** Generates a report file: snapshot, analysis, then the streamed file. Shared by jobs and the CLI. */
  async generate(o: GenerateOptions): Promise<{ sha256: string; size: number; records: number; manifest: ReportManifest; snapshot: ReportSnapshot }> {
    const snapshot = o.snapshot ?? (await this.builder.snapshot(o.scope));
    if (!o.snapshot) await o.onSnapshot?.(snapshot);
    const progress = (p: BuildProgress) => {
      const f = p.total ? p.done / p.total : 1;
      o.onProgress?.(p.phase === 'analysing' ? f * 0.5 : 0.5 + f * 0.5, p.phase, p.done, p.total);
    };
    const prepared = await this.builder.prepare(o.scope, snapshot, o.reportId, progress, { summary: WITH_SUMMARY[o.format] });
    try {
      const sink = new FileSink(o.output);
      const writer: ReportWriter = o.format === 'csv' ? new CsvReportWriter(sink) : o.format === 'json' ? new JsonReportWriter(sink) : new PdfReportWriter(sink);
      const r = await writeReport(prepared, writer, { reportId: o.reportId, generator: `driftline ${VERSION}` }, (done, total) => progress({ phase: 'writing', done, total }));
      return { sha256: r.sha256, size: r.size, records: r.manifest.records.count, manifest: r.manifest, snapshot };
    } finally {
      await prepared.dispose().catch(() => undefined);
    }
  }

  /** A report written by the CLI: recorded in the reports table like any other (no server copy). */
  async generateToFile(req: ReportRequest, output: string, createdBy: string, onProgress?: GenerateOptions['onProgress']): Promise<ReportView> {
    const scope = this.resolveScope(req);
    const id = randomUUID();
    await this.repo.insertReport({ id, status: 'running', format: req.format, scope, createdBy, worker: this.workerId });
    try {
      const r = await this.generate({ reportId: id, scope, format: req.format, output, onSnapshot: (s) => this.repo.saveSnapshot(id, s), onProgress });
      await this.repo.finish(id, { path: null, size: r.size, sha256: r.sha256, records: r.records, manifest: r.manifest });
    } catch (e) {
      await this.repo.fail(id, (e as Error).message).catch(() => undefined);
      throw e;
    }
    return view((await this.repo.get(id))!);
  }

  // ---- jobs -------------------------------------------------------------------

  onApplicationBootstrap(): void {
    if (!this.runtime.workers) return;
    const loop = async () => {
      if (this.stopped) return;
      await this.tick();
      if (this.stopped) return;
      this.timer = setTimeout(loop, 1000);
      this.timer.unref();
    };
    this.timer = setTimeout(loop, 200);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy?.catch(() => undefined);
  }

  private kick(): void {
    if (!this.runtime.workers || this.stopped) return;
    setImmediate(() => void this.tick());
  }

  /** Recover jobs of dead processes, then run queued jobs one at a time. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = (async () => {
      try {
        const rec = await this.repo.recoverStale(new Date(Date.now() - STALE_MS), MAX_ATTEMPTS);
        for (const id of rec.requeued) this.logger.warn({ report: id }, 'report job was left running by a stopped process; resuming it');
        for (const id of rec.failed) this.logger.error({ report: id }, 'report job failed too many times; giving up');
        for (;;) {
          if (this.stopped) return;
          const job = await this.repo.claimNext(this.workerId);
          if (!job) break;
          await this.runJob(job);
        }
      } catch (e) {
        this.logger.error({ err: (e as Error).message }, 'report worker tick failed; retrying');
      }
    })();
    try {
      await this.busy;
    } finally {
      this.busy = null;
    }
  }

  private async runJob(job: ReportRow): Promise<void> {
    const log = this.logger.child({ report: job.id });
    const dir = this.reportsDir;
    mkdirSync(dir, { recursive: true });
    const name = `${job.id}.${EXT[job.format]}`;
    let last = 0;
    log.info({ attempt: job.attempts, resumed: !!job.snapshot }, 'report job started');
    try {
      const r = await this.generate({
        reportId: job.id,
        scope: job.scope as unknown as ReportScope,
        format: job.format,
        output: join(dir, name),
        snapshot: (job.snapshot as unknown as ReportSnapshot | null) ?? null,
        onSnapshot: (s) => this.repo.saveSnapshot(job.id, s),
        onProgress: (f, phase) => {
          const now = Date.now();
          if (now - last < 1000) return;
          last = now;
          void this.repo.heartbeat(job.id, this.workerId, f, phase).catch(() => undefined);
        },
      });
      await this.repo.finish(job.id, { path: name, size: r.size, sha256: r.sha256, records: r.records, manifest: r.manifest });
      log.info({ records: r.records, size: r.size }, 'report job done');
    } catch (e) {
      log.error({ err: (e as Error).message }, 'report job failed');
      await this.repo.fail(job.id, (e as Error).message);
    }
  }

  // ---- verify -----------------------------------------------------------------

  /**
   * Re-derives a report's records from the database at the report's snapshot and walks the hash
   * chains it covers: says whether the file is intact, whether its content still matches, and which
   * records inside its window were changed or removed since.
   */
  async verify(path: string): Promise<VerifyResult> {
    if (!existsSync(path)) throw new ReportFileError(`${path}: no such file`);
    const parsed = await readReportFile(path);
    const m = parsed.manifest;
    const problems: string[] = [];
    const known = await this.repo.findBySha256(parsed.fileSha256);
    const generatedBy = known[0] ? { id: known[0].id, createdBy: known[0].created_by, createdAt: known[0].created_at.toISOString() } : null;
    let fileIntegrity: VerifyResult['file_integrity'];
    if (parsed.selfDigestOk === true) fileIntegrity = 'intact';
    else if (parsed.selfDigestOk === false) {
      fileIntegrity = 'edited';
      problems.push('the file was edited after it was generated: its sha256 line does not match its content');
    } else if (generatedBy) fileIntegrity = 'known';
    else {
      fileIntegrity = 'unknown';
      problems.push(`the file's sha256 (${parsed.fileSha256}) is not one of the reports Driftline generated: it may have been edited`);
    }

    // Content: the records again, from the same snapshot.
    const snapshot: ReportSnapshot = { generatedAt: m.generatedAt, heads: m.chains.map((c) => ({ stream: c.stream, key: c.key, position: c.to.position, hash: c.to.hash })) };
    const run = randomUUID();
    const prepared = await this.builder.prepare(m.scope, snapshot, run, undefined, { summary: false });
    const digest = new RecordDigest();
    const nowLines = new Map<string, string>();
    const differences: VerifyDifference[] = [];
    // The file's records are let go of as their record comes again (what is left was removed), and only the first
    // differences are kept: not a second map of every record (~35 MiB for a year's 200,000).
    const changed: string[] = [];
    const added: string[] = [];
    try {
      for await (const r of prepared.records({ diffs: false })) {
        digest.add(r);
        if (!parsed.records) continue;
        const key = recordKey(r);
        const line = parsed.format === 'csv' ? csvRow(r) : recordDigestLine(r);
        const h = lineHash(line);
        const was = parsed.records.get(key);
        if (was !== h) {
          if (nowLines.size < 200) nowLines.set(key, line);
          if (was === undefined) {
            if (added.length < 200) added.push(key);
          } else if (changed.length < 200) changed.push(key);
        }
        parsed.records.delete(key);
      }
    } finally {
      await prepared.dispose().catch(() => undefined);
    }
    const contentMatches = digest.digest() === m.records.sha256 && digest.count === m.records.count;
    if (!contentMatches) {
      problems.push(`the report no longer matches the database: ${digest.count === m.records.count ? '' : `${m.records.count} records then, ${digest.count} now; `}the records' sha256 differs`);
      if (parsed.records) {
        const removed = [...parsed.records.keys()];
        const keep = new Set([...changed, ...removed].slice(0, 200));
        const again = keep.size ? await readReportFile(path, keep) : parsed;
        for (const k of changed.slice(0, 100)) differences.push({ kind: 'changed', key: k, description: this.describeChange(parsed.format, again.lines.get(k), nowLines.get(k)) });
        for (const k of removed.slice(0, 100)) differences.push({ kind: 'removed', key: k, description: `in the report, no longer in the database: ${this.describeLine(parsed.format, again.lines.get(k))}` });
        for (const k of added.slice(0, 100)) differences.push({ kind: 'added', key: k, description: `in the database now, not in the report: ${this.describeLine(parsed.format, nowLines.get(k))}` });
      }
    }

    // Chains: every record of each segment still hashes to what it did and links to the one before.
    let chainsIntact = true;
    for (const seg of m.chains) {
      const issues = await this.checkSegment(seg);
      if (issues.length) chainsIntact = false;
      for (const i of issues.slice(0, 50)) problems.push(`${seg.stream} ${seg.key}: ${i}`);
    }
    return {
      ok: problems.length === 0,
      file: path,
      format: parsed.format,
      reportId: m.reportId,
      generatedAt: m.generatedAt,
      environments: m.scope.environments.map((e) => e.name),
      from: m.scope.from,
      to: m.scope.to,
      records: m.records.count,
      file_integrity: fileIntegrity,
      generatedBy,
      contentMatches,
      chainsIntact,
      problems,
      differences,
    };
  }

  private async checkSegment(seg: ChainSegment): Promise<string[]> {
    if (seg.to.position === 0) return [];
    const keyValue = seg.stream === 'commits' ? await this.repo.repositoryId(seg.key) : seg.stream === 'live_revisions' ? await this.repo.clusterId(seg.key) : seg.key;
    if (keyValue === null) return [`${seg.stream === 'commits' ? 'repository' : 'cluster'} ${seg.key} is no longer in the database`];
    const checker = new SegmentChecker(seg);
    let after = seg.from.position - 1;
    for (;;) {
      const page = await this.repo.chainPage(seg.stream, keyValue, seg.from.position, seg.to.position, after, 2000);
      for (const row of page) checker.push(row);
      if (page.length < 2000) break;
      after = Number(page[page.length - 1]!.position);
    }
    return checker.finish().map((i) => i.message);
  }

  private describeLine(format: ReportFormat, line: string | undefined): string {
    if (!line) return '(record)';
    if (format === 'csv') {
      const c = parseCsv(line)[0] ?? [];
      const col = (n: (typeof CSV_COLUMNS)[number]) => c[CSV_COLUMNS.indexOf(n)] ?? '';
      return `${col('record_type')} ${col('object_kind')} ${col('object_namespace') ? col('object_namespace') + '/' : ''}${col('object_name')} at ${col('time')}${col('commit_sha') ? ` (commit ${col('commit_sha').slice(0, 12)})` : ''}${col('manager') ? ` by ${col('manager')}` : ''}`;
    }
    const r = JSON.parse(line) as { type: string; object?: { kind: string; namespace: string; name: string }; commit?: { sha: string; committedAt: string }; observedAt?: string; openedAt?: string; startedAt?: string; manager?: string | null };
    const o = r.object ? `${r.object.kind} ${r.object.namespace ? r.object.namespace + '/' : ''}${r.object.name}` : '';
    const at = r.commit?.committedAt ?? r.observedAt ?? r.openedAt ?? r.startedAt ?? '';
    return `${r.type} ${o} at ${at}${r.commit ? ` (commit ${r.commit.sha.slice(0, 12)})` : ''}${r.manager ? ` by ${r.manager}` : ''}`;
  }

  private describeChange(format: ReportFormat, then: string | undefined, now: string | undefined): string {
    if (!then || !now) return this.describeLine(format, then ?? now);
    let fields: string[];
    if (format === 'csv') {
      const a = parseCsv(then)[0] ?? [];
      const b = parseCsv(now)[0] ?? [];
      fields = CSV_COLUMNS.filter((_, i) => (a[i] ?? '') !== (b[i] ?? ''));
    } else fields = differingPaths(JSON.parse(then), JSON.parse(now));
    return `${this.describeLine(format, then)}: ${fields.join(', ')} changed`;
  }
}
