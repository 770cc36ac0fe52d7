import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ClusterRow {
  id: number;
  name: string;
  server: string | null;
  connected: boolean;
  leader: string | null;
  leader_since: Date | null;
  heartbeat_at: Date | null;
  last_event_at: Date | null;
  last_list_at: Date | null;
  last_commit_at: Date | null;
  lag_ms: number | null;
  last_error: string | null;
}

export interface ClusterKindRow {
  cluster_id: number;
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  watched: boolean;
  status: string;
  last_error: string | null;
  resource_version: string | null;
  last_list_at: Date | null;
  last_event_at: Date | null;
}

export interface GapRow {
  cluster_id: number;
  group: string;
  kind: string;
  started_at: Date;
  ended_at: Date | null;
  reason: string;
}

export interface LiveObjectRow {
  object_id: number;
  cluster_id: number;
  cluster: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string | null;
  resource_version: string | null;
  document_hash: string;
  observed_at: Date;
  change: string | null;
  manager: string | null;
  operation: string | null;
  changed_at: Date | null;
}

export interface LiveObjectFilter {
  clusterId?: number;
  group?: string;
  kind?: string;
  namespace?: string;
  /** Exact, or a glob with `*`. */
  name?: string;
  after?: { kind: string; namespace: string; name: string; group: string; clusterId: number } | null;
  limit: number;
}

export interface LiveRevisionRow {
  id: number;
  cluster_id: number;
  cluster: string;
  observed_at: Date;
  changed_at: Date;
  resource_version: string | null;
  uid: string | null;
  document_hash: string | null;
  meta_hash: string | null;
  manager: string | null;
  operation: string | null;
  change: string;
  source: string;
  hash: string;
}

const REVISION_COLUMNS = `r.id::int AS id, r.cluster_id::int AS cluster_id, c.name AS cluster, r.observed_at, r.changed_at, r.resource_version, r.uid,
  r.document_hash, r.meta_hash, r.manager, r.operation, r.change, r.source, r.hash`;

/** Hand-written SQL for the cluster context's reads. */
@Injectable()
export class ClusterRepository {
  constructor(private readonly ds: DataSource) {}

  listClusters(): Promise<ClusterRow[]> {
    return this.ds.query(
      `SELECT id::int, name, server, connected, leader, leader_since, heartbeat_at, last_event_at, last_list_at, last_commit_at, lag_ms, last_error
         FROM clusters ORDER BY name`,
    );
  }

  clusterIdByName(name: string): Promise<number | null> {
    return this.ds.query(`SELECT id::int FROM clusters WHERE name = $1`, [name]).then((r: { id: number }[]) => r[0]?.id ?? null);
  }

  listKinds(): Promise<ClusterKindRow[]> {
    return this.ds.query(
      `SELECT cluster_id::int, "group", version, kind, plural, namespaced, watched, status, last_error, resource_version, last_list_at, last_event_at
         FROM cluster_kinds ORDER BY cluster_id, "group", kind`,
    );
  }

  openGaps(): Promise<GapRow[]> {
    return this.ds.query(`SELECT cluster_id::int, "group", kind, started_at, ended_at, reason FROM live_gaps WHERE ended_at IS NULL ORDER BY cluster_id, started_at`);
  }

  /** Live objects per cluster and kind. */
  countObjects(): Promise<{ cluster_id: number; group: string; kind: string; n: number }[]> {
    return this.ds.query(
      `SELECT lc.cluster_id::int, o."group", o.kind, count(*)::int AS n FROM live_current lc JOIN objects o ON o.id = lc.object_id GROUP BY 1, 2, 3`,
    );
  }

  /** Objects live now, ordered by kind, namespace, name (keyset paging), with their latest revision's attribution. */
  findLiveObjects(f: LiveObjectFilter): Promise<LiveObjectRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.clusterId !== undefined) where.push(`lc.cluster_id = ${p(f.clusterId)}`);
    if (f.group !== undefined) where.push(`o."group" = ${p(f.group)}`);
    if (f.kind !== undefined) where.push(`o.kind = ${p(f.kind)}`);
    if (f.namespace !== undefined) where.push(`o.namespace = ${p(f.namespace)}`);
    if (f.name !== undefined) {
      if (f.name.includes('*')) where.push(`o.name LIKE ${p(f.name.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%'))}`);
      else where.push(`o.name = ${p(f.name)}`);
    }
    if (f.after) {
      where.push(`(o.kind, o.namespace, o.name, o."group", lc.cluster_id) > (${p(f.after.kind)}, ${p(f.after.namespace)}, ${p(f.after.name)}, ${p(f.after.group)}, ${p(f.after.clusterId)}::bigint)`);
    }
    return this.ds.query(
      `SELECT lc.object_id::int, lc.cluster_id::int, c.name AS cluster, o."group", o.kind, o.namespace, o.name, lc.uid, lc.resource_version, lc.document_hash,
              lc.observed_at, lr.change, lr.manager, lr.operation, lr.changed_at
         FROM live_current lc
         JOIN objects o ON o.id = lc.object_id
         JOIN clusters c ON c.id = lc.cluster_id
         LEFT JOIN LATERAL (
           SELECT r.change, r.manager, r.operation, r.changed_at FROM live_revisions r
            WHERE r.object_id = lc.object_id AND r.cluster_id = lc.cluster_id ORDER BY r.observed_at DESC, r.id DESC LIMIT 1
         ) lr ON true
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY o.kind, o.namespace, o.name, o."group", lc.cluster_id
        LIMIT ${p(f.limit)}`,
      params,
    );
  }

  objectById(id: number): Promise<{ id: number; group: string; kind: string; namespace: string; name: string } | null> {
    return this.ds.query(`SELECT id::int, "group", kind, namespace, name FROM objects WHERE id = $1`, [id]).then((r: never[]) => r[0] ?? null);
  }

  /** An object's live revisions, newest first, optionally in one cluster and before a (observed_at, id) cursor. */
  objectRevisions(objectId: number, o: { clusterId?: number; before?: { at: string; id: number } | null; limit: number }): Promise<LiveRevisionRow[]> {
    const params: unknown[] = [objectId];
    let where = 'r.object_id = $1';
    if (o.clusterId !== undefined) {
      params.push(o.clusterId);
      where += ` AND r.cluster_id = $${params.length}`;
    }
    if (o.before) {
      params.push(o.before.at, o.before.id);
      where += ` AND (r.observed_at, r.id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`;
    }
    params.push(o.limit);
    return this.ds.query(
      `SELECT ${REVISION_COLUMNS} FROM live_revisions r JOIN clusters c ON c.id = r.cluster_id
        WHERE ${where} ORDER BY r.observed_at DESC, r.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** The revision of an object in a cluster just before the given one (for the diff of the oldest row of a page). */
  previousRevision(objectId: number, clusterId: number, before: { at: Date; id: number }): Promise<LiveRevisionRow | null> {
    return this.ds
      .query(
        `SELECT ${REVISION_COLUMNS} FROM live_revisions r JOIN clusters c ON c.id = r.cluster_id
          WHERE r.object_id = $1 AND r.cluster_id = $2 AND (r.observed_at, r.id) < ($3::timestamptz, $4::bigint)
          ORDER BY r.observed_at DESC, r.id DESC LIMIT 1`,
        [objectId, clusterId, before.at, before.id],
      )
      .then((r: LiveRevisionRow[]) => r[0] ?? null);
  }
}
