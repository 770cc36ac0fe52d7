import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Request, Response, NextFunction } from 'express';
import { Registry, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import { LOGGER } from '../config/config.tokens';

/** The window the live-revision write rate is averaged over. */
const LIVE_RATE_WINDOW_S = 60;

/**
 * Prometheus metrics for one app instance (its own registry, so several apps
 * in one process don't collide). HTTP timings are observed by a middleware; the
 * database-backed gauges are read at scrape time with short queries on indexed
 * columns (open drift and open gaps use partial indexes; the live write rate
 * reads the last minute of live_revisions by its (cluster_id, observed_at) index).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly http = new Histogram({
    name: 'driftline_http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly g = {
    dbUp: this.gauge('driftline_database_up', 'Whether the last scrape could read the database (1) or not (0)'),
    fetchAge: this.gauge('driftline_repository_last_fetch_age_seconds', 'Seconds since the repository was last fetched', ['repository']),
    behind: this.gauge('driftline_repository_index_behind', '1 when the fetched head is not indexed yet (head_sha <> last_indexed_sha)', ['repository']),
    indexAge: this.gauge('driftline_repository_last_indexed_age_seconds', 'Seconds since the repository was last indexed', ['repository']),
    watchLag: this.gauge('driftline_cluster_watch_lag_seconds', 'Watch lag last reported by the cluster recorder (event time to write)', ['cluster']),
    connected: this.gauge('driftline_cluster_connected', 'Whether the cluster watcher is connected', ['cluster']),
    gaps: this.gauge('driftline_cluster_open_gaps', 'Live-history gaps not yet closed (live_gaps.ended_at IS NULL)', ['cluster']),
    liveRate: this.gauge('driftline_live_revisions_per_second', `Live revisions written per second, averaged over the last ${LIVE_RATE_WINDOW_S} s`, ['cluster']),
    drift: this.gauge('driftline_drift_open', 'Open drift intervals by environment and type (unmanaged excluded)', ['environment', 'type']),
    deliveries: this.gauge('driftline_alert_deliveries', 'Alert deliveries by status (dead = gave up after the last attempt)', ['status']),
    failing: this.gauge('driftline_alert_deliveries_failing', 'Pending deliveries whose last attempt failed (being retried)'),
  };

  constructor(private readonly ds: DataSource, @Inject(LOGGER) private readonly logger: Logger) {
    collectDefaultMetrics({ register: this.registry, prefix: 'driftline_' });
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** Express middleware timing every request; routes are labelled by template, never by raw path. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const end = this.http.startTimer();
    res.once('finish', () => {
      // Nest's own catch-all (the 404 handler) is a wildcard route: label it unmatched, never the raw path.
      const template = req.route?.path as string | undefined;
      const route = template && !template.includes('*') ? (req.baseUrl ?? '') + template : /^\/api(\/|$)/.test(req.path) || template ? 'unmatched' : 'static';
      end({ route, method: req.method, status: String(res.statusCode) });
    });
    next();
  };

  async render(): Promise<{ contentType: string; body: string }> {
    await this.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async refresh(): Promise<void> {
    try {
      const q = (sql: string) => this.ds.query(sql) as Promise<Record<string, unknown>[]>;
      const [repos, clusters, drift, deliveries] = await Promise.all([
        q(`SELECT name,
                  EXTRACT(EPOCH FROM now() - last_fetch_at)::float8 AS fetch_age,
                  EXTRACT(EPOCH FROM now() - last_indexed_at)::float8 AS index_age,
                  (head_sha IS NOT NULL AND head_sha IS DISTINCT FROM last_indexed_sha) AS behind
             FROM repositories`),
        q(`SELECT c.name, c.lag_ms, c.connected,
                  (SELECT count(*) FROM live_gaps g WHERE g.cluster_id = c.id AND g.ended_at IS NULL)::int AS gaps,
                  (SELECT count(*) FROM live_revisions r WHERE r.cluster_id = c.id AND r.observed_at > now() - interval '${LIVE_RATE_WINDOW_S} seconds')::int AS recent
             FROM clusters c`),
        q(`SELECT environment, type, count(*)::int AS n FROM drift_intervals
            WHERE closed_at IS NULL AND type <> 'unmanaged' GROUP BY environment, type`),
        q(`SELECT status, count(*)::int AS n, count(*) FILTER (WHERE status = 'pending' AND last_error IS NOT NULL)::int AS failing
             FROM deliveries GROUP BY status`),
      ]);
      for (const g of Object.values(this.g)) g.reset();
      for (const r of repos) {
        const repository = String(r.name);
        if (r.fetch_age !== null) this.g.fetchAge.set({ repository }, Number(r.fetch_age));
        if (r.index_age !== null) this.g.indexAge.set({ repository }, Number(r.index_age));
        this.g.behind.set({ repository }, r.behind ? 1 : 0);
      }
      for (const r of clusters) {
        const cluster = String(r.name);
        if (r.lag_ms !== null) this.g.watchLag.set({ cluster }, Number(r.lag_ms) / 1000);
        this.g.connected.set({ cluster }, r.connected ? 1 : 0);
        this.g.gaps.set({ cluster }, Number(r.gaps));
        this.g.liveRate.set({ cluster }, Number(r.recent) / LIVE_RATE_WINDOW_S);
      }
      for (const r of drift) this.g.drift.set({ environment: String(r.environment), type: String(r.type) }, Number(r.n));
      let failing = 0;
      for (const s of ['pending', 'sent', 'dead']) this.g.deliveries.set({ status: s }, 0);
      for (const r of deliveries) {
        this.g.deliveries.set({ status: String(r.status) }, Number(r.n));
        failing += Number(r.failing);
      }
      this.g.failing.set(failing);
      this.g.dbUp.set(1);
    } catch (e) {
      for (const g of Object.values(this.g)) g.reset();
      this.g.dbUp.set(0);
      this.logger.warn({ err: e }, 'metrics: could not read the database');
    }
  }
}
