import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { escapeLike, liveInEnvironmentSql } from '../store/environment-scope';


export interface TimelineFilter {
  environment: string;
  repoId: number | null;
  clusterId: number | null;
  /** Environment namespaces as SQL LIKE patterns ('%' = all). */
  namespacePatterns: string[];
  from: Date;
  to: Date;
  kind?: string;
  namespace?: string;
  name?: string;
  author?: string;
  manager?: string;
  change?: string;
  /** Keyset: only events strictly before this (time, key). */
  before?: { at: Date; key: string } | null;
  /** Only events with ids above these (SSE): desired revision id, live revision id, drift interval id. */
  after?: { desired: number; live: number; drift: number } | null;
  limit: number;
}

export interface GitRow {
  id: string;
  at: Date;
  object_id: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  change: string;
  path: string;
  sha: string;
  subject: string;
  author_name: string;
  author_email: string;
  pr_number: number | null;
  pr_kind: string | null;
}

export interface LiveRow {
  id: string;
  at: Date;
  changed_at: Date;
  object_id: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  change: string;
  manager: string | null;
  operation: string | null;
  source: string;
}

export interface DriftRow {
  id: string;
  at: Date;
  edge: 'opened' | 'closed';
  object_id: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  type: string;
  summary: string;
  by: Record<string, unknown> | null;
  opened_at: Date;
  closed_at: Date | null;
}

/**
 * The timeline's reads: three index range scans (desired revisions by
 * environment and commit time, live revisions by cluster and observation time,
 * drift interval edges by environment), each already limited and ordered, merged
 * by the service. Covered by EXPLAIN checks in the tests.
 */
@Injectable()
export class TimelineRepository {
  constructor(private readonly ds: DataSource) {}

  private common(f: TimelineFilter, params: unknown[], alias: { o: string }): string {
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const w: string[] = [];
    if (f.kind) w.push(`${alias.o}.kind = ${p(f.kind)}`);
    if (f.namespace) w.push(`${alias.o}.namespace = ${p(f.namespace)}`);
    if (f.name) w.push(`${alias.o}.name ILIKE ${p('%' + escapeLike(f.name) + '%')}`);
    return w.length ? ' AND ' + w.join(' AND ') : '';
  }

  async git(f: TimelineFilter): Promise<GitRow[]> {
    if (f.repoId === null || f.manager) return [];
    const params: unknown[] = [f.environment, f.repoId, f.from, f.to];
    let where = this.common(f, params, { o: 'o' });
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.author) where += ` AND (c.author_name ILIKE ${p('%' + escapeLike(f.author) + '%')} OR c.author_email ILIKE ${p('%' + escapeLike(f.author) + '%')})`;
    if (f.change) where += ` AND dr.change = ${p(f.change)}`;
    if (f.before) where += ` AND (dr.committed_at, 'g' || lpad(dr.id::text, 20, '0')) < (${p(f.before.at)}::timestamptz, ${p(f.before.key)})`;
    if (f.after) where += ` AND dr.id > ${p(f.after.desired)}`;
    return this.ds.query(
      `SELECT dr.id, dr.committed_at AS at, dr.object_id::int, o."group", o.kind, o.namespace, o.name, dr.change, dr.path,
              c.sha, c.subject, c.author_name, c.author_email, c.pr_number, c.pr_kind
         FROM desired_revisions dr
         JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable
         JOIN objects o ON o.id = dr.object_id
        WHERE dr.environment = $1 AND dr.repository_id = $2 AND dr.committed_at >= $3 AND dr.committed_at <= $4 ${where}
        ORDER BY dr.committed_at DESC, dr.id DESC
        LIMIT ${p(f.limit)}`,
      params,
    );
  }

  async live(f: TimelineFilter): Promise<LiveRow[]> {
    if (f.clusterId === null || f.author) return [];
    const params: unknown[] = [f.clusterId, f.from, f.to, f.namespacePatterns];
    let where = this.common(f, params, { o: 'o' });
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.manager) where += ` AND lr.manager ILIKE ${p('%' + escapeLike(f.manager) + '%')}`;
    if (f.change) where += ` AND lr.change = ${p(f.change)}`;
    if (f.before) where += ` AND (lr.observed_at, 'l' || lpad(lr.id::text, 20, '0')) < (${p(f.before.at)}::timestamptz, ${p(f.before.key)})`;
    if (f.after) where += ` AND lr.id > ${p(f.after.live)}`;
    return this.ds.query(
      `SELECT lr.id, lr.observed_at AS at, lr.changed_at, lr.object_id::int, o."group", o.kind, o.namespace, o.name, lr.change, lr.manager, lr.operation, lr.source
         FROM live_revisions lr JOIN objects o ON o.id = lr.object_id
        WHERE lr.cluster_id = $1 AND lr.observed_at >= $2 AND lr.observed_at <= $3
          AND ${liveInEnvironmentSql({ live: 'lr', object: 'o', namespacePatterns: '$4', environment: p(f.environment) })} ${where}
        ORDER BY lr.observed_at DESC, lr.id DESC
        LIMIT ${p(f.limit)}`,
      params,
    );
  }

  async drift(f: TimelineFilter): Promise<DriftRow[]> {
    if (f.author || f.manager || f.change) return [];
    // Both edges at once (each its own index range scan), opened first.
    const edges = (['opened', 'closed'] as const).map((edge) => {
      const col = edge === 'opened' ? 'd.opened_at' : 'd.closed_at';
      const params: unknown[] = [f.environment, f.from, f.to];
      let where = this.common(f, params, { o: 'o' });
      const p = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      const tag = edge === 'opened' ? 'o' : 'c';
      if (f.before) where += ` AND (${col}, '${tag}' || lpad(d.id::text, 20, '0')) < (${p(f.before.at)}::timestamptz, ${p(f.before.key)})`;
      if (f.after) where += ` AND d.id > ${p(f.after.drift)}`;
      return this.ds.query(
        `SELECT d.id, ${col} AS at, '${edge}' AS edge, d.object_id::int, o."group", o.kind, o.namespace, o.name, d.type, d.summary,
                ${edge === 'opened' ? 'd.opened_by' : 'd.closed_by'} AS by, d.opened_at, d.closed_at
           FROM drift_intervals d JOIN objects o ON o.id = d.object_id
          WHERE d.environment = $1 AND ${col} >= $2 AND ${col} <= $3 AND d.type <> 'unmanaged' ${where}
          ORDER BY ${col} DESC, d.id DESC
          LIMIT ${p(f.limit)}`,
        params,
      ) as Promise<DriftRow[]>;
    });
    const [opened, closed] = await Promise.all(edges);
    return [...opened!, ...closed!];
  }

  /** Per-lane totals in the window (the list is limited; the counts are not): one statement, one round trip. */
  async counts(f: TimelineFilter): Promise<{ git: number; live: number; drift: number }> {
    const params: unknown[] = [f.environment, f.from, f.to];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const git = f.repoId === null ? '0' : `(SELECT count(*) FROM desired_revisions WHERE environment = $1 AND repository_id = ${p(f.repoId)} AND committed_at BETWEEN $2 AND $3)`;
    const live = f.clusterId === null
      ? '0'
      : `(SELECT count(*) FROM live_revisions lr JOIN objects o ON o.id = lr.object_id
           WHERE lr.cluster_id = ${p(f.clusterId)} AND lr.observed_at BETWEEN $2 AND $3 AND ${liveInEnvironmentSql({ live: 'lr', object: 'o', namespacePatterns: p(f.namespacePatterns), environment: '$1' })})`;
    const drift = `(SELECT count(*) FROM drift_intervals WHERE environment = $1 AND type <> 'unmanaged' AND opened_at BETWEEN $2 AND $3)
                 + (SELECT count(*) FROM drift_intervals WHERE environment = $1 AND type <> 'unmanaged' AND closed_at BETWEEN $2 AND $3)`;
    const r = (await this.ds.query(`SELECT ${git} AS git, ${live} AS live, ${drift} AS drift`, params))[0];
    return { git: Number(r.git), live: Number(r.live), drift: Number(r.drift) };
  }

  async maxIds(f: Pick<TimelineFilter, 'environment' | 'clusterId'>): Promise<{ desired: number; live: number; drift: number }> {
    const r = await this.ds.query(
      `SELECT (SELECT coalesce(max(id), 0) FROM desired_revisions WHERE environment = $1) AS desired,
              (SELECT coalesce(max(id), 0) FROM live_revisions WHERE cluster_id = $2) AS live,
              (SELECT coalesce(max(id), 0) FROM drift_intervals WHERE environment = $1) AS drift`,
      [f.environment, f.clusterId ?? -1],
    );
    return { desired: Number(r[0].desired), live: Number(r[0].live), drift: Number(r[0].drift) };
  }
}
