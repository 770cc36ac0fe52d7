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

/** Parameters collected while a statement is built: `p(v)` adds one and returns its placeholder. */
class Params {
  readonly values: unknown[] = [];
  p = (v: unknown): string => {
    this.values.push(v);
    return `$${this.values.length}`;
  };
}

type Lanes = { git: boolean; live: boolean; drift: boolean };
const toDate = (v: string | Date | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

/**
 * The timeline's reads: three index range scans (desired revisions by
 * environment and commit time, live revisions by cluster and observation time,
 * drift interval edges by environment), each already limited and ordered, merged
 * by the service. They travel as ONE statement (each lane a json_agg subquery,
 * the per-lane counts alongside): under load a window costs one round trip, one
 * parse and one plan instead of five, which is what the API's p99 is made of.
 */
@Injectable()
export class TimelineRepository {
  constructor(private readonly ds: DataSource) {}

  private common(f: TimelineFilter, b: Params, alias: { o: string }): string {
    const w: string[] = [];
    if (f.kind) w.push(`${alias.o}.kind = ${b.p(f.kind)}`);
    if (f.namespace) w.push(`${alias.o}.namespace = ${b.p(f.namespace)}`);
    if (f.name) w.push(`${alias.o}.name ILIKE ${b.p('%' + escapeLike(f.name) + '%')}`);
    return w.length ? ' AND ' + w.join(' AND ') : '';
  }

  private gitSql(f: TimelineFilter, b: Params, env: string, from: string, to: string): string | null {
    if (f.repoId === null || f.manager) return null;
    let where = this.common(f, b, { o: 'o' });
    if (f.author) where += ` AND (c.author_name ILIKE ${b.p('%' + escapeLike(f.author) + '%')} OR c.author_email ILIKE ${b.p('%' + escapeLike(f.author) + '%')})`;
    if (f.change) where += ` AND dr.change = ${b.p(f.change)}`;
    if (f.before) where += ` AND (dr.committed_at, 'g' || lpad(dr.id::text, 20, '0')) < (${b.p(f.before.at)}::timestamptz, ${b.p(f.before.key)})`;
    if (f.after) where += ` AND dr.id > ${b.p(f.after.desired)}`;
    return `SELECT dr.id, dr.committed_at AS at, dr.object_id::int AS object_id, o."group", o.kind, o.namespace, o.name, dr.change, dr.path,
              c.sha, c.subject, c.author_name, c.author_email, c.pr_number, c.pr_kind
         FROM desired_revisions dr
         JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable
         JOIN objects o ON o.id = dr.object_id
        WHERE dr.environment = ${env} AND dr.repository_id = ${b.p(f.repoId)} AND dr.committed_at >= ${from} AND dr.committed_at <= ${to} ${where}
        ORDER BY dr.committed_at DESC, dr.id DESC
        LIMIT ${b.p(f.limit)}`;
  }

  private liveSql(f: TimelineFilter, b: Params, env: string, from: string, to: string): string | null {
    if (f.clusterId === null || f.author) return null;
    const cluster = b.p(f.clusterId);
    const patterns = b.p(f.namespacePatterns);
    let where = this.common(f, b, { o: 'o' });
    if (f.manager) where += ` AND lr.manager ILIKE ${b.p('%' + escapeLike(f.manager) + '%')}`;
    if (f.change) where += ` AND lr.change = ${b.p(f.change)}`;
    if (f.before) where += ` AND (lr.observed_at, 'l' || lpad(lr.id::text, 20, '0')) < (${b.p(f.before.at)}::timestamptz, ${b.p(f.before.key)})`;
    if (f.after) where += ` AND lr.id > ${b.p(f.after.live)}`;
    return `SELECT lr.id, lr.observed_at AS at, lr.changed_at, lr.object_id::int AS object_id, o."group", o.kind, o.namespace, o.name, lr.change, lr.manager, lr.operation, lr.source
         FROM live_revisions lr JOIN objects o ON o.id = lr.object_id
        WHERE lr.cluster_id = ${cluster} AND lr.observed_at >= ${from} AND lr.observed_at <= ${to}
          AND ${liveInEnvironmentSql({ live: 'lr', object: 'o', namespacePatterns: `${patterns}::text[]`, environment: env })} ${where}
        ORDER BY lr.observed_at DESC, lr.id DESC
        LIMIT ${b.p(f.limit)}`;
  }

  private driftSql(f: TimelineFilter, b: Params, edge: 'opened' | 'closed', env: string, from: string, to: string): string | null {
    if (f.author || f.manager || f.change) return null;
    const col = edge === 'opened' ? 'd.opened_at' : 'd.closed_at';
    let where = this.common(f, b, { o: 'o' });
    const tag = edge === 'opened' ? 'o' : 'c';
    if (f.before) where += ` AND (${col}, '${tag}' || lpad(d.id::text, 20, '0')) < (${b.p(f.before.at)}::timestamptz, ${b.p(f.before.key)})`;
    if (f.after) where += ` AND d.id > ${b.p(f.after.drift)}`;
    return `SELECT d.id, ${col} AS at, '${edge}' AS edge, d.object_id::int AS object_id, o."group", o.kind, o.namespace, o.name, d.type, d.summary,
                ${edge === 'opened' ? 'd.opened_by' : 'd.closed_by'} AS by, d.opened_at, d.closed_at
           FROM drift_intervals d JOIN objects o ON o.id = d.object_id
          WHERE d.environment = ${env} AND ${col} >= ${from} AND ${col} <= ${to} AND d.type <> 'unmanaged' ${where}
          ORDER BY ${col} DESC, d.id DESC
          LIMIT ${b.p(f.limit)}`;
  }

  /** Per-lane totals in the window (the list is limited; the counts are not). */
  private countsSql(f: TimelineFilter, b: Params, env: string, from: string, to: string): { git: string; live: string; drift: string } {
    const git = f.repoId === null ? '0' : `(SELECT count(*) FROM desired_revisions WHERE environment = ${env} AND repository_id = ${b.p(f.repoId)} AND committed_at BETWEEN ${from} AND ${to})`;
    const live =
      f.clusterId === null
        ? '0'
        : `(SELECT count(*) FROM live_revisions lr JOIN objects o ON o.id = lr.object_id
           WHERE lr.cluster_id = ${b.p(f.clusterId)} AND lr.observed_at BETWEEN ${from} AND ${to} AND ${liveInEnvironmentSql({ live: 'lr', object: 'o', namespacePatterns: `${b.p(f.namespacePatterns)}::text[]`, environment: env })})`;
    const drift = `((SELECT count(*) FROM drift_intervals WHERE environment = ${env} AND type <> 'unmanaged' AND opened_at BETWEEN ${from} AND ${to})
                 + (SELECT count(*) FROM drift_intervals WHERE environment = ${env} AND type <> 'unmanaged' AND closed_at BETWEEN ${from} AND ${to}))`;
    return { git, live, drift };
  }

  /**
   * The window's events, lane by lane (each limited to f.limit, newest first),
   * and with `counts` the unlimited per-lane totals: one statement.
   */
  async window(f: TimelineFilter, lanes: Lanes, o: { counts: boolean }): Promise<{ git: GitRow[]; live: LiveRow[]; drift: DriftRow[]; counts: { git: number; live: number; drift: number } | null }> {
    const b = new Params();
    const env = `${b.p(f.environment)}::text`;
    const from = `${b.p(f.from)}::timestamptz`;
    const to = `${b.p(f.to)}::timestamptz`;
    const agg = (sql: string | null) => (sql ? `(SELECT coalesce(json_agg(t), '[]'::json) FROM (${sql}) t)` : `'[]'::json`);
    const cols = [
      `${agg(lanes.git ? this.gitSql(f, b, env, from, to) : null)} AS git`,
      `${agg(lanes.live ? this.liveSql(f, b, env, from, to) : null)} AS live`,
      `${agg(lanes.drift ? this.driftSql(f, b, 'opened', env, from, to) : null)} AS opened`,
      `${agg(lanes.drift ? this.driftSql(f, b, 'closed', env, from, to) : null)} AS closed`,
    ];
    if (o.counts) {
      const c = this.countsSql(f, b, env, from, to);
      cols.push(`${c.git} AS git_count`, `${c.live} AS live_count`, `${c.drift} AS drift_count`);
    }
    const [r] = (await this.ds.query(`SELECT ${cols.join(',\n       ')}`, b.values)) as Record<string, any>[];
    // json_agg carries times as text: back to Dates, as the other reads return them.
    const git = (r!.git as GitRow[]).map((x) => ({ ...x, at: toDate(x.at)! }));
    const live = (r!.live as LiveRow[]).map((x) => ({ ...x, at: toDate(x.at)!, changed_at: toDate(x.changed_at)! }));
    const drift = [...(r!.opened as DriftRow[]), ...(r!.closed as DriftRow[])].map((x) => ({ ...x, at: toDate(x.at)!, opened_at: toDate(x.opened_at)!, closed_at: toDate(x.closed_at) }));
    const counts = o.counts ? { git: Number(r!.git_count), live: Number(r!.live_count), drift: Number(r!.drift_count) } : null;
    return { git, live, drift, counts };
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
