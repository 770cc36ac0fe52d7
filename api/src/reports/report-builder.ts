import { createHash, type Hash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import picomatch from 'picomatch';
import { canonicalJson } from '../core/canonical';
import { compareObject, CompareOptions, CompareResult, LiveInput, ManagedFieldsEntry, compileCompareOptions } from '../core/drift';
import { jsonPatch, unifiedYamlDiff } from '../core/diff';
import { pointerToPath } from '../core/drift/pointer';
import { describeResult } from '../drift/drift-engine.service';
import { ObjectEvent, ObjectWalker, OutOfBandResult, ReachResult } from './analysis';
import { ReportsRepository, ScopeObject, ScratchKey, ScratchRow, GapRow, DesiredEventRow, LiveEventRow } from './reports.repository';
import type { ChainSegment, EnvironmentScope, GapRecord, ReportRecord, ReportScope, ReportSummary } from './report.types';

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
  chains: ChainSegment[];
  summary: ReportSummary;
  /** Records in the report (every section). */
  total: number;
  /** The records in report order: sections git, out-of-band, drift, gap; environments in scope order; time order within. */
  records(o: { diffs: boolean }): AsyncGenerator<ReportRecord>;
  dispose(): Promise<void>;
}

const OBJECT_CHUNK = 1000;
const EVENT_PAGE = 2000;
const BATCH = 1000;
const PAGE = 500;
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

/** Display paths of a JSON patch between two documents (first MAX_PATHS, then a count). */
export function changedPaths(before: unknown, after: unknown): string[] {
  if (!before || !after) return [];
  const seen = new Set<string>();
  for (const op of jsonPatch(before, after)) seen.add(pointerToPath(op.path) || '(document)');
  const all = [...seen];
  return all.length > MAX_PATHS ? [...all.slice(0, MAX_PATHS), `…and ${all.length - MAX_PATHS} more`] : all;
}

/** Options for compareObject from a frozen environment scope (the same fields as the drift engine's compareOptionsFor). */
export function compareOptionsOf(env: EnvironmentScope): CompareOptions {
  return { applierManagers: [env.applier], humanManagers: env.humanManagers, controllerManagers: env.controllerManagers, ignore: env.ignore };
}

/** What the canonical digest of a record covers: everything but the rendered diff. */
export function recordDigestLine(r: ReportRecord): string {
  const { diff: _diff, ...rest } = r as ReportRecord & { diff?: string };
  return canonicalJson(rest) + '\n';
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

type Tagged = ObjectEvent & { objectId: number };

interface EnvIds {
  env: EnvironmentScope;
  repoId: number | null;
  clusterId: number | null;
  desiredBound: number;
  liveBound: number;
  driftBound: number;
  gaps: GapRow[];
}

/**
 * Builds a report in two passes with bounded memory, whatever the window:
 *
 * 1. Analysis, object by object (chunks of objects, their desired and live
 *    revisions read with keyset cursors and merged in time order): when each
 *    Git change reached the cluster, which live changes were out of band and for
 *    how long. Results go to scratch rows (report_scratch), with the drift
 *    intervals folded from the chained drift events as of the snapshot.
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

  async prepare(scope: ReportScope, snap: ReportSnapshot, run: string, onProgress?: (p: BuildProgress) => void): Promise<PreparedReport> {
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
      });
    }
    await this.repo.deleteScratch(run);
    try {
      // Pass 1: analysis.
      const objects = new Map<EnvIds, ScopeObject[]>();
      let totalObjects = 0;
      for (const e of envs) {
        const list = await this.scopeObjects(e, scope, from, to);
        objects.set(e, list);
        totalObjects += list.length;
      }
      let doneObjects = 0;
      for (const e of envs) {
        await this.analyse(e, objects.get(e)!, scope, from, to, asOf, run, (n) => {
          doneObjects += n;
          onProgress?.({ phase: 'analysing', done: doneObjects, total: totalObjects });
        });
        await this.repo.foldDrift(run, e.env.name, from, to, e.driftBound);
        if (scope.kinds.length || scope.namespaces.length) {
          const keep = this.filter(scope);
          await this.repo.dropDriftObjects(run, e.env.name, (await this.repo.driftObjects(run, e.env.name)).filter((o) => !keep(o)).map((o) => o.object_id));
        }
      }
      onProgress?.({ phase: 'analysing', done: totalObjects, total: totalObjects });
      const chains = await this.chains(snap, envs, run, from);
      const gapRecords = envs.flatMap((e) => this.gapRecords(e, from, to, asOf, scope));
      const summary = await this.summary(scope, run, from, to, asOf, gapRecords);
      const total = (await this.repo.countScratch(run)) + gapRecords.length;
      const self = this;
      return {
        scope,
        generatedAt: snap.generatedAt,
        chains,
        summary,
        total,
        records(o: { diffs: boolean }) {
          return self.records(envs, run, asOf, gapRecords, o.diffs);
        },
        dispose: () => this.repo.deleteScratch(run),
      };
    } catch (e) {
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

  private async scopeObjects(e: EnvIds, scope: ReportScope, from: Date, to: Date): Promise<ScopeObject[]> {
    if (e.repoId === null && e.clusterId === null) return [];
    const inEnv = picomatch(e.env.namespaces.length ? e.env.namespaces : ['*']);
    const keep = this.filter(scope);
    const all = await this.repo.scopeObjects({ env: e.env.name, repoId: e.repoId, clusterId: e.clusterId, from, to, desiredBound: e.desiredBound, liveBound: e.liveBound });
    return all.filter((o) => (o.in_git || (o.namespace !== '' && inEnv(o.namespace))) && keep(o));
  }

  /** Pass 1 for one environment. */
  private async analyse(e: EnvIds, objects: ScopeObject[], scope: ReportScope, from: Date, to: Date, asOf: Date, run: string, progressed: (n: number) => void): Promise<void> {
    const options = compareOptionsOf(e.env);
    const compiled = compileCompareOptions(options);
    const docs = new DocumentCache(this.repo, 6000);
    const syncCache = new Map<string, boolean>();
    const authors = new Set(scope.authors.map((a) => a.toLowerCase()));
    const liveInput = (live: string, meta: string | null): LiveInput => {
      const m = docs.get(meta) as { managedFields?: ManagedFieldsEntry[]; lastApplied?: object | null } | null;
      return { body: docs.get(live) ?? {}, managedFields: m?.managedFields, lastApplied: m?.lastApplied ?? null };
    };
    const compare = (d: string | null, l: string | null, m: string | null): CompareResult => compareObject(docs.get(d), l ? liveInput(l, m) : null, options);
    const inSync = (d: string | null, l: string | null, m: string | null): boolean => {
      if (d === null && l === null) return true;
      if (d === null || l === null) return false;
      const key = `${d}${l}${m ?? ''}`;
      let v = syncCache.get(key);
      if (v === undefined) {
        v = compare(d, l, m).type === 'in-sync';
        if (syncCache.size >= 50_000) syncCache.clear();
        syncCache.set(key, v);
      }
      return v;
    };
    const pending: ScratchRow[] = [];
    const flush = async (force: boolean) => {
      if (pending.length && (force || pending.length >= 5000)) await this.repo.insertScratch(run, pending.splice(0));
    };

    for (let i = 0; i < objects.length; i += OBJECT_CHUNK) {
      const chunk = objects.slice(i, i + OBJECT_CHUNK);
      const ids = chunk.map((o) => o.object_id);
      const desiredBefore = new Map<number, string | null>();
      const liveBefore = new Map<number, { doc: string | null; meta: string | null; id: number | null }>();
      if (e.repoId !== null) for (const r of await this.repo.desiredBefore(e.env.name, e.repoId, ids, from, e.desiredBound)) desiredBefore.set(r.object_id, r.document_hash);
      if (e.clusterId !== null) for (const r of await this.repo.liveBefore(e.clusterId, ids, from, e.liveBound)) liveBefore.set(r.object_id, { doc: r.document_hash, meta: r.meta_hash, id: Number(r.id) });
      const walkers = new Map<number, ObjectWalker>();
      for (const o of chunk) {
        const unreached = (committedAt: Date, deleted: boolean) => this.unreachedReason(e, o, committedAt, asOf, deleted);
        walkers.set(
          o.object_id,
          new ObjectWalker(
            {
              applier: e.env.applier,
              inSync,
              compare,
              classify: (m) => (m ? compiled.classify(m) : 'unknown'),
              describe: describeResult,
              paths: (a, b) => changedPaths(docs.get(a), docs.get(b)),
              unreached,
              reach: (r: ReachResult) => pending.push(this.reachRow(e.env.name, r)),
              outOfBand: (r: OutOfBandResult) => pending.push(this.outOfBandRow(e.env.name, r)),
            },
            desiredBefore.get(o.object_id) ?? null,
            liveBefore.get(o.object_id) ?? { doc: null, meta: null, id: null },
          ),
        );
      }
      const feed = async (stream: AsyncGenerator<Tagged[]>, skipResolved: boolean) => {
        for await (const batch of stream) {
          const need: (string | null)[] = [];
          const objs = new Set<number>();
          for (const ev of batch) {
            need.push(ev.doc);
            if (ev.source === 'live') need.push(ev.meta);
            objs.add(ev.objectId);
          }
          for (const id of objs) need.push(...walkers.get(id)!.state());
          await docs.ensure(need);
          for (const ev of batch) {
            const w = walkers.get(ev.objectId)!;
            if (skipResolved && !w.needsMore) continue;
            w.push(ev);
          }
              await flush(false);
        }
      };
      const author = (r: DesiredEventRow) => !authors.size || authors.has(r.author_email.toLowerCase()) || authors.has(r.author_name.toLowerCase());
      // The window, then what comes after it for objects still unresolved (a change not reached yet, an out-of-band change still open).
      await feed(this.events(e, () => ids, from, false, to, (r) => author(r), true), false);
      let open = ids.filter((id) => walkers.get(id)!.needsMore);
      if (open.length) {
        await feed(this.events(e, () => (open = open.filter((id) => walkers.get(id)!.needsMore)), to, true, null, () => false, false), true);
      }
      for (const w of walkers.values()) w.finish();
      await flush(true);
      progressed(chunk.length);
    }
    await flush(true);
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
      if (di >= dBuf.length && !dDone) {
        dBuf = await this.repo.desiredEvents({ env: e.env.name, repoId: e.repoId!, ids: list, from, fromExclusive, to, bound: e.desiredBound, after: dAfter, limit: EVENT_PAGE });
        di = 0;
        if (dBuf.length < EVENT_PAGE) dDone = true;
        const last = dBuf[dBuf.length - 1];
        if (last) dAfter = [last.object_id, last.at_key, last.seq, last.id];
      }
      if (li >= lBuf.length && !lDone) {
        lBuf = await this.repo.liveEvents({ clusterId: e.clusterId!, ids: list, from, fromExclusive, to, bound: e.liveBound, after: lAfter, limit: EVENT_PAGE });
        li = 0;
        if (lBuf.length < EVENT_PAGE) lDone = true;
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
          batch.push({ source: 'git', objectId: d!.object_id, at: d!.at, id: d!.id, seq: d!.seq, doc: d!.document_hash, commit: d!.commit_sha, record: inWindow(d!.at) && recordGit(d!) });
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

  private reachRow(env: string, r: ReachResult): ScratchRow {
    return {
      kind: 'd', env, sortAt: r.committedAt, sortSeq: r.seq, ref: r.revisionId, t1: r.reachedAt, ref2: r.liveRevisionId,
      prevDoc: r.prevDoc, reason: r.reason, info: r.note, paths: JSON.stringify(r.paths), summary: null,
    };
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
        type: 'gap' as const,
        environment: e.env.name,
        cluster: e.env.cluster!,
        id: g.id,
        group: g.group,
        kind: g.kind,
        startedAt: g.started_at.toISOString(),
        endedAt: iso(g.ended_at),
        durationSeconds: seconds(g.started_at, g.ended_at ?? asOf),
        open: g.ended_at === null,
        reason: g.reason,
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

  private async summary(scope: ReportScope, run: string, from: Date, to: Date, asOf: Date, gaps: GapRecord[]): Promise<ReportSummary> {
    const s = await this.repo.summarize(run, asOf);
    const drift = await this.repo.driftSummary(run, from, to, asOf);
    const byChange: Record<string, number> = { created: 0, configured: 0, deleted: 0 };
    for (const r of s.byChange) byChange[r.change] = r.n;
    const byType: Record<string, number> = {};
    for (const d of drift) byType[d.type] = d.total;
    const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
    return {
      environments: scope.environments.map((e) => e.name),
      from: scope.from,
      to: scope.to,
      gitChanges: { total: s.byChange.reduce((a, r) => a + r.n, 0), byChange, byAuthor: s.byAuthor, commits: s.commits },
      commitToLive: { reached: s.latency.reached, notReached: s.latency.not_reached, medianSeconds: round(s.latency.median), p95Seconds: round(s.latency.p95), maxSeconds: round(s.latency.max) },
      outOfBand: { total: s.oob.total, totalDurationSeconds: round(s.oob.duration) ?? 0, ongoing: s.oob.ongoing, byManager: s.oobByManager.map((m) => ({ manager: m.manager, changes: m.n })) },
      drift: {
        total: drift.reduce((a, d) => a + d.total, 0),
        opened: drift.reduce((a, d) => a + d.opened, 0),
        closed: drift.reduce((a, d) => a + d.closed, 0),
        openAtEnd: drift.reduce((a, d) => a + d.open_at_end, 0),
        totalDurationSeconds: round(drift.reduce((a, d) => a + Number(d.duration ?? 0), 0)) ?? 0,
        byType,
      },
      gaps: { total: gaps.length, totalDurationSeconds: round(gaps.reduce((a, g) => a + g.durationSeconds, 0)) ?? 0, open: gaps.filter((g) => g.open).length },
    };
  }

  /** Pass 2: the records, page by page from scratch, joined back to their source rows. */
  private async *records(envs: EnvIds[], run: string, asOf: Date, gaps: GapRecord[], diffs: boolean): AsyncGenerator<ReportRecord> {
    const docs = new DocumentCache(this.repo, 4 * PAGE);
    const key = (r: { k_at: string; k_seq: string; ref: string }): ScratchKey => ({ at: r.k_at, seq: r.k_seq, ref: r.ref });
    const diff = (a: string | null, b: string | null, labelA: string, labelB: string) =>
      unifiedYamlDiff(docs.get(a), docs.get(b), { labelA, labelB, context: 2 });
    for (const e of envs) {
      let after: ScratchKey | null = null;
      for (;;) {
        const page = await this.repo.gitPage(run, e.env.name, after, PAGE);
        if (!page.length) break;
        after = key(page[page.length - 1]!);
        if (diffs) await docs.ensure(page.flatMap((r) => [r.prev_doc, r.document_hash]));
        for (const r of page) {
          const rec: ReportRecord = {
            type: 'git',
            environment: e.env.name,
            commit: {
              sha: r.commit_sha,
              author: { name: r.author_name, email: r.author_email },
              committer: { name: r.committer_name, email: r.committer_email },
              authoredAt: r.authored_at.toISOString(),
              committedAt: r.committed_at.toISOString(),
              pr: r.pr_number === null ? null : { number: r.pr_number, kind: r.pr_kind },
              subject: r.subject,
              message: r.message,
              hash: r.commit_hash,
            },
            object: { group: r.group, kind: r.kind, namespace: r.namespace, name: r.name },
            change: r.change,
            path: r.path,
            document: { before: r.prev_doc, after: r.document_hash },
            changedPaths: r.paths ? (JSON.parse(r.paths) as string[]) : [],
            reachedClusterAt: iso(r.reached_at),
            commitToLiveSeconds: r.reached_at ? seconds(r.committed_at, r.reached_at) : null,
            liveRevision: r.live_id === null ? null : Number(r.live_id),
            notReachedReason: r.reason,
            reachNote: r.note,
            revision: { id: Number(r.ref), hash: r.revision_hash },
          };
          if (diffs) rec.diff = diff(r.prev_doc, r.document_hash, `${r.path}@parent`, `${r.path}@${r.commit_sha.slice(0, 12)}`);
          yield rec;
        }
      }
    }
    for (const e of envs) {
      if (e.clusterId === null) continue;
      let after: ScratchKey | null = null;
      for (;;) {
        const page = await this.repo.outOfBandPage(run, e.env.name, e.clusterId, after, PAGE);
        if (!page.length) break;
        after = key(page[page.length - 1]!);
        if (diffs) await docs.ensure(page.flatMap((r) => [r.prev_doc, r.document_hash]));
        for (const r of page) {
          const rec: ReportRecord = {
            type: 'out-of-band',
            environment: e.env.name,
            cluster: e.env.cluster!,
            object: { group: r.group, kind: r.kind, namespace: r.namespace, name: r.name },
            observedAt: r.observed_at.toISOString(),
            change: r.change,
            manager: r.manager,
            operation: r.operation,
            managerClass: r.manager_class,
            reason: r.reason,
            driftSummary: r.summary ?? '',
            backInSyncAt: iso(r.ended_at),
            durationSeconds: seconds(r.observed_at, r.ended_at ?? asOf),
            ongoing: r.ended_at === null,
            document: { before: r.prev_doc, after: r.document_hash },
            changedPaths: r.paths ? (JSON.parse(r.paths) as string[]) : [],
            revision: { id: Number(r.ref), hash: r.hash },
          };
          if (diffs) rec.diff = diff(r.prev_doc, r.document_hash, 'live before', `live at ${r.observed_at.toISOString()}`);
          yield rec;
        }
      }
    }
    for (const e of envs) {
      let after: ScratchKey | null = null;
      for (;;) {
        const page = await this.repo.driftPage(run, e.env.name, after, PAGE);
        if (!page.length) break;
        after = key(page[page.length - 1]!);
        for (const r of page) {
          yield {
            type: 'drift',
            environment: e.env.name,
            object: { group: r.group, kind: r.kind, namespace: r.namespace, name: r.name },
            driftType: r.type,
            openedAt: r.opened_at.toISOString(),
            closedAt: iso(r.closed_at),
            durationSeconds: seconds(r.opened_at, r.closed_at ?? asOf),
            open: r.closed_at === null,
            openedBy: r.opened_by,
            closedBy: r.closed_by ?? null,
            summary: r.summary,
            interval: Number(r.ref),
            event: { id: Number(r.event_id), hash: r.event_hash },
          };
        }
      }
    }
    for (const g of gaps) yield g;
  }
}

/** sha256 of a report's records: one canonical JSON line per record, diffs left out. */
export class RecordDigest {
  private readonly h: Hash = createHash('sha256');
  count = 0;
  add(r: ReportRecord): void {
    this.h.update(recordDigestLine(r));
    this.count++;
  }
  digest(): string {
    return this.h.digest('hex');
  }
}
