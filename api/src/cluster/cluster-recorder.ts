import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { ClusterConfig, EnvironmentConfig } from '../config/schema';
import type { RedactOptions } from '../core/redact';
import type { ObjectIds } from '../store/objects';
import { Backoff, sleep } from './backoff';
import { discover, type ApiResource } from './discovery';
import { DEFAULT_KIND_WATCHER_OPTIONS, KindWatcher, type KindWatcherOptions } from './kind-watcher';
import { kindKey, selectKinds } from './kinds';
import { KubeClient, loadKubeConfig } from './kube-client';
import { LiveObserver, LiveState } from './live-state';
import { LiveWriter, type LeadershipLostError, type LiveChangesListener } from './live-writer';
import type { RevisionPartitions } from './partitions';
import { environmentsOf, namespaceScope } from './scope';

/** Tunables of the recorder; tests shorten them. */
export interface RecorderOptions extends Omit<KindWatcherOptions, 'resyncMs'> {
  flushIntervalMs: number;
  maxBatch: number;
  heartbeatMs: number;
  /** How often the wanted kinds are re-read (desired state changes, CRDs installed). */
  refreshMs: number;
  /** Full relist per kind; default: the cluster's resyncInterval. */
  resyncMs?: number;
}

export const DEFAULT_RECORDER_OPTIONS: RecorderOptions = {
  ...DEFAULT_KIND_WATCHER_OPTIONS,
  flushIntervalMs: 100,
  maxBatch: 1000,
  heartbeatMs: 10_000,
  refreshMs: 60_000,
};

export interface SnapshotSummary {
  cluster: string;
  kinds: number;
  objects: number;
  created: number;
  configured: number;
  deleted: number;
  /** Kinds that could not be listed (a gap is recorded for each). */
  gaps: number;
  errors: string[];
  seconds: number;
}

export interface ClusterRecorderDeps {
  ds: DataSource;
  cluster: ClusterConfig;
  environments: readonly EnvironmentConfig[];
  redact: RedactOptions;
  logger: Logger;
  objectIds: ObjectIds;
  partitions: RevisionPartitions;
  notify: LiveChangesListener;
  leaderId: string;
  options: RecorderOptions;
  onLeadershipLost?: (e: LeadershipLostError) => void;
}

/**
 * Records one cluster: discovery, the kinds to watch, one KindWatcher per kind,
 * one LiveWriter. Created by the process that holds the cluster's lease.
 */
export class ClusterRecorder {
  private watchers = new Map<string, KindWatcher>();
  private client: KubeClient | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private runDone: Promise<void> | null = null;
  private reachable: boolean | null = null;
  private lastDiscoveryAt = 0;
  private lastWanted = '';
  private lastDesired: { group: string; kind: string }[] = [];
  private readonly log: Logger;
  readonly observer: LiveObserver;

  private constructor(
    private readonly d: ClusterRecorderDeps,
    readonly clusterId: number,
    readonly state: LiveState,
    readonly writer: LiveWriter,
  ) {
    this.log = d.logger.child({ cluster: d.cluster.name });
    this.observer = new LiveObserver(state, writer, d.redact, namespaceScope(d.cluster.name, d.environments));
  }

  /** The cluster's row (created if new), this process named its leader, the recorded state loaded. */
  static async prepare(d: ClusterRecorderDeps): Promise<ClusterRecorder> {
    const rows: { id: string }[] = await d.ds.query(
      `INSERT INTO clusters (name, leader, leader_since) VALUES ($1, $2, now())
         ON CONFLICT ON CONSTRAINT clusters_name_uq DO UPDATE SET leader = EXCLUDED.leader, leader_since = EXCLUDED.leader_since RETURNING id`,
      [d.cluster.name, d.leaderId],
    );
    const clusterId = Number(rows[0]!.id);
    const state = await LiveState.load(d.ds, clusterId, d.objectIds);
    const writer = new LiveWriter({
      ds: d.ds,
      clusterId,
      cluster: d.cluster.name,
      objectIds: d.objectIds,
      partitions: d.partitions,
      logger: d.logger,
      leaderId: d.leaderId,
      flushIntervalMs: d.options.flushIntervalMs,
      maxBatch: d.options.maxBatch,
      heartbeatMs: d.options.heartbeatMs,
      notify: d.notify,
      onLeadershipLost: d.onLeadershipLost,
    });
    return new ClusterRecorder(d, clusterId, state, writer);
  }

  get name(): string {
    return this.d.cluster.name;
  }

  get kinds(): KindWatcher[] {
    return [...this.watchers.values()];
  }

  /** Problems that make this recorder unhealthy (not cluster outages: those are gaps). */
  health(): string | null {
    const crashed = this.kinds.find((w) => w.crashed);
    if (crashed) return `cluster "${this.name}": watcher of ${kindKey(crashed.resource)} stopped: ${crashed.crashed!.message}`;
    if (this.writer.totals.failedFlushes > 0 && this.writer.lastError && this.writer.pending > 0) return `cluster "${this.name}": writing live changes fails: ${this.writer.lastError}`;
    return null;
  }

  /** Watches until stop(). */
  start(): void {
    this.writer.start();
    this.runDone = this.run().catch((e) => this.log.error({ err: (e as Error).message }, 'cluster recorder stopped on an unexpected error'));
  }

  /** Stops every watcher (recording a gap per kind from now, unless the lease was lost) and writes what is buffered. */
  async stop(o: { gapReason?: string } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.runDone;
    const gapReason = this.writer.leadershipLost ? undefined : o.gapReason;
    await Promise.all(this.kinds.map((w) => w.stop({ gapReason })));
    if (!this.writer.leadershipLost) this.writer.clusterStatus({ connected: false });
    await this.writer.stop().catch((e) => this.log.error({ err: (e as Error).message }, 'could not write the last live changes'));
  }

  /** One complete list of every wanted kind, recorded as changes against the recorded state. */
  async snapshot(): Promise<SnapshotSummary> {
    const started = Date.now();
    const summary: SnapshotSummary = { cluster: this.name, kinds: 0, objects: 0, created: 0, configured: 0, deleted: 0, gaps: 0, errors: [], seconds: 0 };
    try {
      const resources = await this.wantedKinds();
      this.writer.clusterStatus({ connected: true, lastError: null, server: this.client!.server });
      summary.kinds = resources.length;
      const queue = [...resources];
      const worker = async () => {
        for (let r = queue.shift(); r; r = queue.shift()) {
          const w = this.newWatcher(r);
          try {
            const res = await w.listOnce('list');
            summary.objects += res.objects;
          } catch (e) {
            summary.gaps++;
            summary.errors.push(`${kindKey(r)}: ${(e as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, resources.length) }, worker));
      this.writer.clusterStatus({ lastListAt: new Date() });
    } catch (e) {
      // Discovery failed: every kind watched before is unobserved at this snapshot.
      const msg = (e as Error).message;
      summary.errors.push(msg);
      this.writer.clusterStatus({ connected: false, lastError: msg });
      for (const r of await this.cachedKinds().catch(() => [])) {
        this.writer.openGap(r.group, r.kind, new Date(), `discovery failed: ${msg}`);
        summary.gaps++;
      }
    }
    await this.writer.drain();
    await this.writer.stop();
    summary.created = this.observer.counts.created;
    summary.configured = this.observer.counts.configured;
    summary.deleted = this.observer.counts.deleted;
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
  }

  private kubeClient(): KubeClient {
    if (!this.client) {
      this.client = new KubeClient(loadKubeConfig(this.d.cluster), { requestTimeoutMs: this.d.options.requestTimeoutMs });
      this.writer.clusterStatus({ server: this.client.server });
    }
    return this.client;
  }

  private async desiredKinds(): Promise<{ group: string; kind: string }[]> {
    const envs = environmentsOf(this.name, this.d.environments);
    if (!envs.length) return [];
    return (this.lastDesired = await this.d.ds.query(
      `SELECT DISTINCT o."group", o.kind FROM desired_current dc JOIN objects o ON o.id = dc.object_id WHERE dc.environment = ANY($1::text[]) ORDER BY 1, 2`,
      [envs],
    ));
  }

  /** Discovery, then the selection of kinds to watch. */
  private async wantedKinds(): Promise<ApiResource[]> {
    const client = this.kubeClient();
    const desired = await this.desiredKinds();
    const found = await discover(client);
    this.lastDiscoveryAt = Date.now();
    for (const f of found.failedGroups) this.log.warn({ group: f.group, err: f.error }, 'discovery of an API group failed; its kinds are not watched for now');
    const sel = selectKinds(found.resources, { desired, kinds: this.d.cluster.kinds, excludeKinds: this.d.cluster.excludeKinds });
    if (sel.missing.length) this.log.warn({ kinds: sel.missing }, 'wanted kinds the cluster does not serve');
    this.lastWanted = JSON.stringify({ desired, missing: sel.missing.length > 0 });
    return sel.watched;
  }

  private async cachedKinds(): Promise<ApiResource[]> {
    const rows: { group: string; version: string; kind: string; plural: string; namespaced: boolean }[] = await this.d.ds.query(
      `SELECT "group", version, kind, plural, namespaced FROM cluster_kinds WHERE cluster_id = $1 AND watched ORDER BY "group", kind`,
      [this.clusterId],
    );
    return rows.map((r) => ({ ...r, verbs: ['list', 'watch'] }));
  }

  private newWatcher(r: ApiResource): KindWatcher {
    const o = this.d.options;
    return new KindWatcher({
      cluster: this.name,
      client: this.kubeClient(),
      resource: r,
      observer: this.observer,
      writer: this.writer,
      logger: this.d.logger,
      options: {
        pageSize: o.pageSize,
        resyncMs: o.resyncMs ?? this.d.cluster.resyncInterval,
        backoffBaseMs: o.backoffBaseMs,
        backoffMaxMs: o.backoffMaxMs,
        watchTimeoutSeconds: o.watchTimeoutSeconds,
        highWater: o.highWater,
        maxPending: o.maxPending,
        requestTimeoutMs: o.requestTimeoutMs,
      },
      onReachability: (ok, err) => this.setReachable(ok, err),
    });
  }

  private setReachable(ok: boolean, error: string | null): void {
    if (this.reachable === ok && ok) return;
    const changed = this.reachable !== ok;
    this.reachable = ok;
    if (changed || !ok) this.writer.clusterStatus(ok ? { connected: true, lastError: null } : { connected: false, lastError: error });
  }

  private async applyKinds(resources: ApiResource[]): Promise<void> {
    const wanted = new Map(resources.map((r) => [kindKey(r), r]));
    for (const [key, w] of this.watchers) {
      const r = wanted.get(key);
      if (r && r.version === w.resource.version && r.plural === w.resource.plural && r.namespaced === w.resource.namespaced) continue;
      this.watchers.delete(key);
      await w.stop({ unwatched: !r, gapReason: r ? undefined : 'kind no longer watched' });
    }
    for (const [key, r] of wanted) {
      if (this.watchers.has(key) || this.stopped) continue;
      const w = this.newWatcher(r);
      this.watchers.set(key, w);
      w.start();
    }
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(this.d.options.backoffBaseMs, this.d.options.backoffMaxMs);
    const resyncMs = this.d.options.resyncMs ?? this.d.cluster.resyncInterval;
    while (!this.stopped) {
      try {
        // A database hiccup is not the cluster's fault: keep the last known desired kinds.
        const desired = await this.desiredKinds().catch(() => this.lastDesired);
        const wantedNow = JSON.stringify({ desired, missing: false });
        const due = this.lastDiscoveryAt === 0 || Date.now() - this.lastDiscoveryAt >= resyncMs || wantedNow !== this.lastWanted;
        if (due) {
          const resources = await this.wantedKinds();
          if (this.stopped) break;
          this.setReachable(true, null);
          await this.applyKinds(resources);
          this.log.info({ kinds: resources.map(kindKey) }, 'watching');
        }
        backoff.reset();
        await sleep(this.d.options.refreshMs, this.abort.signal);
      } catch (e) {
        if (this.stopped) break;
        const msg = (e as Error).message;
        this.setReachable(false, msg);
        if (this.watchers.size === 0) {
          // Cannot discover (the server is down?): watch what was watched last time, so each kind's outage is a gap.
          const cached = await this.cachedKinds().catch(() => []);
          if (cached.length) await this.applyKinds(cached).catch(() => undefined);
        }
        const delay = backoff.next();
        this.log.warn({ err: msg, retryInMs: delay }, 'cluster discovery failed; retrying');
        await sleep(delay, this.abort.signal);
      }
    }
  }
}
