import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { bulkInsert } from '../db/bulk';
import { chainHash } from '../core/chain';
import type { ObjectIdentity } from '../core/identity';
import { storeDocuments } from '../store/documents';
import type { ObjectIds } from '../store/objects';
import type { LiveChange, LiveSource } from './live-object';
import type { RevisionPartitions } from './partitions';
import { minOf } from '../core/arrays';

/** Committed live changes of one cluster: what the drift engine re-evaluates. */
export interface LiveChangeBatch {
  clusterId: number;
  cluster: string;
  /** Objects with a new revision in this batch (each once). */
  objectIds: number[];
  /** Commit time. */
  at: Date;
  /** Revision rows written. */
  revisions: number;
  /** resourceVersion of each revision row, in write order. */
  resourceVersions: (string | null)[];
}

export type LiveChangesListener = (batch: LiveChangeBatch) => void;

export interface PendingRevision {
  identity: ObjectIdentity;
  key: string;
  change: LiveChange;
  source: LiveSource;
  observedAt: Date;
  changedAt: Date;
  resourceVersion: string | null;
  uid: string | null;
  documentHash: string | null;
  metaHash: string | null;
  manager: string | null;
  operation: string | null;
}

/** The row of cluster_kinds a kind watcher keeps current. */
export interface KindStatus {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  watched: boolean;
  /** pending | listing | watching | error | stopped */
  status: string;
  lastError: string | null;
  resourceVersion: string | null;
  lastListAt: Date | null;
  lastEventAt: Date | null;
}

export interface ClusterStatusPatch {
  server?: string | null;
  connected?: boolean;
  lastError?: string | null;
  lastListAt?: Date;
  leader?: string | null;
}

type GapOp = { op: 'open'; group: string; kind: string; at: Date; reason: string } | { op: 'close'; group: string; kind: string; at: Date };

const STORED_DOCS_REMEMBERED = 20_000;

export class LeadershipLostError extends Error {
  constructor(cluster: string, holder: string | null) {
    super(`cluster "${cluster}": another replica (${holder ?? 'none'}) leads it now; this one stops recording`);
    this.name = 'LeadershipLostError';
  }
}

/**
 * The record in a live revision's hash chain (the `hash` of a row is
 * chainHash(prev_hash, this)). Everything in it can be read back from the row
 * and the objects table, so an export can verify the chain.
 */
export function liveRevisionRecord(cluster: string, r: Omit<PendingRevision, 'identity'>): Record<string, unknown> {
  return {
    cluster,
    object: r.key,
    observedAt: r.observedAt.toISOString(),
    changedAt: r.changedAt.toISOString(),
    resourceVersion: r.resourceVersion,
    uid: r.uid,
    document: r.documentHash,
    meta: r.metaHash,
    manager: r.manager,
    operation: r.operation,
    change: r.change,
    source: r.source,
  };
}

export interface LiveWriterOptions {
  ds: DataSource;
  clusterId: number;
  cluster: string;
  objectIds: ObjectIds;
  partitions: RevisionPartitions;
  logger: Logger;
  /** Fencing: the flush refuses to write when clusters.leader names someone else. Null: no check (snapshot on the embedded database). */
  leaderId: string | null;
  flushIntervalMs?: number;
  maxBatch?: number;
  heartbeatMs?: number;
  notify: LiveChangesListener;
  /** Called once when a flush finds that this process no longer leads the cluster. */
  onLeadershipLost?: (e: LeadershipLostError) => void;
}

/**
 * Buffers observed changes of one cluster and writes them in one transaction
 * every ~150 ms or every maxBatch rows: documents, object ids, revision rows
 * (hash-chained), live_current, gaps, kind and cluster status. After the commit
 * it tells the listeners. A failed flush is retried with backoff; the rows wait.
 */
export class LiveWriter {
  private revisions: PendingRevision[] = [];
  private docs = new Map<string, string>();
  private gaps: GapOp[] = [];
  private kinds = new Map<string, KindStatus>();
  private cluster: ClusterStatusPatch = {};
  private clusterDirty = false;
  private maxEventAt: Date | null = null;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private failures = 0;
  private retryAt = 0;
  private stopped = false;
  private lost = false;
  private drainWaiters: (() => void)[] = [];
  private lostListeners: (() => void)[] = [];
  /** Totals since start, for summaries and the benchmark. */
  readonly totals = { revisions: 0, batches: 0, failedFlushes: 0, documentRows: 0, currentRows: 0, otherRows: 0 };
  lastError: string | null = null;
  private pendingCounts = { documentRows: 0, currentRows: 0, otherRows: 0 };
  /** Hashes of documents committed recently (insertion-ordered, bounded): documents are never deleted, so these exist. */
  private readonly stored = new Set<string>();

  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;

  constructor(private readonly o: LiveWriterOptions) {
    this.flushIntervalMs = o.flushIntervalMs ?? 150;
    this.maxBatch = o.maxBatch ?? 2000;
  }

  get pending(): number {
    return this.revisions.length;
  }

  get leadershipLost(): boolean {
    return this.lost;
  }

  /** Called once if a flush finds that another process leads the cluster now. */
  onLost(fn: () => void): void {
    this.lostListeners.push(fn);
  }

  /** Flushes on a timer; writes a heartbeat even when nothing changes. */
  start(): void {
    this.stopped = false;
    const hb = this.o.heartbeatMs ?? 10_000;
    this.heartbeat = setInterval(() => {
      this.clusterDirty = true;
      this.schedule();
    }, hb);
    this.heartbeat.unref();
  }

  add(rev: PendingRevision, docs: [string, string][]): void {
    if (this.lost) return;
    this.revisions.push(rev);
    // A document written a moment ago (the same managedFields meta for many objects, a value set back) need not be held or sent again.
    for (const [h, j] of docs) if (!this.stored.has(h)) this.docs.set(h, j);
    if (this.revisions.length >= this.maxBatch) this.flushSoon(0);
    else this.schedule();
  }

  openGap(group: string, kind: string, at: Date, reason: string): void {
    this.gaps.push({ op: 'open', group, kind, at, reason: reason.slice(0, 2000) });
    this.schedule();
  }

  closeGap(group: string, kind: string, at: Date): void {
    this.gaps.push({ op: 'close', group, kind, at });
    this.schedule();
  }

  kindStatus(s: KindStatus): void {
    this.kinds.set(`${s.group}/${s.kind}`, { ...s });
    this.schedule();
  }

  clusterStatus(p: ClusterStatusPatch): void {
    Object.assign(this.cluster, p);
    this.clusterDirty = true;
    this.schedule();
  }

  eventSeen(at: Date): void {
    if (!this.maxEventAt || at > this.maxEventAt) this.maxEventAt = at;
  }

  /** Resolves once fewer than `n` revisions wait (backpressure), or when the signal aborts. */
  async waitBelow(n: number, signal?: AbortSignal): Promise<void> {
    while (this.revisions.length >= n && !this.lost && !this.stopped && !signal?.aborted) {
      this.flushSoon(0);
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.drainWaiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Writes everything buffered now (retrying failures until `deadline`). */
  async drain(deadlineMs = 30_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.hasWork() && !this.lost) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      if (Date.now() > until) throw new Error(`cluster "${this.o.cluster}": ${this.revisions.length} live changes could not be written: ${this.lastError}`);
      const wait = this.retryAt - Date.now();
      if (wait > 0) await sleep(Math.min(wait, until - Date.now()));
      await this.flush();
    }
  }

  /** Final drain, then no more timers. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    try {
      await this.drain();
    } finally {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }

  private hasWork(): boolean {
    return this.revisions.length > 0 || this.gaps.length > 0 || this.kinds.size > 0 || this.clusterDirty;
  }

  private schedule(): void {
    this.flushSoon(this.flushIntervalMs);
  }

  private flushSoon(delay: number): void {
    if (this.stopped || this.lost) return;
    if (this.timer) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    const wait = Math.max(delay, this.retryAt - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().then(() => {
        if (this.hasWork()) this.flushSoon(this.revisions.length >= this.maxBatch ? 0 : this.flushIntervalMs);
      });
    }, wait);
  }

  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.hasWork() || this.lost) return Promise.resolve();
    const p = this.flushOnce().finally(() => {
      this.flushing = null;
      for (const w of this.drainWaiters.splice(0)) w();
    });
    this.flushing = p;
    return p;
  }

  private async flushOnce(): Promise<void> {
    const revisions = this.revisions.splice(0, this.maxBatch);
    const docs = new Map<string, string>();
    if (this.revisions.length === 0) {
      for (const [h, j] of this.docs) docs.set(h, j);
      this.docs.clear();
    } else {
      // Only the documents this slice needs; the rest wait with their rows.
      for (const r of revisions) {
        for (const h of [r.documentHash, r.metaHash]) {
          if (h && this.docs.has(h)) {
            docs.set(h, this.docs.get(h)!);
            this.docs.delete(h);
          }
        }
      }
    }
    const gaps = this.gaps.splice(0);
    const kinds = [...this.kinds.values()];
    this.kinds.clear();
    const cluster = this.cluster;
    this.cluster = {};
    const clusterDirty = this.clusterDirty;
    this.clusterDirty = false;
    const maxEventAt = this.maxEventAt;
    this.maxEventAt = null;

    let ids = new Map<string, number>();
    const started = Date.now();
    try {
      if (revisions.length) await this.o.partitions.ensure(revisions.map((r) => r.observedAt));
      await this.o.ds.transaction(async (m) => {
        ids = await this.write(m, revisions, docs, gaps, kinds, cluster, clusterDirty || revisions.length > 0, maxEventAt);
      });
    } catch (e) {
      if (e instanceof LeadershipLostError) {
        this.lost = true;
        this.revisions = [];
        this.docs.clear();
        this.o.logger.warn({ cluster: this.o.cluster }, e.message);
        this.o.onLeadershipLost?.(e);
        for (const l of this.lostListeners.splice(0)) l();
        return;
      }
      // Put everything back in front, unchanged, and retry with backoff.
      this.revisions = revisions.concat(this.revisions);
      for (const [h, j] of docs) this.docs.set(h, j);
      this.gaps = gaps.concat(this.gaps);
      for (const k of kinds) if (!this.kinds.has(`${k.group}/${k.kind}`)) this.kinds.set(`${k.group}/${k.kind}`, k);
      this.cluster = { ...cluster, ...this.cluster };
      this.clusterDirty ||= clusterDirty;
      const later = this.maxEventAt as Date | null;
      if (maxEventAt && (!later || maxEventAt > later)) this.maxEventAt = maxEventAt;
      this.failures++;
      this.totals.failedFlushes++;
      this.lastError = (e as Error).message;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(this.failures, 6)) * (0.75 + Math.random() * 0.5);
      this.retryAt = Date.now() + delay;
      this.o.logger.error({ cluster: this.o.cluster, err: this.lastError, rows: this.revisions.length, retryInMs: Math.round(delay) }, 'writing live changes failed; retrying');
      return;
    }
    this.failures = 0;
    this.retryAt = 0;
    this.lastError = null;
    const took = Date.now() - started;
    if (took > 1000) this.o.logger.warn({ cluster: this.o.cluster, rows: revisions.length, ms: took }, 'a slow write of live changes');
    for (const h of docs.keys()) this.stored.add(h);
    if (this.stored.size > STORED_DOCS_REMEMBERED) {
      const it = this.stored.values();
      for (let n = this.stored.size - STORED_DOCS_REMEMBERED; n > 0; n--) this.stored.delete(it.next().value!);
    }
    this.totals.documentRows += this.pendingCounts.documentRows;
    this.totals.currentRows += this.pendingCounts.currentRows;
    this.totals.otherRows += this.pendingCounts.otherRows;
    if (!revisions.length) return;
    this.o.objectIds.remember(ids);
    this.totals.revisions += revisions.length;
    this.totals.batches++;
    const objectIds: number[] = [];
    const seen = new Set<number>();
    for (const r of revisions) {
      const id = ids.get(r.key)!;
      if (!seen.has(id)) {
        seen.add(id);
        objectIds.push(id);
      }
    }
    const batch: LiveChangeBatch = {
      clusterId: this.o.clusterId,
      cluster: this.o.cluster,
      objectIds,
      at: new Date(),
      revisions: revisions.length,
      resourceVersions: revisions.map((r) => r.resourceVersion),
    };
    try {
      this.o.notify(batch);
    } catch (e) {
      this.o.logger.error({ cluster: this.o.cluster, err: (e as Error).message }, 'a live change listener failed');
    }
  }

  private async write(
    m: EntityManager,
    revisions: PendingRevision[],
    docs: Map<string, string>,
    gaps: GapOp[],
    kinds: KindStatus[],
    cluster: ClusterStatusPatch,
    touchCluster: boolean,
    maxEventAt: Date | null,
  ): Promise<Map<string, number>> {
    const clusterId = this.o.clusterId;
    const head: { chain_head: string | null; leader: string | null }[] = await m.query(`SELECT chain_head, leader FROM clusters WHERE id = $1 FOR UPDATE`, [clusterId]);
    if (!head.length) throw new Error(`cluster "${this.o.cluster}" is not in the database`);
    if (this.o.leaderId !== null && head[0]!.leader !== this.o.leaderId) throw new LeadershipLostError(this.o.cluster, head[0]!.leader);
    let chain = head[0]!.chain_head;
    let ids = new Map<string, number>();
    const counts = { documentRows: 0, currentRows: 0, otherRows: 0 };
    if (revisions.length) {
      counts.documentRows = await storeDocuments(m, docs);
      ids = await this.o.objectIds.resolve(
        m,
        revisions.map((r) => r.identity),
      );
      const rows: unknown[][] = [];
      for (const r of revisions) {
        const hash = chainHash(chain, liveRevisionRecord(this.o.cluster, r));
        rows.push([
          clusterId, ids.get(r.key), r.observedAt, r.changedAt, r.resourceVersion, r.uid, r.documentHash, r.metaHash,
          r.manager, r.operation, r.change, r.source, chain, hash,
        ]);
        chain = hash;
      }
      await bulkInsert(m, 'live_revisions', [
        { name: 'cluster_id', type: 'bigint' }, { name: 'object_id', type: 'bigint' }, { name: 'observed_at', type: 'timestamptz' },
        { name: 'changed_at', type: 'timestamptz' }, { name: 'resource_version', type: 'text' }, { name: 'uid', type: 'text' },
        { name: 'document_hash', type: 'text' }, { name: 'meta_hash', type: 'text' }, { name: 'manager', type: 'text' },
        { name: 'operation', type: 'text' }, { name: 'change', type: 'text' }, { name: 'source', type: 'text' },
        { name: 'prev_hash', type: 'text' }, { name: 'hash', type: 'text' },
      ], rows);
      // live_current: the last revision of each object in this batch wins.
      const last = new Map<string, PendingRevision>();
      for (const r of revisions) last.set(r.key, r);
      const gone: number[] = [];
      const upserts: unknown[][] = [];
      for (const [key, r] of last) {
        const id = ids.get(key)!;
        if (r.change === 'deleted') gone.push(id);
        else upserts.push([clusterId, id, r.uid, r.resourceVersion, r.documentHash, r.metaHash, r.observedAt]);
      }
      if (gone.length) await m.query(`DELETE FROM live_current WHERE cluster_id = $1 AND object_id = ANY($2::bigint[])`, [clusterId, gone]);
      counts.currentRows = gone.length + upserts.length;
      await bulkInsert(m, 'live_current', [
        { name: 'cluster_id', type: 'bigint' }, { name: 'object_id', type: 'bigint' }, { name: 'uid', type: 'text' },
        { name: 'resource_version', type: 'text' }, { name: 'document_hash', type: 'text' }, { name: 'meta_hash', type: 'text' },
        { name: 'observed_at', type: 'timestamptz' },
      ], upserts,
        `ON CONFLICT ON CONSTRAINT live_current_pk DO UPDATE SET uid = EXCLUDED.uid, resource_version = EXCLUDED.resource_version,
           document_hash = EXCLUDED.document_hash, meta_hash = EXCLUDED.meta_hash, observed_at = EXCLUDED.observed_at`);
    }
    counts.otherRows = gaps.length + kinds.length;
    for (const g of gaps) {
      if (g.op === 'open') {
        await m.query(
          `INSERT INTO live_gaps (cluster_id, "group", kind, started_at, reason)
             SELECT $1, $2, $3, $4, $5
              WHERE NOT EXISTS (SELECT 1 FROM live_gaps WHERE cluster_id = $1 AND "group" = $2 AND kind = $3 AND ended_at IS NULL)`,
          [clusterId, g.group, g.kind, g.at, g.reason],
        );
      } else {
        await m.query(
          `UPDATE live_gaps SET ended_at = greatest($4::timestamptz, started_at)
            WHERE cluster_id = $1 AND "group" = $2 AND kind = $3 AND ended_at IS NULL`,
          [clusterId, g.group, g.kind, g.at],
        );
      }
    }
    if (kinds.length) {
      await bulkInsert(m, 'cluster_kinds', [
        { name: 'cluster_id', type: 'bigint' }, { name: 'group', type: 'text' }, { name: 'version', type: 'text' }, { name: 'kind', type: 'text' },
        { name: 'plural', type: 'text' }, { name: 'namespaced', type: 'boolean' }, { name: 'watched', type: 'boolean' },
        { name: 'resource_version', type: 'text' }, { name: 'status', type: 'text' }, { name: 'last_error', type: 'text' },
        { name: 'last_list_at', type: 'timestamptz' }, { name: 'last_event_at', type: 'timestamptz' },
      ], kinds.map((k) => [clusterId, k.group, k.version, k.kind, k.plural, k.namespaced, k.watched, k.resourceVersion, k.status, k.lastError, k.lastListAt, k.lastEventAt]),
        `ON CONFLICT ON CONSTRAINT cluster_kinds_pk DO UPDATE SET version = EXCLUDED.version, plural = EXCLUDED.plural,
           namespaced = EXCLUDED.namespaced, watched = EXCLUDED.watched, resource_version = coalesce(EXCLUDED.resource_version, cluster_kinds.resource_version),
           status = EXCLUDED.status, last_error = EXCLUDED.last_error, updated_at = now(),
           last_list_at = coalesce(EXCLUDED.last_list_at, cluster_kinds.last_list_at),
           last_event_at = coalesce(EXCLUDED.last_event_at, cluster_kinds.last_event_at)`);
    }
    if (touchCluster || chain !== head[0]!.chain_head) {
      const sets = ['chain_head = $2', 'heartbeat_at = now()'];
      const params: unknown[] = [clusterId, chain];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        sets.push(sql.replace('?', `$${params.length}`));
      };
      if (revisions.length) {
        const oldest = minOf(revisions, (r) => r.observedAt.getTime());
        // Observations imported with their historical time (the demo) would overflow the integer column: clamp.
        add('lag_ms = ?', Math.min(2_147_483_647, Math.max(0, Date.now() - oldest)));
        sets.push('last_commit_at = now()');
      }
      if (maxEventAt) add('last_event_at = greatest(last_event_at, ?)', maxEventAt);
      if (cluster.server !== undefined) add('server = ?', cluster.server);
      if (cluster.connected !== undefined) add('connected = ?', cluster.connected);
      if (cluster.lastError !== undefined) add('last_error = ?', cluster.lastError);
      if (cluster.lastListAt !== undefined) add('last_list_at = ?', cluster.lastListAt);
      await m.query(`UPDATE clusters SET ${sets.join(', ')} WHERE id = $1`, params);
      counts.otherRows++;
    }
    this.pendingCounts = counts;
    return ids;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
