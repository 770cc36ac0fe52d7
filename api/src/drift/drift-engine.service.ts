import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import picomatch from 'picomatch';
import type { Logger } from 'pino';
import { CONFIG, LOGGER } from '../config/config.tokens';
import type { DriftlineConfig, EnvironmentConfig } from '../config/schema';
import { compareObject, CompareOptions, CompareResult, LiveInput, ManagedFieldsEntry } from '../core/drift';
import { summarizeChanges } from '../core/diff';
import { loadDocuments } from '../store/documents';
import { DriftEvent, DriftRepository, IntervalRow, NewInterval, ObjectRef } from './drift.repository';
import { minOf } from '../core/arrays';

/** What opened or closed an interval. */
export type Trigger =
  | { source: 'git'; commit: string; author: string | null }
  | { source: 'live'; revision: string; manager: string | null; operation: string | null }
  | { source: 'evaluation' };

export interface EnvironmentContext {
  env: EnvironmentConfig;
  repoId: number | null;
  clusterId: number | null;
  options: CompareOptions;
  inNamespaces: (ns: string) => boolean;
}

interface LiveState {
  hash: string;
  meta: string | null;
}

type ChangeRecord = { pointer: string; path: string; op: string; reason: string; manager?: string; desired?: unknown; live?: unknown };

const MAX_VALUE_CHARS = 400;

/** Environment-level compare options built once (compareObject caches compiled options by identity). */
export function compareOptionsFor(env: EnvironmentConfig): CompareOptions {
  return {
    applierManagers: [env.applier],
    humanManagers: env.humanManagers,
    controllerManagers: env.controllerManagers,
    ignore: env.ignore,
  };
}

/** Short human summary of a drift result, for lists and chat. */
export function describeResult(r: CompareResult): string {
  switch (r.type) {
    case 'missing':
      return 'in Git, not in the cluster';
    case 'orphaned':
      return 'removed from Git, still in the cluster with GitOps ownership';
    case 'unmanaged':
      return 'in the cluster, not in Git';
    default:
      return summarizeChanges(r.changes, { max: 4 }) || 'differs from Git';
  }
}

function trimValue(v: unknown): unknown {
  if (v === undefined) return undefined;
  const s = JSON.stringify(v);
  return s !== undefined && s.length > MAX_VALUE_CHARS ? s.slice(0, MAX_VALUE_CHARS) + '…' : v;
}

/**
 * Objects in replay order (by id), cut into runs of at most `maxObjects` objects and about `maxEvents`
 * events each (an object with more events than that is a run of its own). A replay holds its objects'
 * events, documents and new intervals in memory at once: all 2,000 objects of a year (200,000 events)
 * in one replay took 1.4 GB, and a server with the deployed 384 MiB heap died of it on every start.
 */
export function replayChunks(objectIds: Iterable<number>, eventsOf: (id: number) => number, maxEvents: number, maxObjects = 2000): number[][] {
  const chunks: number[][] = [];
  let chunk: number[] = [];
  let events = 0;
  for (const id of [...objectIds].sort((a, b) => a - b)) {
    const n = eventsOf(id);
    if (chunk.length && (chunk.length >= maxObjects || events + n > maxEvents)) {
      chunks.push(chunk);
      chunk = [];
      events = 0;
    }
    chunk.push(id);
    events += n;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/**
 * Drift intervals, derived from the raw revisions. One function, `replay`,
 * serves both the incremental path (replay the touched objects from the time of
 * the new revisions) and `driftline drift --rebuild` (replay everything from
 * the beginning), so the two cannot disagree.
 */
@Injectable()
export class DriftEngineService {
  private readonly contexts = new Map<string, EnvironmentContext>();
  private readonly refs = new Map<number, ObjectRef>();
  private readonly listeners = new Set<(e: { environment: string; opened: number; closed: number }) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Events per replay (see replayChunks): about 70 MB of heap for 10,000 at a year's ~7 KB per event (tests set a few to cut many runs). */
  chunkEvents = 10_000;

  constructor(
    private readonly ds: DataSource,
    private readonly repo: DriftRepository,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onIntervalsChanged(fn: (e: { environment: string; opened: number; closed: number }) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  environments(): EnvironmentConfig[] {
    return this.config.environments;
  }

  async context(envName: string): Promise<EnvironmentContext> {
    const cached = this.contexts.get(envName);
    if (cached && cached.repoId !== null && (cached.clusterId !== null || !cached.env.cluster)) return cached;
    const env = this.config.environments.find((e) => e.name === envName);
    if (!env) throw new Error(`no environment named "${envName}"`);
    const ctx: EnvironmentContext = {
      env,
      repoId: await this.repo.repositoryId(env.repository),
      clusterId: env.cluster ? await this.repo.clusterId(env.cluster) : null,
      options: cached?.options ?? compareOptionsFor(env),
      inNamespaces: cached?.inNamespaces ?? picomatch(env.namespaces),
    };
    this.contexts.set(envName, ctx);
    return ctx;
  }

  /** Serialise evaluations: replays of one environment must not interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Evaluate everything new since the last call for every environment (or one):
   * desired and live revisions with ids above the environment's cursor, replayed
   * from the earliest time among them for the objects they touch.
   */
  catchUp(envName?: string): Promise<{ environment: string; objects: number; opened: number; closed: number }[]> {
    return this.serial(async () => {
      const out = [];
      for (const env of this.config.environments) {
        if (envName && env.name !== envName) continue;
        out.push(await this.catchUpOne(env.name));
      }
      return out;
    });
  }

  private async catchUpOne(envName: string) {
    const ctx = await this.context(envName);
    const cur = (await this.ds.query(`SELECT last_desired_id, last_live_id FROM drift_cursors WHERE environment = $1`, [envName]))[0] ?? { last_desired_id: 0, last_live_id: 0 };
    const desired: { id: string; object_id: number; at: Date }[] = ctx.repoId === null ? [] : await this.ds.query(
      `SELECT dr.id, dr.object_id::int, dr.committed_at AS at FROM desired_revisions dr WHERE dr.environment = $1 AND dr.id > $2 ORDER BY dr.id`,
      [envName, cur.last_desired_id],
    );
    const live: { id: string; object_id: number; at: Date }[] = ctx.clusterId === null ? [] : await this.ds.query(
      `SELECT lr.id, lr.object_id::int, lr.observed_at AS at FROM live_revisions lr WHERE lr.cluster_id = $1 AND lr.id > $2 ORDER BY lr.id`,
      [ctx.clusterId, cur.last_live_id],
    );
    if (!desired.length && !live.length) return { environment: envName, objects: 0, opened: 0, closed: 0 };
    // Per object: how many new revisions, and the earliest time among them (a run replays from its earliest).
    const count = new Map<number, number>();
    const earliest = new Map<number, number>();
    for (const rows of [desired, live]) {
      for (const r of rows) {
        count.set(r.object_id, (count.get(r.object_id) ?? 0) + 1);
        const t = r.at.getTime();
        const seen = earliest.get(r.object_id);
        if (seen === undefined || t < seen) earliest.set(r.object_id, t);
      }
    }
    const lastDesired = desired.length ? desired[desired.length - 1]!.id : cur.last_desired_id;
    const lastLive = live.length ? live[live.length - 1]!.id : cur.last_live_id;
    const chunks = replayChunks(count.keys(), (id) => count.get(id)!, this.chunkEvents);
    let opened = 0;
    let closed = 0;
    // One transaction per run; the cursor moves with the last. A run that fails leaves the cursor where it was:
    // the next tick replays every run again (a replay rewinds its objects first, so that changes nothing).
    for (let i = 0; i < chunks.length; i++) {
      const from = new Date(minOf(chunks[i]!, (id) => earliest.get(id)!));
      const r = await this.replay(ctx, chunks[i]!, from, i < chunks.length - 1 ? undefined : async (m) => {
        await m.query(
          `INSERT INTO drift_cursors (environment, last_desired_id, last_live_id) VALUES ($1, $2, $3)
           ON CONFLICT (environment) DO UPDATE SET last_desired_id = EXCLUDED.last_desired_id, last_live_id = EXCLUDED.last_live_id`,
          [envName, lastDesired, lastLive],
        );
      });
      opened += r.opened;
      closed += r.closed;
    }
    return { environment: envName, objects: count.size, opened, closed };
  }

  /** Recompute every interval of an environment from the raw records. */
  rebuild(envName: string): Promise<{ opened: number; closed: number; objects: number }> {
    return this.serial(async () => {
      const ctx = await this.context(envName);
      // Every object with a desired or live record, and how many revisions it has (to cut the replays).
      const events = new Map<number, number>();
      const add = (rows: { id: number; n: number }[]) => {
        for (const r of rows) events.set(r.id, (events.get(r.id) ?? 0) + r.n);
      };
      if (ctx.repoId !== null) add(await this.ds.query(`SELECT object_id::int AS id, count(*)::int AS n FROM desired_revisions WHERE environment = $1 GROUP BY object_id`, [envName]));
      if (ctx.clusterId !== null) {
        add(await this.ds.query(`SELECT object_id::int AS id, count(*)::int AS n FROM live_revisions WHERE cluster_id = $1 GROUP BY object_id`, [ctx.clusterId]));
        add(await this.ds.query(`SELECT object_id::int AS id, 0 AS n FROM live_current WHERE cluster_id = $1`, [ctx.clusterId]));
      }
      const chunks = replayChunks(events.keys(), (id) => events.get(id)!, this.chunkEvents);
      await this.ds.query(`DELETE FROM drift_intervals WHERE environment = $1`, [envName]);
      let opened = 0;
      let closed = 0;
      const maxIds = async (m: EntityManager) => {
        const d = (await m.query(`SELECT coalesce(max(id), 0) AS id FROM desired_revisions WHERE environment = $1`, [envName]))[0].id;
        const l = ctx.clusterId === null ? 0 : (await m.query(`SELECT coalesce(max(id), 0) AS id FROM live_revisions WHERE cluster_id = $1`, [ctx.clusterId]))[0].id;
        await m.query(
          `INSERT INTO drift_cursors (environment, last_desired_id, last_live_id) VALUES ($1, $2, $3)
           ON CONFLICT (environment) DO UPDATE SET last_desired_id = EXCLUDED.last_desired_id, last_live_id = EXCLUDED.last_live_id`,
          [envName, d, l],
        );
      };
      for (let i = 0; i < chunks.length; i++) {
        const r = await this.replay(ctx, chunks[i]!, null, i === chunks.length - 1 ? maxIds : undefined);
        opened += r.opened;
        closed += r.closed;
      }
      if (!chunks.length) await this.ds.transaction(maxIds);
      return { opened, closed, objects: events.size };
    });
  }

  private async loadRefs(ids: number[], q: Pick<EntityManager, 'query'>): Promise<void> {
    const missing = ids.filter((id) => !this.refs.has(id));
    if (!missing.length) return;
    for (const [id, ref] of await this.repo.objectRefs(missing, q)) this.refs.set(id, ref);
  }

  /**
   * Replay the given objects' history from `from` (null: from the beginning):
   * rewind intervals to that time, rebuild state just before it, and walk every
   * desired and live change in time order, opening and closing intervals.
   */
  private async replay(ctx: EnvironmentContext, objectIds: number[], from: Date | null, inTx?: (m: EntityManager) => Promise<void>): Promise<{ opened: number; closed: number }> {
    const { env } = ctx;
    let opened = 0;
    let closed = 0;
    await this.ds.transaction(async (m) => {
      await this.repo.rewindTo(env.name, objectIds, from, m);
      const desired = new Map<number, string>();
      const live = new Map<number, LiveState>();
      if (from) {
        if (ctx.repoId !== null) for (const d of await this.repo.desiredAt(env.name, ctx.repoId, from, objectIds, m, true)) desired.set(d.object_id, d.document_hash);
        if (ctx.clusterId !== null) for (const l of await this.repo.liveAt(ctx.clusterId, from, objectIds, m, true)) live.set(l.object_id, { hash: l.document_hash, meta: l.meta_hash });
      }
      const events = await this.repo.eventsFrom(env.name, ctx.repoId, ctx.clusterId, objectIds, from, m);
      await this.loadRefs(objectIds, m);
      const hashes = new Set<string>();
      for (const h of desired.values()) hashes.add(h);
      for (const l of live.values()) {
        hashes.add(l.hash);
        if (l.meta) hashes.add(l.meta);
      }
      for (const e of events) {
        if (e.document_hash) hashes.add(e.document_hash);
        if (e.meta_hash) hashes.add(e.meta_hash);
      }
      const docs = await loadDocuments(m, [...hashes]);
      const open = new Map<number, IntervalRow | NewInterval>();
      for (const row of await this.repo.openIntervals(env.name, objectIds, m)) open.set(row.object_id, row);
      const fresh: NewInterval[] = [];
      const closes: { id: number; closedAt: Date; closedBy: Record<string, unknown> }[] = [];
      const updates = new Map<number, { id: number; summary: string; changes: unknown[] }>();

      const evaluate = (objectId: number, at: Date, trigger: Trigger) => {
        const ref = this.refs.get(objectId);
        if (!ref) return;
        const dHash = desired.get(objectId);
        const l = live.get(objectId);
        const dBody = dHash ? docs.get(dHash) ?? null : null;
        let type: string | null = null;
        let summary = '';
        let changes: ChangeRecord[] = [];
        if (dBody || l) {
          const inScope = !!dBody || (ref.namespace !== '' && ctx.inNamespaces(ref.namespace)) || ref.namespace === '';
          if (inScope) {
            const meta = l?.meta ? (docs.get(l.meta) as { managedFields?: ManagedFieldsEntry[]; lastApplied?: object | null } | undefined) : undefined;
            const liveInput: LiveInput | null = l ? { body: docs.get(l.hash) ?? {}, managedFields: meta?.managedFields, lastApplied: meta?.lastApplied ?? null } : null;
            const r = compareObject(dBody, liveInput, ctx.options);
            // Cluster-scoped objects outside Git are only drift when the GitOps tool owns them.
            if (r.type !== 'in-sync' && !(r.type === 'unmanaged' && ref.namespace === '')) {
              type = r.type;
              summary = describeResult(r);
              changes = r.changes.map((c) => ({ pointer: c.pointer, path: c.path, op: c.op, reason: c.reason, manager: c.manager, desired: trimValue(c.desired), live: trimValue(c.live) }));
            }
          }
        }
        const cur = open.get(objectId);
        const curType = cur ? cur.type : null;
        if (cur && curType !== type) {
          if ('id' in cur) closes.push({ id: cur.id, closedAt: at, closedBy: trigger });
          else {
            cur.closedAt = at;
            cur.closedBy = trigger;
          }
          open.delete(objectId);
          closed++;
        }
        if (type && curType !== type) {
          const n: NewInterval = { environment: env.name, objectId, type, openedAt: at, closedAt: null, openedBy: trigger, closedBy: null, summary, changes };
          fresh.push(n);
          open.set(objectId, n);
          opened++;
        } else if (type && cur && cur.summary !== summary) {
          if ('id' in cur) updates.set(cur.id, { id: cur.id, summary, changes });
          else {
            cur.summary = summary;
            cur.changes = changes;
          }
          cur.summary = summary;
        }
      };

      if (from) for (const id of objectIds) evaluate(id, from, { source: 'evaluation' });
      for (const e of events) {
        applyEvent(e, desired, live);
        evaluate(e.object_id, e.at, triggerOf(e));
      }
      await this.repo.closeIntervals(closes, m);
      await this.repo.updateOpen([...updates.values()], m);
      await this.repo.insertIntervals(fresh, m);
      if (inTx) await inTx(m);
    });
    if (opened || closed) for (const l of this.listeners) l({ environment: env.name, opened, closed });
    return { opened, closed };
  }
}

function applyEvent(e: DriftEvent, desired: Map<number, string>, live: Map<number, LiveState>): void {
  if (e.source === 'git') {
    if (e.document_hash) desired.set(e.object_id, e.document_hash);
    else desired.delete(e.object_id);
  } else if (e.document_hash) live.set(e.object_id, { hash: e.document_hash, meta: e.meta_hash });
  else live.delete(e.object_id);
}

function triggerOf(e: DriftEvent): Trigger {
  return e.source === 'git' ? { source: 'git', commit: e.ref, author: e.author } : { source: 'live', revision: e.ref, manager: e.manager, operation: e.operation };
}
