import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { CONFIG, INSTALL_KEY, LOGGER, RUNTIME } from '../config/config.tokens';
import type { ClusterConfig, DriftlineConfig } from '../config/schema';
import { sensitiveRulesFrom } from '../config/sensitive';
import type { RuntimeInfo } from '../runtime-info';
import { DomainError } from '../common/errors';
import { ReadinessService } from '../health/readiness.service';
import type { RedactOptions } from '../core/redact';
import { ObjectIds } from '../store/objects';
import { sleep } from './backoff';
import { ClusterRecorder, DEFAULT_RECORDER_OPTIONS, type RecorderOptions, type SnapshotSummary } from './cluster-recorder';
import { CLUSTER_RECORDER_OPTIONS, type ClusterRecorderServiceOptions } from './cluster.options';
import { ClusterLease, leaderIdentity } from './leadership';
import type { LiveChangeBatch, LiveChangesListener } from './live-writer';
import { RevisionPartitions } from './partitions';

export type { LiveChangeBatch, LiveChangesListener } from './live-writer';

const DAY_MS = 86_400_000;

/**
 * The live side of Driftline: records every configured cluster over time.
 * With workers on (serve, `driftline watch`), each cluster is watched by exactly
 * one process: the one holding its lease (a PostgreSQL session advisory lock);
 * the others retry every few seconds and take over when the holder goes away.
 * On the embedded database there is one process, which just runs.
 */
@Injectable()
export class LiveRecorderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly listeners = new Set<LiveChangesListener>();
  private readonly objectIds = new ObjectIds();
  private readonly partitions: RevisionPartitions;
  private readonly supervisors = new Map<string, ClusterSupervisor>();
  private readonly options: RecorderOptions;
  private readonly leaseRetryMs: number;
  private maintenance: NodeJS.Timeout | null = null;
  /** clusters.leader of the clusters this process records. */
  readonly identity = leaderIdentity();

  constructor(
    private readonly ds: DataSource,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INSTALL_KEY) private readonly installKey: Buffer,
    @Inject(RUNTIME) private readonly runtime: Pick<RuntimeInfo, 'database' | 'workers'>,
    @Optional() private readonly readiness?: ReadinessService,
    @Optional() @Inject(CLUSTER_RECORDER_OPTIONS) options?: ClusterRecorderServiceOptions,
  ) {
    this.partitions = new RevisionPartitions(ds);
    const { leaseRetryMs, ...rest } = options ?? {};
    this.options = { ...DEFAULT_RECORDER_OPTIONS, ...rest };
    this.leaseRetryMs = leaseRetryMs ?? 5000;
  }

  onApplicationBootstrap(): void {
    this.readiness?.register({ name: 'cluster-watchers', check: async () => this.health() });
    if (this.runtime.workers && this.config.clusters.length) {
      this.startWatching().catch((e) => this.logger.error({ err: (e as Error).message }, 'cluster watchers did not start'));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stopWatching();
  }

  clusters(): ClusterConfig[] {
    return this.config.clusters;
  }

  cluster(name: string): ClusterConfig {
    const c = this.config.clusters.find((x) => x.name === name);
    if (!c) throw new DomainError('cluster.not_found', `no cluster named "${name}" is configured`, 404);
    return c;
  }

  /** Called after every committed batch of live changes (the drift engine re-evaluates those objects). Answers an unsubscribe. */
  onLiveChanges(listener: (batch: LiveChangeBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Names of the clusters this process records now. */
  leading(): string[] {
    return [...this.supervisors.values()].filter((s) => s.recorder !== null).map((s) => s.name);
  }

  /** The recorder of a cluster this process leads (tests and diagnostics). */
  recorderOf(name: string): ClusterRecorder | null {
    return this.supervisors.get(name)?.recorder ?? null;
  }

  /** Starts recording the clusters (all, or one): each as soon as this process holds its lease. */
  async startWatching(name?: string): Promise<void> {
    const clusters = name ? [this.cluster(name)] : this.config.clusters;
    await this.partitions.ensureAhead();
    this.startMaintenance();
    for (const c of clusters) {
      if (this.supervisors.has(c.name)) continue;
      const s = new ClusterSupervisor(c, this.leaseRetryMs, this.logger, () => this.lease(c.name), () => this.prepare(c));
      this.supervisors.set(c.name, s);
      s.start();
    }
  }

  /** Stops every watcher, writes what is buffered, releases the leases. */
  async stopWatching(): Promise<void> {
    if (this.maintenance) clearInterval(this.maintenance);
    this.maintenance = null;
    const all = [...this.supervisors.values()];
    this.supervisors.clear();
    await Promise.all(all.map((s) => s.stop()));
  }

  /**
   * One complete list of every watched kind per cluster, recorded as changes
   * against the last recorded state. A cluster another process is recording is
   * skipped (its state is current).
   */
  async snapshot(name?: string): Promise<(SnapshotSummary & { status: 'ok' | 'partial' | 'failed' })[]> {
    const clusters = name ? [this.cluster(name)] : this.config.clusters;
    await this.partitions.ensureAhead();
    const out: (SnapshotSummary & { status: 'ok' | 'partial' | 'failed' })[] = [];
    for (const c of clusters) {
      const empty: SnapshotSummary = { cluster: c.name, kinds: 0, objects: 0, created: 0, configured: 0, deleted: 0, gaps: 0, errors: [], seconds: 0 };
      let lease: ClusterLease | null | 'none' = 'none';
      try {
        lease = await this.lease(c.name);
      } catch (e) {
        out.push({ ...empty, errors: [`cannot take the cluster's lease: ${(e as Error).message}`], status: 'failed' });
        continue;
      }
      if (lease === null) {
        const rows: { leader: string | null }[] = await this.ds.query(`SELECT leader FROM clusters WHERE name = $1`, [c.name]);
        out.push({ ...empty, errors: [`another process (${rows[0]?.leader ?? 'unknown'}) is recording cluster "${c.name}"; its live state is current`], status: 'failed' });
        continue;
      }
      try {
        const rec = await this.prepare(c);
        const s = await rec.snapshot();
        out.push({ ...s, status: s.kinds === 0 && s.errors.length ? 'failed' : s.errors.length ? 'partial' : 'ok' });
      } finally {
        if (lease !== 'none') await lease.release();
      }
    }
    return out;
  }

  /** Unhealthy when a recorder of ours is broken (not when a cluster is down: that is a gap). */
  health(): string | null {
    for (const s of this.supervisors.values()) {
      const h = s.recorder?.health();
      if (h) return h;
    }
    return null;
  }

  /** A lease on PostgreSQL; 'none' on the embedded database (one process). */
  private async lease(cluster: string): Promise<ClusterLease | null | 'none'> {
    if (this.runtime.database !== 'postgres') return 'none';
    const url = (this.ds.options as { url?: string }).url;
    if (!url) throw new Error('the database has no URL to open a lease connection with');
    return ClusterLease.tryAcquire(url, cluster);
  }

  private redactOptions(): RedactOptions {
    return { key: this.installKey, sensitive: sensitiveRulesFrom(this.config) };
  }

  private prepare(c: ClusterConfig): Promise<ClusterRecorder> {
    return ClusterRecorder.prepare({
      ds: this.ds,
      cluster: c,
      environments: this.config.environments,
      redact: this.redactOptions(),
      logger: this.logger,
      objectIds: this.objectIds,
      partitions: this.partitions,
      notify: (b) => {
        for (const l of this.listeners) {
          try {
            l(b);
          } catch (e) {
            this.logger.error({ err: (e as Error).message }, 'a live change listener failed');
          }
        }
      },
      leaderId: this.identity,
      options: this.options,
    });
  }

  /** Partitions a month ahead, and retention by dropping old partitions, daily. */
  private startMaintenance(): void {
    if (this.maintenance) return;
    const run = async () => {
      try {
        await this.partitions.ensureAhead();
        const keep = this.config.retention.liveRevisions;
        if (keep) {
          const dropped = await this.partitions.dropBefore(new Date(Date.now() - keep));
          if (dropped.length) this.logger.info({ partitions: dropped }, 'live revisions past retention dropped');
        }
      } catch (e) {
        this.logger.error({ err: (e as Error).message }, 'live revision partition maintenance failed');
      }
    };
    void run();
    this.maintenance = setInterval(() => void run(), DAY_MS);
    this.maintenance.unref();
  }
}

/**
 * Keeps one cluster recorded by this process while it holds the cluster's lease:
 * tries to take it every leaseRetryMs, checks a held one as often, and stops
 * recording at once when it is lost (the session died, or the writer found
 * another leader named in the database).
 */
class ClusterSupervisor {
  recorder: ClusterRecorder | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private done: Promise<void> | null = null;

  constructor(
    private readonly cluster: ClusterConfig,
    private readonly retryMs: number,
    private readonly logger: Logger,
    private readonly takeLease: () => Promise<ClusterLease | null | 'none'>,
    private readonly prepare: () => Promise<ClusterRecorder>,
  ) {}

  get name(): string {
    return this.cluster.name;
  }

  start(): void {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.done;
  }

  private async run(): Promise<void> {
    const log = this.logger.child({ cluster: this.cluster.name });
    let waiting = false;
    while (!this.stopped) {
      let lease: ClusterLease | null | 'none';
      try {
        lease = await this.takeLease();
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'could not try the cluster lease; retrying');
        await sleep(this.retryMs, this.abort.signal);
        continue;
      }
      if (lease === null) {
        if (!waiting) log.info('another replica records this cluster; standing by');
        waiting = true;
        await sleep(this.retryMs, this.abort.signal);
        continue;
      }
      waiting = false;
      if (this.stopped) {
        if (lease !== 'none') await lease.release();
        break;
      }
      let lost = false;
      try {
        const rec = await this.prepare();
        this.recorder = rec;
        rec.writer.onLost(() => (lost = true));
        rec.start();
        log.info('recording this cluster');
        while (!this.stopped && !lost) {
          await sleep(this.retryMs, this.abort.signal);
          if (lease !== 'none' && !this.stopped && !(await lease.alive())) lost = true;
        }
        if (lost) log.warn('lost the cluster lease; stopped recording');
        await rec.stop({ gapReason: this.stopped ? 'recorder stopped' : 'recorder lost its lease' });
      } catch (e) {
        log.error({ err: (e as Error).message }, 'cluster recorder failed; retrying');
        await sleep(this.retryMs, this.abort.signal);
      } finally {
        this.recorder = null;
        if (lease !== 'none') await lease.release();
      }
      // A replica that just lost its lease (its session died, or another leader was named) stands back for two
      // retry periods before competing again, so a healthy standby takes over instead of the same process
      // grabbing the lock back at once.
      if (lost && !this.stopped) await sleep(2 * this.retryMs, this.abort.signal);
    }
  }
}
