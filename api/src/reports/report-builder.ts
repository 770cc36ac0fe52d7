import { createHash, type Hash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import picomatch from 'picomatch';
import { compareObject, CompareOptions, CompareResult, isInSync, LiveInput, ManagedFieldsEntry, compileCompareOptions } from '../core/drift';
import { createTwoFilesPatch } from 'diff';
import { stableYaml } from '../core/diff';
import { appendPathSegment } from '../core/drift/pointer';
import { describeResult } from '../drift/drift-engine.service';
import { GitEvent, LiveEvent, ObjectWalker, OutOfBandResult, ReachResult } from './analysis';
import { SummaryAccumulator } from './summary';
import { MillisecondOrder, ReachStore, type StoredReach } from './reach-store';
import { ReportsRepository, ScopeObject, ScratchKey, ScratchRow, GapRow, DesiredEventRow, LiveEventRow, DesiredStreamRow, LiveStreamRow, GitRecordRow, OutOfBandPageRow, DriftPageRow } from './reports.repository';
import type { ChainSegment, DriftRecord, EnvironmentScope, GapRecord, GitChangeRecord, ObjectRefOut, OutOfBandRecord, ReportRecord, ReportScope, ReportSummary } from './report.types';

/** The chain heads a report is bounded by, and its generation time: with the scope, all a report is derived from. */
export interface ReportSnapshot {
  generatedAt: string;
  heads: { stream: ChainSegment['stream']; key: string; position: number; hash: string | null }[];
}

export interface BuildProgress {
  phase: 'analysing' | 'writing';
  done: number;
  total: number;
}

export interface PreparedReport {
  scope: ReportScope;
  generatedAt: string;
  /**
   * The chain segments the report covers, counted when first asked for (whole-chain counts: ~0.7 s of the
   * database's time for a year): a writer asks as it starts and they are counted while it writes, on cores
   * the analysis would have shared them with. `report verify` walks the file's own segments and never asks.
   */
  chains(): Promise<ChainSegment[]>;
  /** Null when not asked for (a CSV file has none, `report verify` compares records only). */
  summary: ReportSummary | null;
  /** Records in the report (every section). */
  total: number;
  /** The records in report order: sections git, out-of-band, drift, gap; environments in scope order; time order within. */
  records(o: { diffs: boolean }): AsyncGenerator<ReportRecord>;
  dispose(): Promise<void>;
}

/** Objects followed after the window at once. */
const OBJECT_CHUNK = 2000;
/**
 * Rows per page of the report's keyset reads: the window's desired or live revisions (with their documents),
 * a section's records, revisions after the window. A report does not depend on them (the tests make them tiny).
 */
export const pageSizes = { stream: 1000, section: 1000, events: 4000 };
/** Revisions handed to the walkers at once. */
const STREAM_BATCH = 256;
const BATCH = 1000;
const MAX_PATHS = 100;

/** Documents by hash, loaded in batches and kept for a while (least recently loaded evicted first). */
class DocumentCache {
  private readonly map = new Map<string, Record<string, unknown>>();
  constructor(
    private readonly repo: ReportsRepository,
    private readonly max: number,
  ) {}

  get(hash: string | null): Record<string, unknown> | null {
    return hash ? (this.map.get(hash) ?? null) : null;
  }

  /** After this, every hash given is in the cache until the next call. */
  async ensure(hashes: Iterable<string | null>): Promise<void> {
    const wanted = new Set<string>();
    for (const h of hashes) if (h) wanted.add(h);
    const missing = [...wanted].filter((h) => !this.map.has(h));
    const room = Math.max(0, this.max - wanted.size);
    if (this.map.size + missing.length > room) {
      for (const k of this.map.keys()) {
        if (this.map.size + missing.length <= room) break;
        if (!wanted.has(k)) this.map.delete(k);
      }
    }
    if (!missing.length) return;
    for (const [h, body] of await this.repo.documents(missing)) this.map.set(h, body);
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const seconds = (from: Date, to: Date) => Math.round(to.getTime() - from.getTime()) / 1000;
const secondsIso = (from: string, to: string) => Math.round(Date.parse(to) - Date.parse(from)) / 1000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function diffPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (a === b || out.length > MAX_PATHS) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    // Keys of a, then those only b has: a stable order for the same documents.
    for (const k in a) if (a[k] !== b[k]) diffPaths(a[k], b[k], appendPathSegment(path, k, false), out);
    for (const k in b) if (!(k in a)) diffPaths(undefined, b[k], appendPathSegment(path, k, false), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffPaths(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  out.push(path || '(document)');
}

/** Display paths where two documents differ (first MAX_PATHS, then a count of the rest). */
export function changedPaths(before: unknown, after: unknown): string[] {
  if (!before || !after) return [];
  const out: string[] = [];
  diffPaths(before, after, '', out);
  if (out.length <= MAX_PATHS) return out;
  const all: string[] = [];
  countPaths(before, after, '', all);
  return [...all.slice(0, MAX_PATHS), `…and ${all.length - MAX_PATHS} more`];
}

function countPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (a === b) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) countPaths(a[k], b[k], appendPathSegment(path, k, false), out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) countPaths(a[i], b[i], `${path}[${i}]`, out);
  } else out.push(path || '(document)');
}

/** Options for compareObject from a frozen environment scope (the same fields as the drift engine's compareOptionsFor). */
export function compareOptionsOf(env: EnvironmentScope): CompareOptions {
  return { applierManagers: [env.applier], humanManagers: env.humanManagers, controllerManagers: env.controllerManagers, ignore: env.ignore };
}

/**
 * Canonical JSON (the same text as core/canonical's canonicalJson: keys sorted, no whitespace,
 * undefined members dropped) written in one pass, without copying the value first.
 */
export function canonicalText(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + (v[i] === undefined ? 'null' : canonicalText(v[i]));
    return out + ']';
  }
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalText(x);
    first = false;
  }
  return out + '}';
}

/**
 * JSON.parse(canonicalText(v)) for a JSON value as pg hands a jsonb column over (plain objects, arrays,
 * strings, finite numbers, booleans, null): a copy with every object's keys in sorted order, without
 * writing and parsing the text in between.
 */
export function canonicalCopy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'number' ? (Number.isFinite(v) ? v + 0 : null) : v;
  if (Array.isArray(v)) return v.map(canonicalCopy);
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    const x = canonicalCopy(o[k]);
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

/**
 * The line of a record in the digest: its canonical JSON without the rendered diff. Records are built
 * with their keys in code point order (nested objects too), so JSON.stringify already gives canonical
 * JSON (test/unit/reports checks this against canonicalJson); the diff is always the last key.
 */
export function recordDigestLine(r: ReportRecord): string {
  const d = (r as { diff?: string }).diff;
  return (d === undefined ? JSON.stringify(r) : JSON.stringify({ ...r, diff: undefined })) + '\n';
}

/** The stable key of a record in a report (for per-record comparison in verify). */
export function recordKey(r: ReportRecord): string {
  switch (r.type) {
    case 'git':
      return `git/${r.environment}/${r.revision.id}`;
    case 'out-of-band':
      return `out-of-band/${r.environment}/${r.revision.id}`;
    case 'drift':
      return `drift/${r.environment}/${r.interval}`;
    case 'gap':
      return `gap/${r.environment}/${r.id}`;
  }
}

/**
 * Pages of a keyset query in order, read ahead from the call on: up to `ahead` pages wait, read, for the
 * caller, and the next page is asked for as soon as one arrives while fewer wait (keyset pages cannot be
 * asked for before the page they follow has arrived). A failed read is thrown where the caller gets to it.
 */
export function pagesOf<T>(fetch: (last: T | null) => Promise<T[]>, limit: number, ahead = 1): AsyncGenerator<T[]> {
  const ready: T[][] = [];
  let last: T | null = null;
  let inFlight: Promise<void> | null = null;
  let done = false;
  let failed: { error: unknown } | null = null;
  const start = () => {
    if (done || inFlight || ready.length >= ahead) return;
    inFlight = fetch(last).then(
      (page) => {
        inFlight = null;
        if (page.length) {
          ready.push(page);
          last = page[page.length - 1]!;
        }
        if (page.length < limit) done = true;
        start();
      },
      (error: unknown) => {
        inFlight = null;
        failed = { error };
        done = true;
      },
    );
  };
  // The first page is asked for now, not when the caller first asks (it may have other reads to wait for).
  start();
  return (async function* () {
    for (;;) {
      const page = ready.shift();
      if (page) {
        start();
        yield page;
        continue;
      }
      if (failed) throw (failed as { error: unknown }).error;
      if (done) return;
      await inFlight;
    }
  })();
}

/** What the summary needs of a recorded Git change (its author and commit only when the analysis read them). */
type RevisionInfo = { change: string; author?: string; email?: string; commit?: string };

/** A revision of the Git section, with the document before it and its reach result. */
type GitRow = GitRecordRow & { prev: string | null; res: StoredReach };

/** A window revision with its documents' JSON text. */
type Streamed = (GitEvent & { objectId: number; change: string; author: string; email: string; docText: string | null }) | (LiveEvent & { objectId: number; docText: string | null; metaText: string | null });

type Tagged = (GitEvent & { objectId: number; change: string; author: string; email: string }) | (LiveEvent & { objectId: number });

interface EnvIds {
  env: EnvironmentScope;
  repoId: number | null;
  clusterId: number | null;
  desiredBound: number;
  liveBound: number;
  driftBound: number;
  gaps: GapRow[];
  /** From the analysis, for the Git section: each change's reach result, each object's document before the window, the objects in scope (null: all). */
  reach: ReachStore;
  desiredBefore: Map<number, string | null>;
  scopeIds: number[] | null;
  /** Names of objects (those in scope, and others as drift intervals name them). */
  objects: Map<number, ObjectRefOut>;
}

/**
 * Builds a report in two passes with bounded memory, whatever the window:
 *
 * 1. Analysis, object by object (the window's desired and live revisions,
 *    with their documents, read as two keyset-paged streams in object order and
 *    merged in time order): when each Git change reached the cluster, which live
 *    changes were out of band and for how long. Results go to scratch rows
 *    (report_scratch), with the drift intervals folded from the chained drift
 *    events as of the snapshot.
 * 2. Writing, section by section in time order: scratch rows joined back to
 *    their commits, revisions and objects, page by page, as records.
 *
 * Every read is bounded by the snapshot (chain heads), so building again from
 * the same scope and snapshot gives the same records: that is what
 * `report verify` does.
 */
export class ReportBuilder {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: ReportsRepository,
  ) {}

  /** The chain heads now, for the streams a scope reads. */
  async snapshot(scope: ReportScope, now = new Date()): Promise<ReportSnapshot> {
    const heads: ReportSnapshot['heads'] = [];
    const seen = new Set<string>();
    const add = async (stream: ChainSegment['stream'], key: string, keyValue: unknown) => {
      if (seen.has(`${stream}/${key}`) || keyValue === null) return;
      seen.add(`${stream}/${key}`);
      heads.push({ stream, key, ...(await this.repo.chainHead(stream, keyValue)) });
    };
    for (const env of scope.environments) {
      await add('commits', env.repository, await this.repo.repositoryId(env.repository));
      await add('desired_revisions', env.name, env.name);
      if (env.cluster) await add('live_revisions', env.cluster, await this.repo.clusterId(env.cluster));
      await add('drift_events', env.name, env.name);
    }
    return { generatedAt: now.toISOString(), heads };
  }

  /**
   * `summary: false` leaves the summary out, and with it the reads only it needs (authors by commit, the drift
   * totals: ~1.5 s of the database's time for a year).
   */
  async prepare(scope: ReportScope, snap: ReportSnapshot, run: string, onProgress?: (p: BuildProgress) => void, o: { summary?: boolean } = {}): Promise<PreparedReport> {
    const withSummary = o.summary ?? true;
    const from = new Date(scope.from);
    const to = new Date(scope.to);
    const asOf = new Date(snap.generatedAt);
    const head = (stream: ChainSegment['stream'], key: string | null) => snap.heads.find((h) => h.stream === stream && h.key === key)?.position ?? 0;
    const envs: EnvIds[] = [];
    for (const env of scope.environments) {
      const repoId = await this.repo.repositoryId(env.repository);
      const clusterId = env.cluster ? await this.repo.clusterId(env.cluster) : null;
      envs.push({
        env,
        repoId,
        clusterId,
        desiredBound: head('desired_revisions', env.name),
        liveBound: head('live_revisions', env.cluster),
        driftBound: head('drift_events', env.name),
        gaps: clusterId === null ? [] : await this.repo.gaps(clusterId, from, asOf),
        reach: new ReachStore(),
        desiredBefore: new Map(),
        scopeIds: null,
        objects: new Map(),
      });
    }
    await this.repo.deleteScratch(run);
    // The drift intervals (folded into scratch as kind 'i') and the drift summary do not depend on the analysis:
    // they are read on another connection while it runs (they took ~1.4 s after it).
    let side: Promise<Awaited<ReturnType<ReportsRepository['driftSummary']>> | null> | null = null;
    try {
      side = (async () => {
        for (const e of envs) {
          await this.repo.foldDrift(run, e.env.name, from, to, e.driftBound);
          if (scope.kinds.length || scope.namespaces.length) {
            const keep = this.filter(scope);
            await this.repo.dropDriftObjects(run, e.env.name, (await this.repo.driftObjects(run, e.env.name)).filter((o) => !keep(o)).map((o) => o.object_id));
          }
        }
        return withSummary ? await this.repo.driftSummary(run, from, to, asOf) : null;
      })();
      side.catch(() => undefined);
      // Pass 1: analysis.
      const objects = new Map<EnvIds, { objects: ScopeObject[]; complete: boolean }>();
      let totalObjects = 0;
      for (const e of envs) {
        const scoped = await this.scopeObjects(e, scope, from, to);
        objects.set(e, scoped);
        totalObjects += scoped.objects.length;
      }
      let doneObjects = 0;
      const acc = new SummaryAccumulator();
      for (const e of envs) {
        await this.analyse(e, objects.get(e)!, scope, from, to, asOf, run, acc, withSummary, (n) => {
          doneObjects += n;
          onProgress?.({ phase: 'analysing', done: doneObjects, total: totalObjects });
        });
      }
      const drift = await side;
      onProgress?.({ phase: 'analysing', done: totalObjects, total: totalObjects });
      const gapRecords = envs.flatMap((e) => this.gapRecords(e, from, to, asOf, scope));
      const summary = drift
        ? acc.finish({
            environments: scope.environments.map((x) => x.name),
            from: scope.from,
            to: scope.to,
            drift,
            gaps: gapRecords,
          })
        : null;
      const total = (await this.repo.countScratch(run)) + envs.reduce((n, e) => n + e.reach.size, 0) + gapRecords.length;
      const self = this;
      let chains: Promise<ChainSegment[]> | null = null;
      return {
        scope,
        generatedAt: snap.generatedAt,
        chains() {
          if (!chains) {
            chains = self.chains(snap, envs, run, from);
            chains.catch(() => undefined);
          }
          return chains;
        },
        summary,
        total,
        records(o: { diffs: boolean }) {
          return self.records(envs, run, from, to, asOf, gapRecords, o.diffs);
        },
        dispose: () => this.repo.deleteScratch(run),
      };
    } catch (e) {
      // Not while the drift fold may still be writing rows of this run.
      await side?.catch(() => undefined);
      await this.repo.deleteScratch(run).catch(() => undefined);
      throw e;
    }
  }

  /** The report's kind and namespace filters. */
  private filter(scope: ReportScope): (o: { kind: string; namespace: string }) => boolean {
    const kinds = new Set(scope.kinds.map((k) => k.toLowerCase()));
    const ns = scope.namespaces.length ? picomatch(scope.namespaces) : null;
    return (o) => (!kinds.size || kinds.has(o.kind.toLowerCase())) && (!ns || ns(o.namespace));
  }

  /** The objects a report on one environment covers, and whether they are all that have revisions in the window. */
  private async scopeObjects(e: EnvIds, scope: ReportScope, from: Date, to: Date): Promise<{ objects: ScopeObject[]; complete: boolean }> {
    if (e.repoId === null && e.clusterId === null) return { objects: [], complete: true };
    const inEnv = picomatch(e.env.namespaces.length ? e.env.namespaces : ['*']);
    const keep = this.filter(scope);
    const all = await this.repo.scopeObjects({ env: e.env.name, repoId: e.repoId, clusterId: e.clusterId, from, to, desiredBound: e.desiredBound, liveBound: e.liveBound });
    const objects = all.filter((o) => (o.in_git || (o.namespace !== '' && inEnv(o.namespace))) && keep(o));
    return { objects, complete: objects.length === all.length };
  }

  /**
   * Pass 1 for one environment, in one ordered pass: the desired and live revisions of the window come as two
   * keyset-paged streams in (object, time) order, each row with its documents as JSON text, merged here, and
   * each object is walked as the stream passes it (the next pages are read while this thread works, and rows
   * are used within a page or two of arriving, so they die young). Objects still unresolved at the end of the
   * window (a change not reached yet, an out-of-band change still open) are kept and followed after it at the
   * end. Scratch rows are written in the background.
   */
  private async analyse(e: EnvIds, scoped: { objects: ScopeObject[]; complete: boolean }, scope: ReportScope, from: Date, to: Date, asOf: Date, run: string, acc: SummaryAccumulator, withSummary: boolean, progressed: (n: number) => void): Promise<void> {
    const objects = scoped.objects;
    // Keys in code point order (records are serialized as they are built).
    for (const o of objects) e.objects.set(o.object_id, { group: o.group, kind: o.kind, name: o.name, namespace: o.namespace });
    if (!objects.length) {
      e.reach.seal();
      return;
    }
    const options = compareOptionsOf(e.env);
    const compiled = compileCompareOptions(options);
    let docs: { get(h: string | null): Record<string, unknown> | null } = { get: () => null };
    // The last few answers: a walker asks about the same (desired, live) pair again right after (e.g. the
    // state before a live change). Matched by string equality, not by building a key.
    const memo: { d: string; l: string; m: string | null; v: boolean }[] = [];
    const authors = new Set(scope.authors.map((a) => a.toLowerCase()));
    // compareObject reads managedFields and lastApplied only when a difference needs an owner: the meta
    // document is parsed then, not for every comparison.
    const liveInput = (live: string, meta: string | null): LiveInput => {
      type Meta = { managedFields?: ManagedFieldsEntry[]; lastApplied?: object | null };
      let m: Meta | null | undefined;
      const metaDoc = () => (m === undefined ? (m = docs.get(meta) as Meta | null) : m);
      return {
        body: docs.get(live) ?? {},
        get managedFields() {
          return metaDoc()?.managedFields;
        },
        get lastApplied() {
          return metaDoc()?.lastApplied ?? null;
        },
      };
    };
    const compare = (d: string | null, l: string | null, m: string | null): CompareResult => compareObject(docs.get(d), l ? liveInput(l, m) : null, options);
    const inSync = (d: string | null, l: string | null, m: string | null): boolean => {
      if (d === null && l === null) return true;
      if (d === null || l === null) return false;
      if (d === l) {
        // The same document on both sides: compareObject walks one value against itself, and every field
        // is equal (no owner is asked about anything), so it is in sync whatever the rules (and it parses
        // only one document: the same hash is the same object here).
        const doc = docs.get(d);
        if (isPlainObject(doc)) return true;
      }
      for (const x of memo) if (x.d === d && x.l === l && x.m === m) return x.v;
      const v = isInSync(docs.get(d), liveInput(l, m), options);
      if (memo.length >= 8) memo.shift();
      memo.push({ d, l, m, v });
      return v;
    };
    // Scratch rows: written in the background, one batch in flight.
    const pending: ScratchRow[] = [];
    let writing: Promise<void> = Promise.resolve();
    const flush = async (wait: boolean) => {
      if (pending.length >= 4000 || (wait && pending.length)) {
        const rows = pending.splice(0);
        writing = writing.then(() => this.repo.insertScratch(run, rows));
        writing.catch(() => undefined);
      }
      if (wait) await writing;
    };
    const author = (r: { author_email?: string | null; author_name?: string | null }) => !authors.size || authors.has(r.author_email!.toLowerCase()) || authors.has(r.author_name!.toLowerCase());
    // Without an author filter the revisions come without their commits: which commits are unreachable is read
    // once, and the summary's authors are counted by commit on another connection while the analysis runs
    // (a commit lookup per change was ~0.3 s of the database's time for a year).
    const withAuthors = authors.size > 0;
    const unreachable = !withAuthors && e.repoId !== null ? this.repo.unreachableCommits({ env: e.env.name, repoId: e.repoId, from, to, bound: e.desiredBound }) : Promise.resolve(null);
    unreachable.catch(() => undefined);
    const ids = objects.map((o) => o.object_id);
    const byId = new Map(objects.map((o) => [o.object_id, o]));

    e.scopeIds = scoped.complete ? null : ids;
    // The streams' first pages are read while the state before the window is.
    const batches = this.stream(e, e.scopeIds, from, to, author, withAuthors, unreachable);
    // Each object's state just before the window (hashes; their documents are read when the object comes up).
    const desiredBefore = e.desiredBefore;
    const liveBefore = new Map<number, { doc: string | null; meta: string | null; id: number | null }>();
    for (let i = 0; i < ids.length; i += 5000) {
      const part = ids.slice(i, i + 5000);
      const [dBefore, lBefore] = await Promise.all([
        e.repoId !== null ? this.repo.desiredBefore(e.env.name, e.repoId, part, from, e.desiredBound) : [],
        e.clusterId !== null ? this.repo.liveBefore(e.clusterId, part, from, e.liveBound) : [],
      ]);
      for (const r of dBefore) desiredBefore.set(r.object_id, r.document_hash);
      for (const r of lBefore) liveBefore.set(r.object_id, { doc: r.document_hash, meta: r.meta_hash, id: Number(r.id) });
    }

    // The documents of the object being walked, as JSON text (from its rows, or read for its state before the
    // window), parsed when a comparison asks; the last few parsed are kept (the same few are asked for again).
    const texts = new Map<string, string>();
    const parsed = new Map<string, Record<string, unknown>>();
    const streamDocs = {
      get(h: string | null): Record<string, unknown> | null {
        if (!h) return null;
        let d = parsed.get(h);
        if (d !== undefined) return d;
        const text = texts.get(h);
        if (text === undefined) return null;
        d = JSON.parse(text) as Record<string, unknown>;
        if (parsed.size >= 64) parsed.delete(parsed.keys().next().value!);
        parsed.set(h, d);
        return d;
      },
    };
    docs = streamDocs;

    const walkers = new Map<number, ObjectWalker>();
    const open: number[] = [];
    const walkerOf = (o: ScopeObject): ObjectWalker => {
      // What a reach or out-of-band result needs of its revision, until it is written.
      const revisions = new Map<number, RevisionInfo>();
      const managers = new Map<number, string | null>();
      const w = new ObjectWalker(
        {
          applier: e.env.applier,
          inSync,
          compare,
          classify: (m) => (m ? compiled.classify(m) : 'unknown'),
          describe: describeResult,
          paths: (a, b) => changedPaths(docs.get(a), docs.get(b)),
          unreached: (committedAt, deleted) => this.unreachedReason(e, o, committedAt, asOf, deleted),
          reach: (r: ReachResult) => {
            const info = revisions.get(r.revisionId)!;
            revisions.delete(r.revisionId);
            acc.gitChange({ ...info, commitToLiveSeconds: r.reachedAt ? seconds(r.committedAt, r.reachedAt) : null });
            e.reach.add(r);
          },
          outOfBand: (r: OutOfBandResult) => {
            acc.outOfBand({ manager: managers.get(r.revisionId) ?? null, durationSeconds: seconds(r.observedAt, r.endedAt ?? asOf), ongoing: r.endedAt === null });
            pending.push(this.outOfBandRow(e.env.name, r));
          },
        },
        desiredBefore.get(o.object_id) ?? null,
        liveBefore.get(o.object_id) ?? { doc: null, meta: null, id: null },
      );
      walkers.set(o.object_id, w);
      return Object.assign(w, { revisions, managers });
    };
    type Walker = ObjectWalker & { revisions: Map<number, RevisionInfo>; managers: Map<number, string | null> };

    let current: Walker | null = null;
    let currentId = -1;
    let doneObjects = 0;
    const leave = () => {
      if (!current) return;
      // Only what an unresolved object still refers to is kept (for the pass after the window).
      current.managers.clear();
      if (current.needsMore) open.push(currentId);
      else {
        current.finish();
        walkers.delete(currentId);
      }
      current = null;
      doneObjects++;
    };
    const started = new Set<number>();
    // Counted as soon as they arrive (50,000 rows for a year, not kept through the analysis).
    const byCommit =
      withSummary && !withAuthors && e.repoId !== null
        ? this.repo.commitAuthors({ env: e.env.name, repoId: e.repoId, ids: scoped.complete ? null : ids, from, to, bound: e.desiredBound }).then((rows) => {
            for (const c of rows) acc.authoredCommit({ commit: c.sha, author: c.author_name, email: c.author_email, changes: c.changes });
          })
        : null;
    byCommit?.catch(() => undefined);
    for await (const batch of batches) {
      // State documents of the objects that start in this batch.
      const need: string[] = [];
      // And live documents the stream sent without their text (the object's Git change brought the same document)
      // that will not be in `texts` when their row comes: what `texts` will hold is followed through the batch.
      let held: Set<string> | null = null;
      let heldId = currentId;
      for (const ev of batch) {
        const d = desiredBefore.get(ev.objectId);
        const l = liveBefore.get(ev.objectId);
        if (!started.has(ev.objectId)) {
          started.add(ev.objectId);
          for (const h of [d, l?.doc, l?.meta]) if (h && !texts.has(h)) need.push(h);
        }
        if (ev.objectId !== heldId) {
          heldId = ev.objectId;
          held = new Set();
          for (const h of [d, l?.doc, l?.meta]) if (h) held.add(h);
        }
        if (!ev.doc) continue;
        const has = held ? held.has(ev.doc) : texts.has(ev.doc);
        if (ev.docText === null && !has) need.push(ev.doc);
        if (!has) (held ??= new Set(texts.keys())).add(ev.doc);
      }
      const before = need.length ? await this.repo.documentTexts([...new Set(need)]) : null;
      for (const ev of batch) {
        if (ev.objectId !== currentId) {
          leave();
          const o = byId.get(ev.objectId);
          if (!o) continue;
          // A new object: only its own documents are needed from here on.
          texts.clear();
          const d = desiredBefore.get(ev.objectId);
          const l = liveBefore.get(ev.objectId);
          for (const h of [d, l?.doc, l?.meta]) {
            const t = h ? before?.get(h) : undefined;
            if (t !== undefined) texts.set(h!, t);
          }
          current = walkerOf(o) as Walker;
          currentId = ev.objectId;
        }
        if (ev.docText !== null && ev.doc) texts.set(ev.doc, ev.docText);
        else if (ev.doc && !texts.has(ev.doc)) {
          // Read with the batch's state documents, or (where `texts` was guessed wrong) now.
          const t = before?.get(ev.doc) ?? (await this.repo.documentTexts([ev.doc])).get(ev.doc);
          if (t !== undefined) texts.set(ev.doc, t);
        }
        if (ev.source === 'live') {
          if (ev.metaText !== null && ev.meta) texts.set(ev.meta, ev.metaText);
          if (ev.record) current!.managers.set(ev.id, ev.manager);
        } else if (ev.record) current!.revisions.set(ev.id, withAuthors ? { change: ev.change, author: ev.author, email: ev.email, commit: ev.commit } : { change: ev.change });
        current!.push(ev);
      }
      // A long history of one object: keep only the documents its state refers to.
      if (current && texts.size > 256) {
        const keep = new Set(current.state());
        for (const h of texts.keys()) if (!keep.has(h)) texts.delete(h);
      }
      await flush(false);
      progressed(doneObjects);
      doneObjects = 0;
    }
    leave();
    progressed(doneObjects);
    texts.clear();
    parsed.clear();

    // After the window, for objects still unresolved, a chunk of objects at a time.
    for (let i = 0; i < open.length; i += OBJECT_CHUNK) {
      let list = open.slice(i, i + OBJECT_CHUNK);
      const cache = new DocumentCache(this.repo, 6000);
      docs = cache;
      await this.feed(this.events(e, () => (list = list.filter((id) => walkers.get(id)!.needsMore)), to, true, null, () => false, false), walkers, cache, true, () => undefined, () => flush(false));
      for (const id of open.slice(i, i + OBJECT_CHUNK)) walkers.get(id)!.finish();
    }
    e.reach.seal();
    await byCommit;
    await flush(true);
  }

  /**
   * The window's desired and live revisions with their documents, merged in (object, time, git before live)
   * order, in batches. The first pages are asked for at the call; each stream's next page as soon as a page
   * arrives. Rows of unreachable commits (once `unreachableP` tells which) are skipped.
   */
  private stream(e: EnvIds, ids: number[] | null, from: Date, to: Date, recordGit: (r: DesiredStreamRow) => boolean, withAuthors: boolean, unreachableP: Promise<Set<string> | null>): AsyncGenerator<Streamed[]> {
    const desired =
      e.repoId === null
        ? null
        : pagesOf<DesiredStreamRow>(
            (last) => this.repo.desiredStream({ env: e.env.name, repoId: e.repoId!, ids, from, to, bound: e.desiredBound, after: last && [last.object_id, last.at_key, last.seq, last.id], limit: pageSizes.stream, authors: withAuthors }),
            pageSizes.stream,
          );
    const live =
      e.clusterId === null
        ? null
        : pagesOf<LiveStreamRow>(
            (last) =>
              this.repo.liveStream({
                clusterId: e.clusterId!, ids, from, to, bound: e.liveBound, after: last && [last.object_id, last.at_key, last.id], limit: pageSizes.stream,
                desired: e.repoId === null ? null : { env: e.env.name, bound: e.desiredBound },
              }),
            pageSizes.stream,
          );
    return (async function* () {
      const unreachable = await unreachableP;
      let dBuf: (DesiredStreamRow | undefined)[] = [];
      let lBuf: (LiveStreamRow | undefined)[] = [];
      let di = 0;
      let li = 0;
      let dDone = desired === null;
      let lDone = live === null;
      try {
        for (;;) {
          if (di >= dBuf.length && !dDone) {
            const r = await desired!.next();
            if (r.done) dDone = true;
            else [dBuf, di] = [r.value, 0];
          }
          if (li >= lBuf.length && !lDone) {
            const r = await live!.next();
            if (r.done) lDone = true;
            else [lBuf, li] = [r.value, 0];
          }
          if (di >= dBuf.length && li >= lBuf.length && dDone && lDone) return;
          // Small batches, and rows let go of as they are taken: what the walkers are done with dies young
          // instead of waiting, referenced, for the rest of its page (and being copied by every scavenge).
          const batch: Streamed[] = [];
          while (batch.length < STREAM_BATCH) {
            const d = di < dBuf.length ? dBuf[di] : undefined;
            const l = li < lBuf.length ? lBuf[li] : undefined;
            // A buffer that ran dry but has more rows to come must be refilled before merging on.
            if ((!d && !dDone) || (!l && !lDone) || (!d && !l)) break;
            if (d && (withAuthors ? !d.reachable : unreachable!.has(d.commit_sha))) {
              // A change in a commit no longer reachable from the branch: not part of the history.
              dBuf[di++] = undefined;
              continue;
            }
            if (d && (!l || d.object_id < l.object_id || (d.object_id === l.object_id && d.at_ms <= l.at_ms))) {
              batch.push({
                source: 'git', objectId: d.object_id, at: new Date(d.at_ms), id: d.id, seq: d.seq, doc: d.document_hash, commit: d.commit_sha,
                record: recordGit(d), change: d.change, author: d.author_name ?? '', email: d.author_email ?? '', docText: d.doc_text,
              });
              dBuf[di++] = undefined;
            } else {
              batch.push({ source: 'live', objectId: l!.object_id, at: new Date(l!.at_ms), id: l!.id, doc: l!.document_hash, meta: l!.meta_hash, manager: l!.manager, operation: l!.operation, record: true, docText: l!.doc_text, metaText: l!.meta_text });
              lBuf[li++] = undefined;
            }
          }
          if (batch.length) yield batch;
        }
      } finally {
        await Promise.all([desired?.return(undefined), live?.return(undefined)]);
      }
    })();
  }

  /** Streams events into walkers, loading the documents of each batch first. */
  private async feed(
    stream: AsyncGenerator<Tagged[]>,
    walkers: Map<number, ObjectWalker>,
    cache: DocumentCache,
    skipResolved: boolean,
    seen: (ev: Tagged) => void,
    afterBatch: () => Promise<void>,
  ): Promise<void> {
    for await (const batch of stream) {
      const need: (string | null)[] = [];
      const objs = new Set<number>();
      for (const ev of batch) {
        need.push(ev.doc);
        if (ev.source === 'live') need.push(ev.meta);
        objs.add(ev.objectId);
      }
      for (const id of objs) need.push(...walkers.get(id)!.state());
      await cache.ensure(need);
      for (const ev of batch) {
        const w = walkers.get(ev.objectId)!;
        if (skipResolved && !w.needsMore) continue;
        seen(ev);
        w.push(ev);
      }
      await afterBatch();
    }
  }

  /**
   * Desired and live revisions of some objects, merged in (object, time, git before live) order, in batches.
   * `ids` is read before every page, so the caller may shrink it as objects resolve.
   */
  private async *events(
    e: EnvIds,
    ids: () => number[],
    from: Date,
    fromExclusive: boolean,
    to: Date | null,
    recordGit: (r: DesiredEventRow) => boolean,
    recordLive: boolean,
  ): AsyncGenerator<Tagged[]> {
    let dAfter: [number, string, number, number] | null = null;
    let lAfter: [number, string, number] | null = null;
    let dDone = e.repoId === null;
    let lDone = e.clusterId === null;
    let dBuf: DesiredEventRow[] = [];
    let lBuf: LiveEventRow[] = [];
    let di = 0;
    let li = 0;
    const inWindow = (at: Date) => to === null || at.getTime() <= to.getTime();
    for (;;) {
      const list = ids();
      if (!list.length) return;
      // Both pages at once when both buffers ran dry.
      const dNext = di >= dBuf.length && !dDone ? this.repo.desiredEvents({ env: e.env.name, repoId: e.repoId!, ids: list, from, fromExclusive, to, bound: e.desiredBound, after: dAfter, limit: pageSizes.events }) : null;
      const lNext = li >= lBuf.length && !lDone ? this.repo.liveEvents({ clusterId: e.clusterId!, ids: list, from, fromExclusive, to, bound: e.liveBound, after: lAfter, limit: pageSizes.events }) : null;
      if (dNext && lNext) lNext.catch(() => undefined);
      if (dNext) {
        dBuf = await dNext;
        di = 0;
        if (dBuf.length < pageSizes.events) dDone = true;
        const last = dBuf[dBuf.length - 1];
        if (last) dAfter = [last.object_id, last.at_key, last.seq, last.id];
      }
      if (lNext) {
        lBuf = await lNext;
        li = 0;
        if (lBuf.length < pageSizes.events) lDone = true;
        const last = lBuf[lBuf.length - 1];
        if (last) lAfter = [last.object_id, last.at_key, last.id];
      }
      if (di >= dBuf.length && li >= lBuf.length && dDone && lDone) return;
      const batch: Tagged[] = [];
      while (batch.length < BATCH) {
        const d = di < dBuf.length ? dBuf[di] : undefined;
        const l = li < lBuf.length ? lBuf[li] : undefined;
        // A buffer that ran dry but has more rows to come must be refilled before merging on.
        if ((!d && !dDone) || (!l && !lDone)) break;
        if (!d && !l) break;
        const takeGit = d && (!l || d.object_id < l.object_id || (d.object_id === l.object_id && d.at.getTime() <= l.at.getTime()));
        if (takeGit) {
          batch.push({
            source: 'git', objectId: d!.object_id, at: d!.at, id: d!.id, seq: d!.seq, doc: d!.document_hash, commit: d!.commit_sha,
            record: inWindow(d!.at) && recordGit(d!), change: d!.change, author: d!.author_name, email: d!.author_email,
          });
          di++;
        } else {
          batch.push({ source: 'live', objectId: l!.object_id, at: l!.at, id: l!.id, doc: l!.document_hash, meta: l!.meta_hash, manager: l!.manager, operation: l!.operation, record: recordLive && inWindow(l!.at) });
          li++;
        }
      }
      if (batch.length) yield batch;
    }
  }

  private unreachedReason(e: EnvIds, o: ScopeObject, committedAt: Date, asOf: Date, deleted: boolean): string {
    if (!e.env.cluster) return 'not observed: the environment has no cluster';
    if (e.clusterId === null) return `not observed: cluster ${e.env.cluster} was never recorded`;
    const gap = e.gaps.find((g) => g.group === o.group && g.kind === o.kind && (g.ended_at === null || g.ended_at.getTime() >= committedAt.getTime()));
    if (gap) return `not observed: live recording of ${o.kind} had a gap from ${gap.started_at.toISOString()} to ${gap.ended_at ? gap.ended_at.toISOString() : 'the end of the report (still open)'} (${gap.reason})`;
    return deleted ? `never applied: the object was still in the cluster at ${asOf.toISOString()}` : `never applied: no live state matching this commit was recorded by ${asOf.toISOString()}`;
  }

  private outOfBandRow(env: string, r: OutOfBandResult): ScratchRow {
    return {
      kind: 'o', env, sortAt: r.observedAt, sortSeq: 0, ref: r.revisionId, t1: r.endedAt, ref2: null,
      prevDoc: r.prevDoc, reason: r.reason, info: r.managerClass, paths: JSON.stringify(r.paths), summary: r.summary,
    };
  }

  private gapRecords(e: EnvIds, from: Date, to: Date, asOf: Date, scope: ReportScope): GapRecord[] {
    const kinds = new Set(scope.kinds.map((k) => k.toLowerCase()));
    return e.gaps
      .filter((g) => g.started_at.getTime() <= to.getTime() && (g.ended_at === null || g.ended_at.getTime() >= from.getTime()))
      .filter((g) => !kinds.size || kinds.has(g.kind.toLowerCase()))
      .map((g) => ({
        cluster: e.env.cluster!,
        durationSeconds: seconds(g.started_at, g.ended_at ?? asOf),
        endedAt: iso(g.ended_at),
        environment: e.env.name,
        group: g.group,
        id: g.id,
        kind: g.kind,
        open: g.ended_at === null,
        reason: g.reason,
        startedAt: g.started_at.toISOString(),
        type: 'gap' as const,
      }));
  }

  /** The chain segments the report covers: from the first record of the window (or the head, when none) to the head. */
  private async chains(snap: ReportSnapshot, envs: EnvIds[], run: string, from: Date): Promise<ChainSegment[]> {
    const out: ChainSegment[] = [];
    for (const h of snap.heads) {
      const e = envs.find((x) => (h.stream === 'commits' ? x.env.repository === h.key : h.stream === 'live_revisions' ? x.env.cluster === h.key : x.env.name === h.key));
      if (!e) continue;
      const keyValue = h.stream === 'commits' ? e.repoId : h.stream === 'live_revisions' ? e.clusterId : h.key;
      if (h.position === 0 || keyValue === null) {
        out.push({ stream: h.stream, key: h.key, from: { position: 0, prevHash: null }, to: { position: 0, hash: null }, records: 0 });
        continue;
      }
      let first: number | null;
      if (h.stream === 'drift_events') first = await this.repo.driftSegmentStart(run, h.key);
      else first = await this.repo.firstPositionSince(h.stream, keyValue, from, h.position);
      const start = first === null ? h.position : Math.min(first, h.position);
      const info = await this.repo.segmentInfo(h.stream, keyValue, start, h.position);
      out.push({ stream: h.stream, key: h.key, from: { position: start, prevHash: info.prevHash }, to: { position: h.position, hash: h.hash }, records: info.records });
    }
    return out;
  }

  /** Pass 2: the records, page by page from scratch, joined back to their source rows. */
  private async *records(envs: EnvIds[], run: string, from: Date, to: Date, asOf: Date, gaps: GapRecord[], diffs: boolean): AsyncGenerator<ReportRecord> {
    const asOfIso = asOf.toISOString();
    const docs = new DocumentCache(this.repo, 8000);
    const key = (r: { k_at: string; k_seq: string; ref: string }): ScratchKey => ({ at: r.k_at, seq: r.k_seq, ref: r.ref });
    // unifiedYamlDiff over YAML kept per document: each desired document is the "after" of one change
    // and the "before" of the next change to its object, so it is rendered once.
    const yaml = new Map<string, string>();
    const yamlOf = (h: string | null): string => {
      if (!h) return '';
      let y = yaml.get(h);
      if (y === undefined) {
        y = stableYaml(docs.get(h));
        if (yaml.size >= 8000) yaml.delete(yaml.keys().next().value!);
        yaml.set(h, y);
      }
      return y;
    };
    const diff = (a: string | null, b: string | null, labelA: string, labelB: string): string => {
      const ya = yamlOf(a);
      const yb = yamlOf(b);
      if (ya === yb) return '';
      const patch = createTwoFilesPatch(labelA, labelB, ya, yb, undefined, undefined, { context: 2 });
      return patch.startsWith('=') ? patch.slice(patch.indexOf('\n') + 1) : patch;
    };
    // The Git section: the window's revisions in time order, each with its reach result from the analysis.
    // The document before a change is followed per object here, over the same revisions the analysis walked
    // (reachable ones of the objects in scope), from the object's document before the window.
    for (const e of envs) {
      if (e.repoId === null) continue;
      const before = new Map<number, string | null>();
      const order = new MillisecondOrder<GitRow>();
      const ready: GitRow[] = [];
      const pages = pagesOf<GitRecordRow>(
        (last) => this.repo.gitRecords({ env: e.env.name, repoId: e.repoId!, ids: e.scopeIds, from, to, bound: e.desiredBound, after: last && [last.at_key, last.seq, last.id], limit: pageSizes.section }),
        pageSizes.section,
        2,
      );
      const pageRecords = async function* (rows: GitRow[]): AsyncGenerator<GitChangeRecord> {
        if (diffs) await docs.ensure(rows.flatMap((r) => [r.prev, r.document_hash]));
        for (const r of rows) {
          const res = r.res;
          const reachedAt = res.reachedAt === null ? null : new Date(res.reachedAt).toISOString();
          // Keys in code point order, nested ones too: JSON.stringify gives the canonical JSON the digest is over.
          const rec: GitChangeRecord = {
            change: r.change,
            changedPaths: res.paths as string[],
            commit: {
              author: { email: r.author_email, name: r.author_name },
              authoredAt: r.authored_at,
              committedAt: r.committed_at,
              committer: { email: r.committer_email, name: r.committer_name },
              hash: r.commit_hash,
              message: r.message,
              pr: r.pr_number === null ? null : { kind: r.pr_kind, number: r.pr_number },
              sha: r.commit_sha,
              subject: r.subject,
            },
            commitToLiveSeconds: reachedAt ? secondsIso(r.committed_at, reachedAt) : null,
            document: { after: r.document_hash, before: r.prev },
            environment: e.env.name,
            liveRevision: res.liveRevisionId,
            notReachedReason: res.reason,
            object: e.objects.get(r.object_id)!,
            path: r.path,
            reachNote: res.note,
            reachedClusterAt: reachedAt,
            revision: { hash: r.revision_hash, id: r.id },
            type: 'git',
          };
          if (diffs) rec.diff = diff(r.prev, r.document_hash, `${r.path}@parent`, `${r.path}@${r.commit_sha.slice(0, 12)}`);
          yield rec;
        }
      };
      for await (const page of pages) {
        for (const row of page) {
          if (!row.reachable) continue;
          const prev = before.has(row.object_id) ? before.get(row.object_id)! : (e.desiredBefore.get(row.object_id) ?? null);
          before.set(row.object_id, row.document_hash);
          // Changes the analysis did not record (an author filter) only move their object's document on.
          const res = e.reach.get(row.id);
          if (res) order.push(Object.assign(row, { prev, res }), ready);
        }
        yield* pageRecords(ready.splice(0));
      }
      order.flush(ready);
      yield* pageRecords(ready.splice(0));
    }
    for (const e of envs) {
      if (e.clusterId === null) continue;
      for await (const page of pagesOf<OutOfBandPageRow>((last) => this.repo.outOfBandPage(run, e.env.name, e.clusterId!, last && key(last), pageSizes.section), pageSizes.section, 2)) {
        if (diffs) await docs.ensure(page.flatMap((r) => [r.prev_doc, r.document_hash]));
        for (const r of page) {
          const rec: OutOfBandRecord = {
            backInSyncAt: iso(r.ended_at),
            change: r.change,
            changedPaths: r.paths ? (JSON.parse(r.paths) as string[]) : [],
            cluster: e.env.cluster!,
            document: { after: r.document_hash, before: r.prev_doc },
            driftSummary: r.summary ?? '',
            durationSeconds: seconds(r.observed_at, r.ended_at ?? asOf),
            environment: e.env.name,
            manager: r.manager,
            managerClass: r.manager_class,
            object: { group: r.group, kind: r.kind, name: r.name, namespace: r.namespace },
            observedAt: r.observed_at.toISOString(),
            ongoing: r.ended_at === null,
            operation: r.operation,
            reason: r.reason,
            revision: { hash: r.hash, id: Number(r.ref) },
            type: 'out-of-band',
          };
          if (diffs) rec.diff = diff(r.prev_doc, r.document_hash, 'live before', `live at ${r.observed_at.toISOString()}`);
          yield rec;
        }
      }
    }
    for (const e of envs) {
      for await (const page of pagesOf<DriftPageRow>((last) => this.repo.driftPage(run, e.env.name, last && key(last), pageSizes.section), pageSizes.section, 2)) {
        // Objects with drift but no revision in the window are named on first sight.
        const missing = new Set<number>();
        for (const r of page) if (!e.objects.has(Number(r.k_seq))) missing.add(Number(r.k_seq));
        for (const o of await this.repo.objectsByIds([...missing])) e.objects.set(o.id, { group: o.group, kind: o.kind, name: o.name, namespace: o.namespace });
        for (const r of page) {
          const object = e.objects.get(Number(r.k_seq));
          // (As the join this replaces: an interval of an object not in the objects table is left out.)
          if (!object) continue;
          yield {
            closedAt: r.closed_at,
            closedBy: r.closed_by === null || r.closed_by === undefined ? null : canonicalCopy(r.closed_by),
            driftType: r.type,
            durationSeconds: secondsIso(r.opened_at, r.closed_at ?? asOfIso),
            environment: e.env.name,
            event: { hash: r.event_hash, id: Number(r.event_id) },
            interval: Number(r.ref),
            object,
            open: r.closed_at === null,
            openedAt: r.opened_at,
            openedBy: canonicalCopy(r.opened_by),
            summary: r.summary,
            type: 'drift',
          } satisfies DriftRecord;
        }
      }
    }
    for (const g of gaps) yield g;
  }
}

/**
 * sha256 of a report's records: one canonical JSON line per record, diffs left out. The lines are
 * written as UTF-8 into a block that is hashed when full (one hash update per record cost more than
 * the hashing itself); the digest is the same.
 */
export class RecordDigest {
  private readonly h: Hash = createHash('sha256');
  private readonly block = Buffer.allocUnsafeSlow(1 << 16);
  private used = 0;
  count = 0;
  add(r: ReportRecord): void {
    const line = recordDigestLine(r);
    // At most 3 bytes of UTF-8 per UTF-16 code unit.
    if (line.length * 3 > this.block.length - this.used) {
      this.flush();
      if (line.length * 3 > this.block.length) this.h.update(line);
      else this.used = this.block.write(line, 0, 'utf8');
    } else this.used += this.block.write(line, this.used, 'utf8');
    this.count++;
  }
  private flush(): void {
    if (this.used) this.h.update(this.block.subarray(0, this.used));
    this.used = 0;
  }
  digest(): string {
    this.flush();
    return this.h.digest('hex');
  }
}
