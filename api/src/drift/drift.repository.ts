import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { bulkInsert } from '../db/bulk';
import { loadDocuments } from '../store/documents';

type Q = Pick<EntityManager, 'query'>;

export interface ObjectRef {
  object_id: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface DesiredPoint extends ObjectRef {
  document_hash: string;
  commit_sha: string;
  committed_at: Date;
  path: string;
}

export interface LivePoint extends ObjectRef {
  document_hash: string;
  meta_hash: string | null;
  observed_at: Date;
  manager: string | null;
}

export interface DriftEvent {
  source: 'git' | 'live';
  at: Date;
  object_id: number;
  document_hash: string | null;
  meta_hash: string | null;
  /** commit sha (git) or live revision id (live) */
  ref: string;
  manager: string | null;
  operation: string | null;
  author: string | null;
  order: number;
}

export interface IntervalRow {
  id: number;
  environment: string;
  object_id: number;
  type: string;
  opened_at: Date;
  closed_at: Date | null;
  opened_by: Record<string, unknown>;
  closed_by: Record<string, unknown> | null;
  summary: string;
  changes: unknown[];
}

export interface NewInterval {
  environment: string;
  objectId: number;
  type: string;
  openedAt: Date;
  closedAt: Date | null;
  openedBy: Record<string, unknown>;
  closedBy: Record<string, unknown> | null;
  summary: string;
  changes: unknown[];
}

/**
 * Point-in-time reads over the raw revisions, and drift interval storage.
 * "Desired at T" is the newest revision of each object on reachable history
 * committed at or before T; "live at T" the newest live revision observed at
 * or before T. Both use DISTINCT ON over (object, time) indexes.
 */
@Injectable()
export class DriftRepository {
  constructor(private readonly ds: DataSource) {}

  async repositoryId(name: string): Promise<number | null> {
    return (await this.ds.query(`SELECT id::int FROM repositories WHERE name = $1`, [name]))[0]?.id ?? null;
  }

  async clusterId(name: string): Promise<number | null> {
    return (await this.ds.query(`SELECT id::int FROM clusters WHERE name = $1`, [name]))[0]?.id ?? null;
  }

  /** Desired objects of an environment: now (desired_current) or at a time. Optionally only some objects. */
  async desiredAt(env: string, repoId: number, at: Date | null, objectIds: number[] | null, q: Q = this.ds, strictlyBefore = false): Promise<DesiredPoint[]> {
    const params: unknown[] = [env, repoId];
    let filter = '';
    if (objectIds) {
      params.push(objectIds);
      filter = `AND dr.object_id = ANY($${params.length}::bigint[])`;
    }
    if (at === null) {
      return q.query(
        `SELECT dr.object_id::int, o."group", o.kind, o.namespace, o.name, dr.document_hash, dr.commit_sha, c.committed_at, dr.path
           FROM desired_current dr JOIN objects o ON o.id = dr.object_id
           JOIN commits c ON c.repository_id = $2 AND c.sha = dr.commit_sha
          WHERE dr.environment = $1 ${filter}`,
        params,
      );
    }
    params.push(at);
    const op = strictlyBefore ? '<' : '<=';
    return q.query(
      `SELECT s.object_id::int, o."group", o.kind, o.namespace, o.name, s.document_hash, s.commit_sha, s.committed_at, s.path
         FROM (SELECT DISTINCT ON (dr.object_id) dr.object_id, dr.document_hash, dr.commit_sha, dr.committed_at, dr.path
                 FROM desired_revisions dr
                 JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable
                WHERE dr.environment = $1 AND dr.repository_id = $2 AND dr.committed_at ${op} $${params.length} ${filter}
                ORDER BY dr.object_id, dr.committed_at DESC, dr.commit_seq DESC) s
         JOIN objects o ON o.id = s.object_id
        WHERE s.document_hash IS NOT NULL`,
      params,
    );
  }

  /**
   * Live objects of a cluster: now (live_current) or at a time. For the whole
   * cluster at a time, the newest revision of each object is found in two
   * steps: the newest observation time per object (a hash aggregate over an
   * index-only scan of (cluster_id, object_id, observed_at DESC, id DESC),
   * where DISTINCT ON would sort every wide row up to that time), then that
   * revision (highest id at that time) by an exact probe of the same index.
   * Same rows as DISTINCT ON, in the object order it gave. For a few objects
   * (replays) DISTINCT ON over their rows is cheaper to plan and run.
   */
  async liveAt(clusterId: number, at: Date | null, objectIds: number[] | null, q: Q = this.ds, strictlyBefore = false): Promise<LivePoint[]> {
    const params: unknown[] = [clusterId];
    let filter = '';
    if (objectIds) {
      params.push(objectIds);
      filter = `AND lr.object_id = ANY($${params.length}::bigint[])`;
    }
    if (at === null) {
      return q.query(
        `SELECT lr.object_id::int, o."group", o.kind, o.namespace, o.name, lr.document_hash, lr.meta_hash, lr.observed_at, NULL AS manager
           FROM live_current lr JOIN objects o ON o.id = lr.object_id
          WHERE lr.cluster_id = $1 ${filter}`,
        params,
      );
    }
    params.push(at);
    const op = strictlyBefore ? '<' : '<=';
    if (objectIds) {
      return q.query(
        `SELECT s.object_id::int, o."group", o.kind, o.namespace, o.name, s.document_hash, s.meta_hash, s.observed_at, s.manager
           FROM (SELECT DISTINCT ON (lr.object_id) lr.object_id, lr.document_hash, lr.meta_hash, lr.observed_at, lr.manager
                   FROM live_revisions lr
                  WHERE lr.cluster_id = $1 AND lr.observed_at ${op} $${params.length} ${filter}
                  ORDER BY lr.object_id, lr.observed_at DESC, lr.id DESC) s
           JOIN objects o ON o.id = s.object_id
          WHERE s.document_hash IS NOT NULL`,
        params,
      );
    }
    return q.query(
      `SELECT w.object_id::int, o."group", o.kind, o.namespace, o.name, s.document_hash, s.meta_hash, w.observed_at, s.manager
         FROM (SELECT lr.object_id, max(lr.observed_at) AS observed_at
                 FROM live_revisions lr
                WHERE lr.cluster_id = $1 AND lr.observed_at ${op} $${params.length}
                GROUP BY lr.object_id) w
         CROSS JOIN LATERAL (
               SELECT lr.document_hash, lr.meta_hash, lr.manager
                 FROM live_revisions lr
                WHERE lr.cluster_id = $1 AND lr.object_id = w.object_id AND lr.observed_at = w.observed_at
                ORDER BY lr.id DESC
                LIMIT 1) s
         JOIN objects o ON o.id = w.object_id
        WHERE s.document_hash IS NOT NULL
        ORDER BY w.object_id`,
      params,
    );
  }

  /** Document bodies by content hash (see loadDocuments). */
  documents(hashes: string[], q: Q = this.ds): Promise<Map<string, Record<string, unknown>>> {
    return loadDocuments(q, hashes);
  }

  /** Every desired and live change of the given objects from a time on, in time order (git before live at equal times). */
  async eventsFrom(env: string, repoId: number | null, clusterId: number | null, objectIds: number[] | null, from: Date | null, q: Q = this.ds): Promise<DriftEvent[]> {
    const out: DriftEvent[] = [];
    if (repoId !== null) {
      const params: unknown[] = [env, repoId];
      let where = '';
      if (from) {
        params.push(from);
        where += ` AND dr.committed_at >= $${params.length}`;
      }
      if (objectIds) {
        params.push(objectIds);
        where += ` AND dr.object_id = ANY($${params.length}::bigint[])`;
      }
      const rows: { object_id: number; committed_at: Date; document_hash: string | null; commit_sha: string; author: string; seq: number }[] = await q.query(
        `SELECT dr.object_id::int, dr.committed_at, dr.document_hash, dr.commit_sha, c.author_name AS author, dr.commit_seq::int AS seq
           FROM desired_revisions dr JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable
          WHERE dr.environment = $1 AND dr.repository_id = $2 ${where}`,
        params,
      );
      for (const r of rows) out.push({ source: 'git', at: r.committed_at, object_id: r.object_id, document_hash: r.document_hash, meta_hash: null, ref: r.commit_sha, manager: null, operation: null, author: r.author, order: r.seq });
    }
    if (clusterId !== null) {
      const params: unknown[] = [clusterId];
      let where = '';
      if (from) {
        params.push(from);
        where += ` AND lr.observed_at >= $${params.length}`;
      }
      if (objectIds) {
        params.push(objectIds);
        where += ` AND lr.object_id = ANY($${params.length}::bigint[])`;
      }
      const rows: { id: string; object_id: number; observed_at: Date; document_hash: string | null; meta_hash: string | null; manager: string | null; operation: string | null }[] = await q.query(
        `SELECT lr.id, lr.object_id::int, lr.observed_at, lr.document_hash, lr.meta_hash, lr.manager, lr.operation
           FROM live_revisions lr WHERE lr.cluster_id = $1 ${where}`,
        params,
      );
      for (const r of rows) out.push({ source: 'live', at: r.observed_at, object_id: r.object_id, document_hash: r.document_hash, meta_hash: r.meta_hash, ref: String(r.id), manager: r.manager, operation: r.operation, author: null, order: Number(r.id) });
    }
    out.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.source === b.source ? a.order - b.order : a.source === 'git' ? -1 : 1));
    return out;
  }

  async objectRefs(ids: number[], q: Q = this.ds): Promise<Map<number, ObjectRef>> {
    const rows: ObjectRef[] = ids.length ? await q.query(`SELECT id::int AS object_id, "group", kind, namespace, name FROM objects WHERE id = ANY($1::bigint[])`, [ids]) : [];
    return new Map(rows.map((r) => [r.object_id, r]));
  }

  async openIntervals(env: string, objectIds: number[] | null, q: Q = this.ds): Promise<IntervalRow[]> {
    return q.query(
      `SELECT id::int, environment, object_id::int, type, opened_at, closed_at, opened_by, closed_by, summary, changes
         FROM drift_intervals WHERE environment = $1 AND closed_at IS NULL ${objectIds ? 'AND object_id = ANY($2::bigint[])' : ''}`,
      objectIds ? [env, objectIds] : [env],
    );
  }

  /** Undo what happened from `from` on, so it can be replayed: intervals opened since are removed, those closed since reopened. */
  async rewindTo(env: string, objectIds: number[] | null, from: Date | null, q: Q): Promise<void> {
    const objFilter = objectIds ? 'AND object_id = ANY($2::bigint[])' : '';
    const params: unknown[] = objectIds ? [env, objectIds] : [env];
    if (!from) {
      await q.query(`DELETE FROM drift_intervals WHERE environment = $1 ${objFilter}`, params);
      return;
    }
    params.push(from);
    const t = `$${params.length}`;
    await q.query(`DELETE FROM drift_intervals WHERE environment = $1 ${objFilter} AND opened_at >= ${t}`, params);
    await q.query(`UPDATE drift_intervals SET closed_at = NULL, closed_by = NULL WHERE environment = $1 ${objFilter} AND closed_at >= ${t}`, params);
  }

  async closeIntervals(rows: { id: number; closedAt: Date; closedBy: Record<string, unknown> }[], q: Q): Promise<void> {
    if (!rows.length) return;
    await q.query(
      `UPDATE drift_intervals d SET closed_at = u.closed_at, closed_by = u.closed_by::jsonb
         FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS u(id, closed_at, closed_by) WHERE d.id = u.id`,
      [rows.map((r) => r.id), rows.map((r) => r.closedAt), rows.map((r) => JSON.stringify(r.closedBy))],
    );
  }

  async updateOpen(rows: { id: number; summary: string; changes: unknown[] }[], q: Q): Promise<void> {
    if (!rows.length) return;
    await q.query(
      `UPDATE drift_intervals d SET summary = u.summary, changes = u.changes::jsonb
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, summary, changes) WHERE d.id = u.id`,
      [rows.map((r) => r.id), rows.map((r) => r.summary), rows.map((r) => JSON.stringify(r.changes))],
    );
  }

  async insertIntervals(rows: NewInterval[], q: Q): Promise<void> {
    // Closed ones first: the partial unique index allows one open interval per object.
    const sorted = [...rows].sort((a, b) => (a.closedAt ? 0 : 1) - (b.closedAt ? 0 : 1));
    await bulkInsert(
      q,
      'drift_intervals',
      [
        { name: 'environment', type: 'text' }, { name: 'object_id', type: 'bigint' }, { name: 'type', type: 'text' },
        { name: 'opened_at', type: 'timestamptz' }, { name: 'closed_at', type: 'timestamptz' }, { name: 'opened_by', type: 'jsonb' },
        { name: 'closed_by', type: 'jsonb' }, { name: 'summary', type: 'text' }, { name: 'changes', type: 'jsonb' },
      ],
      sorted.map((r) => [r.environment, r.objectId, r.type, r.openedAt, r.closedAt, JSON.stringify(r.openedBy), r.closedBy ? JSON.stringify(r.closedBy) : null, r.summary, JSON.stringify(r.changes)]),
    );
  }

  intervals(env: string, from: Date | null, to: Date | null, limit: number): Promise<(IntervalRow & ObjectRef)[]> {
    const params: unknown[] = [env];
    let where = '';
    if (to) {
      params.push(to);
      where += ` AND d.opened_at <= $${params.length}`;
    }
    if (from) {
      params.push(from);
      where += ` AND (d.closed_at IS NULL OR d.closed_at >= $${params.length})`;
    }
    params.push(limit);
    return this.ds.query(
      `SELECT d.id::int, d.environment, d.object_id::int, d.type, d.opened_at, d.closed_at, d.opened_by, d.closed_by, d.summary, d.changes,
              o."group", o.kind, o.namespace, o.name
         FROM drift_intervals d JOIN objects o ON o.id = d.object_id
        WHERE d.environment = $1 ${where}
        ORDER BY d.opened_at DESC, d.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  async openCounts(): Promise<{ environment: string; type: string; n: number }[]> {
    return this.ds.query(`SELECT environment, type, count(*)::int AS n FROM drift_intervals WHERE closed_at IS NULL GROUP BY environment, type`);
  }

  async lastChanges(): Promise<{ environment: string; last_commit_at: Date | null }[]> {
    return this.ds.query(`SELECT environment, max(committed_at) AS last_commit_at FROM desired_revisions GROUP BY environment`);
  }
}
