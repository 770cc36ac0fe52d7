import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ChainSegment, ReportFormat } from './report.types';

type Q = Pick<EntityManager, 'query'>;

export interface ReportRow {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  format: ReportFormat;
  scope: Record<string, unknown>;
  snapshot: Record<string, unknown> | null;
  progress: number;
  phase: string | null;
  error: string | null;
  path: string | null;
  size: string | null;
  sha256: string | null;
  records: number | null;
  manifest: Record<string, unknown> | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  worker: string | null;
  heartbeat_at: Date | null;
  attempts: number;
}

export interface ScopeObject {
  object_id: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  in_git: boolean;
  /** Desired and live revisions of the object in the window (to size chunks). */
  events: number;
}

export interface DesiredEventRow {
  id: number;
  object_id: number;
  at: Date;
  at_key: string;
  seq: number;
  document_hash: string | null;
  commit_sha: string;
  change: string;
  author_name: string;
  author_email: string;
}

export interface LiveEventRow {
  id: number;
  object_id: number;
  at: Date;
  at_key: string;
  document_hash: string | null;
  meta_hash: string | null;
  manager: string | null;
  operation: string | null;
}

/** A desired revision of the analysis stream: its time in whole milliseconds (cheaper than a Date parsed from text), and its document. */
export interface DesiredStreamRow extends Omit<DesiredEventRow, 'at' | 'author_name' | 'author_email'> {
  at_ms: number;
  doc_text: string | null;
  /** Only when asked for (an author filter): the commit's author, and whether the commit is reachable. */
  author_name?: string | null;
  author_email?: string | null;
  reachable?: boolean;
}

export interface LiveStreamRow extends Omit<LiveEventRow, 'at'> {
  at_ms: number;
  doc_text: string | null;
  meta_text: string | null;
}

export interface GapRow {
  id: number;
  group: string;
  kind: string;
  started_at: Date;
  ended_at: Date | null;
  reason: string;
}

export interface ScratchRow {
  kind: 'd' | 'o' | 'i';
  env: string;
  sortAt: Date;
  sortSeq: number;
  ref: number;
  t1: Date | null;
  ref2: number | null;
  prevDoc: string | null;
  reason: string | null;
  info: string | null;
  paths: string | null;
  summary: string | null;
}

/** A keyset position in scratch: the exact text of sort_at (microseconds survive), then sort_seq and ref. */
export interface ScratchKey {
  at: string;
  seq: string;
  ref: string;
}

/** A desired revision of the Git section with its commit and object (reachable: false when its commit is not). */
export interface GitRecordRow {
  id: number;
  object_id: number;
  /** The exact text of committed_at (for the keyset), and the time in whole milliseconds. */
  at_key: string;
  ms: number;
  seq: number;
  reachable: boolean;
  commit_sha: string;
  committed_at: string;
  document_hash: string | null;
  path: string;
  change: 'created' | 'configured' | 'deleted';
  revision_hash: string;
  author_name: string;
  author_email: string;
  authored_at: string;
  committer_name: string;
  committer_email: string;
  subject: string;
  message: string;
  pr_number: number | null;
  pr_kind: string | null;
  commit_hash: string;
}

export interface OutOfBandPageRow {
  k_at: string;
  k_seq: string;
  ref: string;
  ended_at: Date | null;
  prev_doc: string | null;
  reason: string;
  manager_class: string;
  paths: string | null;
  summary: string | null;
  observed_at: Date;
  document_hash: string | null;
  manager: string | null;
  operation: string | null;
  change: 'created' | 'configured' | 'deleted';
  hash: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface DriftPageRow {
  k_at: string;
  k_seq: string;
  ref: string;
  event_id: string;
  event_hash: string;
  type: string;
  opened_at: string;
  closed_at: string | null;
  opened_by: unknown;
  closed_by: unknown;
  summary: string;
}

/** A chain row with everything its record is rebuilt from. */
export interface ChainRow {
  position: string;
  prev_hash: string | null;
  hash: string;
  [field: string]: unknown;
}

/** The part of pg's Pool the hot reads use (TypeORM's PostgreSQL driver keeps one as `master`). */
interface RowPool {
  query(q: { text: string; values: unknown[]; rowMode: 'array' }): Promise<{ fields: { name: string }[]; rows: unknown[][] }>;
}

/** A function building a row object of one fixed shape from pg's array row, per list of column names. */
const rowMakers = new Map<string, (r: unknown[]) => unknown>();
function rowMaker(names: string[]): (r: unknown[]) => unknown {
  const key = names.join('\u0000');
  let make = rowMakers.get(key);
  if (!make) {
    // An object literal with the columns in order: every row gets the same hidden class.
    make = new Function('r', `return {${names.map((n, i) => `${JSON.stringify(n)}: r[${i}]`).join(', ')}};`) as (r: unknown[]) => unknown;
    rowMakers.set(key, make);
  }
  return make;
}

/** TypeORM answers UPDATE/DELETE … RETURNING with [rows, count]; everything else with rows. */
function returning<T>(r: unknown): T[] {
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[0] as T[];
  return r as T[];
}

const STREAM_SQL: Record<ChainSegment['stream'], { position: string; table: string; keyCol: string }> = {
  commits: { position: 'seq', table: 'commits', keyCol: 'repository_id' },
  desired_revisions: { position: 'id', table: 'desired_revisions', keyCol: 'environment' },
  live_revisions: { position: 'id', table: 'live_revisions', keyCol: 'cluster_id' },
  drift_events: { position: 'id', table: 'drift_events', keyCol: 'environment' },
};

/**
 * Every query of the reports context: the report jobs, the snapshot (chain
 * heads), the cursor-paged reads a report is built from, its scratch rows, and
 * the chain walks of `report verify`. Reads are bounded by the snapshot's
 * positions, so a report re-derived later sees exactly the rows it saw.
 */
@Injectable()
export class ReportsRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * A read of many rows (the report's streams and pages). pg builds each row object from a null-prototype
   * template, which V8 keeps in dictionary mode: slower to build and to read, about twice the memory, and
   * a year's report reads ~450,000 of them. Asked for as arrays, they are made into objects of one shape.
   */
  private async many<T>(text: string, values: unknown[]): Promise<T[]> {
    const pool = (this.ds.driver as unknown as { master?: RowPool }).master;
    if (!pool || typeof pool.query !== 'function') return this.ds.query(text, values);
    const res = await pool.query({ text, values, rowMode: 'array' });
    const make = rowMaker(res.fields.map((f) => f.name));
    const rows = res.rows;
    const out = new Array<T>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = make(rows[i]!) as T;
    return out;
  }

  // ---- jobs ------------------------------------------------------------

  async insertReport(r: { id: string; status: string; format: ReportFormat; scope: unknown; createdBy: string; worker?: string | null }, q: Q = this.ds): Promise<void> {
    await q.query(
      `INSERT INTO reports (id, status, format, scope, created_by, worker, started_at, heartbeat_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, CASE WHEN $2 = 'running' THEN now() END, CASE WHEN $2 = 'running' THEN now() END)`,
      [r.id, r.status, r.format, JSON.stringify(r.scope), r.createdBy, r.worker ?? null],
    );
  }

  async get(id: string): Promise<ReportRow | null> {
    return (await this.ds.query(`SELECT * FROM reports WHERE id = $1`, [id]))[0] ?? null;
  }

  async list(limit: number, before: Date | null): Promise<ReportRow[]> {
    return this.ds.query(
      `SELECT * FROM reports WHERE ($2::timestamptz IS NULL OR created_at < $2) ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit, before],
    );
  }

  async findBySha256(sha: string): Promise<ReportRow[]> {
    return this.ds.query(`SELECT * FROM reports WHERE sha256 = $1 AND status = 'done' ORDER BY created_at`, [sha]);
  }

  /** Claims the oldest queued job for this worker (SKIP LOCKED: replicas never take the same one). */
  async claimNext(worker: string): Promise<ReportRow | null> {
    const rows = await this.ds.query(
      `UPDATE reports SET status = 'running', worker = $1, started_at = coalesce(started_at, now()), heartbeat_at = now(), attempts = attempts + 1, error = NULL
        WHERE id = (SELECT id FROM reports WHERE status = 'queued' ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING *`,
      [worker],
    );
    return returning<ReportRow>(rows)[0] ?? null;
  }

  async heartbeat(id: string, worker: string, progress: number, phase: string): Promise<void> {
    await this.ds.query(`UPDATE reports SET progress = $3, phase = $4, heartbeat_at = now() WHERE id = $1 AND worker = $2 AND status = 'running'`, [
      id, worker, Math.max(0, Math.min(1, progress)), phase,
    ]);
  }

  async saveSnapshot(id: string, snapshot: unknown): Promise<void> {
    await this.ds.query(`UPDATE reports SET snapshot = $2::jsonb WHERE id = $1`, [id, JSON.stringify(snapshot)]);
  }

  async finish(id: string, r: { path: string | null; size: number; sha256: string; records: number; manifest: unknown }): Promise<void> {
    await this.ds.query(
      `UPDATE reports SET status = 'done', progress = 1, phase = 'done', path = $2, size = $3, sha256 = $4, records = $5, manifest = $6::jsonb,
              finished_at = now(), heartbeat_at = now() WHERE id = $1`,
      [id, r.path, r.size, r.sha256, r.records, JSON.stringify(r.manifest)],
    );
  }

  async fail(id: string, error: string): Promise<void> {
    await this.ds.query(`UPDATE reports SET status = 'failed', error = $2, phase = 'failed', finished_at = now() WHERE id = $1`, [id, error.slice(0, 4000)]);
  }

  /**
   * Jobs left `running` by a process that is gone (no heartbeat since `staleBefore`) go back to
   * the queue to be resumed from their saved snapshot; after `maxAttempts` they fail.
   */
  async recoverStale(staleBefore: Date, maxAttempts: number): Promise<{ requeued: string[]; failed: string[] }> {
    const failed: { id: string }[] = await this.ds.query(
      `UPDATE reports SET status = 'failed', finished_at = now(), phase = 'failed',
              error = 'the process generating this report stopped ' || attempts || ' time(s); giving up'
        WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $1) AND attempts >= $2 RETURNING id`,
      [staleBefore, maxAttempts],
    ).then((r) => returning<{ id: string }>(r));
    const requeued: { id: string }[] = await this.ds.query(
      `UPDATE reports SET status = 'queued', worker = NULL, phase = 'resuming after a restart'
        WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $1) RETURNING id`,
      [staleBefore],
    ).then((r) => returning<{ id: string }>(r));
    return { requeued: requeued.map((r) => r.id), failed: failed.map((r) => r.id) };
  }

  // ---- snapshot -------------------------------------------------------------

  async repositoryId(name: string): Promise<number | null> {
    return (await this.ds.query(`SELECT id::int FROM repositories WHERE name = $1`, [name]))[0]?.id ?? null;
  }

  async clusterId(name: string): Promise<number | null> {
    return (await this.ds.query(`SELECT id::int FROM clusters WHERE name = $1`, [name]))[0]?.id ?? null;
  }

  private keyValue(stream: ChainSegment['stream'], key: string, ids: { repo: number | null; cluster: number | null }): unknown {
    if (stream === 'commits') return ids.repo;
    if (stream === 'live_revisions') return ids.cluster;
    return key;
  }

  /** The head of a chain now: its last position and hash. */
  async chainHead(stream: ChainSegment['stream'], keyValue: unknown): Promise<{ position: number; hash: string | null }> {
    const s = STREAM_SQL[stream];
    const r = (await this.ds.query(`SELECT ${s.position}::text AS position, hash FROM ${s.table} WHERE ${s.keyCol} = $1 ORDER BY ${s.position} DESC LIMIT 1`, [keyValue]))[0];
    return r ? { position: Number(r.position), hash: r.hash } : { position: 0, hash: null };
  }

  /** First position at or after `from` in time, up to the bound (null: no record in the window). */
  async firstPositionSince(stream: 'commits' | 'desired_revisions' | 'live_revisions', keyValue: unknown, from: Date, bound: number): Promise<number | null> {
    const time = stream === 'commits' ? 'committed_at' : stream === 'desired_revisions' ? 'committed_at' : 'observed_at';
    const s = STREAM_SQL[stream];
    const r = (await this.ds.query(`SELECT min(${s.position})::text AS p FROM ${s.table} WHERE ${s.keyCol} = $1 AND ${time} >= $2 AND ${s.position} <= $3`, [keyValue, from, bound]))[0];
    return r?.p == null ? null : Number(r.p);
  }

  /** prev_hash of the record at a position, and how many records the segment holds. */
  async segmentInfo(stream: ChainSegment['stream'], keyValue: unknown, from: number, to: number): Promise<{ prevHash: string | null; records: number }> {
    const s = STREAM_SQL[stream];
    const prev = (await this.ds.query(`SELECT prev_hash FROM ${s.table} WHERE ${s.keyCol} = $1 AND ${s.position} = $2`, [keyValue, from]))[0];
    const n = (await this.ds.query(`SELECT count(*)::int AS n FROM ${s.table} WHERE ${s.keyCol} = $1 AND ${s.position} BETWEEN $2 AND $3`, [keyValue, from, to]))[0].n;
    return { prevHash: prev?.prev_hash ?? null, records: n };
  }

  /** Rows of a chain segment in position order, after `after`, for verification. */
  async chainPage(stream: ChainSegment['stream'], keyValue: unknown, from: number, to: number, after: number, limit: number): Promise<ChainRow[]> {
    const where = `$2::bigint AND $3::bigint AND x.${STREAM_SQL[stream].position} > $4::bigint ORDER BY x.${STREAM_SQL[stream].position} LIMIT $5`;
    const params = [keyValue, from, to, after, limit];
    switch (stream) {
      case 'commits':
        return this.ds.query(
          `SELECT x.seq::text AS position, x.sha, x.parents, x.author_name, x.author_email, x.authored_at, x.author_tz,
                  x.committer_name, x.committer_email, x.committed_at, x.committer_tz, x.message, x.prev_hash, x.hash
             FROM commits x WHERE x.repository_id = $1 AND x.seq BETWEEN ${where}`,
          params,
        );
      case 'desired_revisions':
        return this.ds.query(
          `SELECT x.id::text AS position, x.environment, o."group", o.kind, o.namespace, o.name, x.commit_sha, x.document_hash, x.path, x.change, x.prev_hash, x.hash
             FROM desired_revisions x LEFT JOIN objects o ON o.id = x.object_id WHERE x.environment = $1 AND x.id BETWEEN ${where}`,
          params,
        );
      case 'live_revisions':
        return this.ds.query(
          `SELECT x.id::text AS position, c.name AS cluster, o."group", o.kind, o.namespace, o.name, x.observed_at, x.changed_at, x.resource_version, x.uid,
                  x.document_hash, x.meta_hash, x.manager, x.operation, x.change, x.source, x.prev_hash, x.hash
             FROM live_revisions x LEFT JOIN objects o ON o.id = x.object_id LEFT JOIN clusters c ON c.id = x.cluster_id
            WHERE x.cluster_id = $1 AND x.id BETWEEN ${where}`,
          params,
        );
      case 'drift_events':
        return this.ds.query(
          `SELECT x.id::text AS position, x.environment, x.interval_id::text AS interval_id, x.op, x.object_id::text AS object_id, x.type,
                  driftline_iso(x.opened_at) AS opened_at, driftline_iso(x.closed_at) AS closed_at, x.opened_by::text AS opened_by,
                  x.closed_by::text AS closed_by, x.summary, x.prev_hash, x.hash
             FROM drift_events x WHERE x.environment = $1 AND x.id BETWEEN ${where}`,
          params,
        );
    }
  }

  keyFor = this.keyValue.bind(this);

  // ---- report data -----------------------------------------------------------

  /**
   * Objects a report on one environment looks at: those with a desired revision or a live revision in
   * the window (within the snapshot), and whether Git ever described them in this environment.
   */
  async scopeObjects(o: { env: string; repoId: number | null; clusterId: number | null; from: Date; to: Date; desiredBound: number; liveBound: number }): Promise<ScopeObject[]> {
    return this.ds.query(
      `WITH ids AS (
         SELECT dr.object_id, count(*) AS n FROM desired_revisions dr
          WHERE dr.environment = $1 AND dr.repository_id = $2 AND dr.committed_at BETWEEN $4 AND $5 AND dr.id <= $6
          GROUP BY dr.object_id
         UNION ALL
         SELECT lr.object_id, count(*) AS n FROM live_revisions lr
          WHERE lr.cluster_id = $3 AND lr.observed_at BETWEEN $4 AND $5 AND lr.id <= $7
          GROUP BY lr.object_id
       )
       SELECT o.id::int AS object_id, o."group", o.kind, o.namespace, o.name, sum(ids.n)::int AS events,
              EXISTS (SELECT 1 FROM desired_revisions d WHERE d.object_id = o.id AND d.environment = $1 AND d.id <= $6) AS in_git
         FROM ids JOIN objects o ON o.id = ids.object_id
        GROUP BY o.id
        ORDER BY o.id`,
      [o.env, o.repoId ?? -1, o.clusterId ?? -1, o.from, o.to, o.desiredBound, o.liveBound],
    );
  }

  /** Desired document of each object just before `from` (reachable history, within the snapshot). */
  async desiredBefore(env: string, repoId: number, ids: number[], from: Date, bound: number): Promise<{ object_id: number; document_hash: string | null }[]> {
    return this.ds.query(
      `SELECT DISTINCT ON (dr.object_id) dr.object_id::int, dr.document_hash
         FROM desired_revisions dr JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable
        WHERE dr.environment = $1 AND dr.repository_id = $2 AND dr.object_id = ANY($3::bigint[]) AND dr.committed_at < $4 AND dr.id <= $5
        ORDER BY dr.object_id, dr.committed_at DESC, dr.commit_seq DESC`,
      [env, repoId, ids, from, bound],
    );
  }

  /** Live document (and meta) of each object just before `from`, within the snapshot. */
  async liveBefore(clusterId: number, ids: number[], from: Date, bound: number): Promise<{ object_id: number; id: string; document_hash: string | null; meta_hash: string | null }[]> {
    return this.ds.query(
      `SELECT DISTINCT ON (lr.object_id) lr.object_id::int, lr.id::text AS id, lr.document_hash, lr.meta_hash
         FROM live_revisions lr
        WHERE lr.cluster_id = $1 AND lr.object_id = ANY($2::bigint[]) AND lr.observed_at < $3 AND lr.id <= $4
        ORDER BY lr.object_id, lr.observed_at DESC, lr.id DESC`,
      [clusterId, ids, from, bound],
    );
  }

  /**
   * Desired revisions of some objects in [from, to], in (object, time, seq, id) order, after a keyset position.
   * Each revision's commit is looked up by its key (LATERAL … LIMIT 1: the key is unique, so the same rows as a
   * join): a plain join let the planner hash the whole commits table for every chunk of ~1,000 revisions, which
   * read all of it 80 times for a one-year report and pushed the rest of the report's rows out of the buffer cache.
   */
  async desiredEvents(o: { env: string; repoId: number; ids: number[]; from: Date; fromExclusive: boolean; to: Date | null; bound: number; after: [number, string, number, number] | null; limit: number }): Promise<DesiredEventRow[]> {
    const a = o.after ?? [0, '-infinity', 0, 0];
    const rows = await this.ds.query(
      `SELECT dr.id::int AS id, dr.object_id::int AS object_id, dr.committed_at AS at, dr.committed_at::text AS at_key, dr.commit_seq::int AS seq,
              dr.document_hash, dr.commit_sha, dr.change, c.author_name, c.author_email
         FROM desired_revisions dr
        CROSS JOIN LATERAL (SELECT c.author_name, c.author_email FROM commits c
                             WHERE c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable LIMIT 1) c
        WHERE dr.environment = $1 AND dr.repository_id = $2 AND dr.object_id = ANY($3::bigint[]) AND dr.committed_at ${o.fromExclusive ? '>' : '>='} $4
          AND ($5::timestamptz IS NULL OR dr.committed_at <= $5) AND dr.id <= $6
          AND (dr.object_id, dr.committed_at, dr.commit_seq, dr.id) > ($7::bigint, $8::timestamptz, $9::bigint, $10::bigint)
        ORDER BY dr.object_id, dr.committed_at, dr.commit_seq, dr.id LIMIT $11`,
      [o.env, o.repoId, o.ids, o.from, o.to, o.bound, a[0], a[1], a[2], a[3], o.limit],
    );
    return rows;
  }

  /** Live revisions of some objects in [from, to], in (object, time, id) order, after a keyset position. */
  async liveEvents(o: { clusterId: number; ids: number[]; from: Date; fromExclusive: boolean; to: Date | null; bound: number; after: [number, string, number] | null; limit: number }): Promise<LiveEventRow[]> {
    const a = o.after ?? [0, '-infinity', 0];
    return this.ds.query(
      `SELECT lr.id::int AS id, lr.object_id::int AS object_id, lr.observed_at AS at, lr.observed_at::text AS at_key,
              lr.document_hash, lr.meta_hash, lr.manager, lr.operation
         FROM live_revisions lr
        WHERE lr.cluster_id = $1 AND lr.object_id = ANY($2::bigint[]) AND lr.observed_at ${o.fromExclusive ? '>' : '>='} $3
          AND ($4::timestamptz IS NULL OR lr.observed_at <= $4) AND lr.id <= $5
          AND (lr.object_id, lr.observed_at, lr.id) > ($6::bigint, $7::timestamptz, $8::bigint)
        ORDER BY lr.object_id, lr.observed_at, lr.id LIMIT $9`,
      [o.clusterId, o.ids, o.from, o.to, o.bound, a[0], a[1], a[2], o.limit],
    );
  }

  /**
   * Desired revisions of an environment in [from, to] (all objects, or only `ids`), in (object, time, seq, id)
   * order after a keyset position, each with its document as JSON text: the analysis reads them as one ordered
   * stream of pages instead of a query per chunk of objects and another per batch of documents.
   */
  async desiredStream(o: { env: string; repoId: number; ids: number[] | null; from: Date; to: Date; bound: number; after: [number, string, number, number] | null; limit: number; authors: boolean }): Promise<DesiredStreamRow[]> {
    const a = o.after ?? [0, '-infinity', 0, 0];
    // The page is chosen first and joined to its documents (and commits) after: joined before the LIMIT, the
    // planner chose a parallel plan that looked up documents for rows past the page and sorted them. Every row
    // of the page comes back, so its size says whether more follow: with `authors`, each with its commit's
    // author and whether the commit is reachable; without, the caller knows the unreachable commits.
    return this.many(
      `SELECT x.id::int AS id, x.object_id::int AS object_id, floor(extract(epoch FROM x.committed_at) * 1000)::float8 AS at_ms, x.committed_at::text AS at_key, x.commit_seq::int AS seq,
              x.document_hash, x.commit_sha, x.change, d.body::text AS doc_text${o.authors ? ', c.author_name, c.author_email, c.ok IS NOT NULL AS reachable' : ''}
         FROM (SELECT dr.id, dr.object_id, dr.committed_at, dr.commit_seq, dr.document_hash, dr.commit_sha, dr.change, dr.repository_id
                 FROM desired_revisions dr
                WHERE dr.environment = $1 AND dr.repository_id = $2 AND ($3::bigint[] IS NULL OR dr.object_id = ANY($3::bigint[]))
                  AND dr.committed_at >= $4 AND dr.committed_at <= $5 AND dr.id <= $6
                  AND (dr.object_id, dr.committed_at, dr.commit_seq, dr.id) > ($7::bigint, $8::timestamptz, $9::bigint, $10::bigint)
                ORDER BY dr.object_id, dr.committed_at, dr.commit_seq, dr.id LIMIT $11) x${
                  o.authors
                    ? `
         LEFT JOIN LATERAL (SELECT true AS ok, c.author_name, c.author_email FROM commits c
                             WHERE c.repository_id = x.repository_id AND c.sha = x.commit_sha AND c.reachable LIMIT 1) c ON true`
                    : ''
                }
         LEFT JOIN documents d ON d.hash = x.document_hash
        ORDER BY x.object_id, x.committed_at, x.commit_seq, x.id`,
      [o.env, o.repoId, o.ids, o.from, o.to, o.bound, a[0], a[1], a[2], a[3], o.limit],
    );
  }

  /** Commits of the window's desired revisions of an environment that are not reachable (their changes are not reported). */
  async unreachableCommits(o: { env: string; repoId: number; from: Date; to: Date; bound: number }): Promise<Set<string>> {
    const rows: { sha: string }[] = await this.ds.query(
      `SELECT DISTINCT c.sha FROM desired_revisions dr JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND NOT c.reachable
        WHERE dr.environment = $1 AND dr.repository_id = $2 AND dr.committed_at >= $3 AND dr.committed_at <= $4 AND dr.id <= $5`,
      [o.env, o.repoId, o.from, o.to, o.bound],
    );
    return new Set(rows.map((r) => r.sha));
  }

  /**
   * Authors of the window's Git changes of an environment (all objects, or only `ids`), by commit: each
   * reachable commit with its author and how many of the changes are in it. One pass over the commits
   * instead of a lookup per change.
   */
  async commitAuthors(o: { env: string; repoId: number; ids: number[] | null; from: Date; to: Date; bound: number }): Promise<{ sha: string; author_name: string; author_email: string; changes: number }[]> {
    return this.many(
      `SELECT c.sha, c.author_name, c.author_email, count(*)::int AS changes
         FROM desired_revisions dr JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable
        WHERE dr.environment = $1 AND dr.repository_id = $2 AND ($3::bigint[] IS NULL OR dr.object_id = ANY($3::bigint[]))
          AND dr.committed_at >= $4 AND dr.committed_at <= $5 AND dr.id <= $6
        GROUP BY c.sha, c.author_name, c.author_email`,
      [o.env, o.repoId, o.ids, o.from, o.to, o.bound],
    );
  }

  /**
   * Live revisions of a cluster in [from, to] (all objects, or only `ids`), in (object, time, id) order, with their
   * document and meta as JSON text. With `desired`, a document that one of the object's desired revisions in the
   * window also has (an applied commit: half of a year's live revisions) comes without its text: the desired stream
   * brings it (the caller reads it when it does not have it). Document lookups were most of this query's time.
   */
  async liveStream(o: { clusterId: number; ids: number[] | null; from: Date; to: Date; bound: number; after: [number, string, number] | null; limit: number; desired: { env: string; bound: number } | null }): Promise<LiveStreamRow[]> {
    const a = o.after ?? [0, '-infinity', 0];
    const page = `SELECT lr.id, lr.object_id, lr.observed_at, lr.document_hash, lr.meta_hash, lr.manager, lr.operation
                 FROM live_revisions lr
                WHERE lr.cluster_id = $1 AND ($2::bigint[] IS NULL OR lr.object_id = ANY($2::bigint[]))
                  AND lr.observed_at >= $3 AND lr.observed_at <= $4 AND lr.id <= $5
                  AND (lr.object_id, lr.observed_at, lr.id) > ($6::bigint, $7::timestamptz, $8::bigint)
                ORDER BY lr.object_id, lr.observed_at, lr.id LIMIT $9`;
    const columns = `x.id::int AS id, x.object_id::int AS object_id, floor(extract(epoch FROM x.observed_at) * 1000)::float8 AS at_ms, x.observed_at::text AS at_key,
              x.document_hash, x.meta_hash, x.manager, x.operation`;
    const values = [o.clusterId, o.ids, o.from, o.to, o.bound, a[0], a[1], a[2], o.limit];
    if (!o.desired) {
      return this.many(
        `SELECT ${columns}, d.body::text AS doc_text, m.body::text AS meta_text
           FROM (${page}) x
           LEFT JOIN documents d ON d.hash = x.document_hash
           LEFT JOIN documents m ON m.hash = x.meta_hash
          ORDER BY x.object_id, x.observed_at, x.id`,
        values,
      );
    }
    // The page's objects' desired documents come from the rows the desired stream reads at about the same time
    // (in the buffer cache); the CASE looks a document up only for the other rows.
    return this.many(
      `WITH x AS MATERIALIZED (${page}),
            s AS (SELECT DISTINCT dr.object_id, dr.document_hash FROM desired_revisions dr
                   WHERE dr.environment = $10 AND dr.object_id BETWEEN (SELECT min(object_id) FROM x) AND (SELECT max(object_id) FROM x)
                     AND dr.committed_at >= $3 AND dr.committed_at <= $4 AND dr.id <= $11 AND dr.document_hash IS NOT NULL)
       SELECT ${columns},
              CASE WHEN s.document_hash IS NULL THEN (SELECT d.body::text FROM documents d WHERE d.hash = x.document_hash) END AS doc_text,
              m.body::text AS meta_text
         FROM x
         LEFT JOIN s ON s.object_id = x.object_id AND s.document_hash = x.document_hash
         LEFT JOIN documents m ON m.hash = x.meta_hash
        ORDER BY x.object_id, x.observed_at, x.id`,
      [...values, o.desired.env, o.desired.bound],
    );
  }

  /** Recording gaps of a cluster from `from` on, as they were at `asOf` (a gap that ended after it was still open then). */
  async gaps(clusterId: number, from: Date, asOf: Date): Promise<GapRow[]> {
    return this.ds.query(
      `SELECT id::int, "group", kind, started_at, CASE WHEN ended_at <= $3 THEN ended_at END AS ended_at, reason
         FROM live_gaps
        WHERE cluster_id = $1 AND started_at <= $3 AND (ended_at IS NULL OR ended_at > $3 OR ended_at >= $2)
        ORDER BY started_at, id`,
      [clusterId, from, asOf],
    );
  }

  /** Document bodies by hash (`bpchar[]`, so the primary key serves the lookup). */
  async documents(hashes: string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    if (!hashes.length) return out;
    const rows: { hash: string; body: Record<string, unknown> }[] = await this.ds.query(`SELECT hash, body FROM documents WHERE hash = ANY($1::bpchar[])`, [hashes]);
    for (const r of rows) out.set(r.hash, r.body);
    return out;
  }

  /**
   * Document bodies by hash as JSON text (what pg would parse them from): the analysis parses each one
   * when it gets to it, so a chunk's documents wait in memory as one string each, not as object trees.
   */
  async documentTexts(hashes: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!hashes.length) return out;
    const rows: { hash: string; body: string }[] = await this.ds.query(`SELECT hash, body::text AS body FROM documents WHERE hash = ANY($1::bpchar[])`, [hashes]);
    for (const r of rows) out.set(r.hash, r.body);
    return out;
  }

  /** Scratch rows, 5,000 per statement, sent as one JSON array (cheaper to encode than 13 array parameters). */
  async insertScratch(run: string, rows: ScratchRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 5000) {
      const part = rows.slice(i, i + 5000).map((r) => ({
        k: r.kind, e: r.env, sa: r.sortAt, ss: r.sortSeq, r: r.ref, t: r.t1, r2: r.ref2, p: r.prevDoc, re: r.reason, i: r.info, pa: r.paths, su: r.summary,
      }));
      await this.ds.query(
        `INSERT INTO report_scratch (run, kind, env, sort_at, sort_seq, ref, t1, ref2, prev_doc, reason, info, paths, summary)
         SELECT $1, x.k, x.e, x.sa, x.ss, x.r, x.t, x.r2, x.p, x.re, x.i, x.pa, x.su
           FROM json_to_recordset($2::json) AS x(k text, e text, sa timestamptz, ss bigint, r bigint, t timestamptz, r2 bigint, p text, re text, i text, pa text, su text)`,
        [run, JSON.stringify(part)],
      );
    }
  }

  /**
   * Drift intervals of an environment as they were at the snapshot, folded from the chained events
   * (the last event of each interval up to the bound gives its state; a retraction removes it), that
   * overlap the window; written to scratch (kind 'i', ref2 = the event).
   */
  async foldDrift(run: string, env: string, from: Date, to: Date, bound: number): Promise<void> {
    await this.ds.query(
      `INSERT INTO report_scratch (run, kind, env, sort_at, sort_seq, ref, ref2)
       SELECT $1, 'i', $2, s.opened_at, s.object_id, s.interval_id, s.id
         FROM (SELECT DISTINCT ON (e.interval_id) e.id, e.interval_id, e.op, e.object_id, e.opened_at, e.closed_at
                 FROM drift_events e WHERE e.environment = $2 AND e.id <= $5
                ORDER BY e.interval_id, e.id DESC) s
        WHERE s.op <> 'retracted' AND s.opened_at <= $4 AND (s.closed_at IS NULL OR s.closed_at >= $3)`,
      [run, env, from, to, bound],
    );
  }

  /** Objects of the folded drift intervals of a run (sort_seq holds the object id). */
  async driftObjects(run: string, env: string): Promise<{ object_id: number; kind: string; namespace: string }[]> {
    return this.ds.query(
      `SELECT DISTINCT o.id::int AS object_id, o.kind, o.namespace FROM report_scratch s JOIN objects o ON o.id = s.sort_seq
        WHERE s.run = $1 AND s.kind = 'i' AND s.env = $2`,
      [run, env],
    );
  }

  async dropDriftObjects(run: string, env: string, objectIds: number[]): Promise<void> {
    if (objectIds.length) await this.ds.query(`DELETE FROM report_scratch WHERE run = $1 AND kind = 'i' AND env = $2 AND sort_seq = ANY($3::bigint[])`, [run, env, objectIds]);
  }

  async driftSegmentStart(run: string, env: string): Promise<number | null> {
    const r = (await this.ds.query(`SELECT min(ref2)::text AS p FROM report_scratch WHERE run = $1 AND kind = 'i' AND env = $2`, [run, env]))[0];
    return r?.p == null ? null : Number(r.p);
  }

  async driftSummary(run: string, from: Date, to: Date, asOf: Date): Promise<{ type: string; total: number; opened: number; closed: number; open_at_end: number; duration: number | null }[]> {
    return this.ds.query(
      `SELECT e.type, count(*)::int AS total,
              count(*) FILTER (WHERE e.opened_at >= $2)::int AS opened,
              count(*) FILTER (WHERE e.closed_at IS NOT NULL AND e.closed_at <= $3)::int AS closed,
              count(*) FILTER (WHERE e.closed_at IS NULL OR e.closed_at > $3)::int AS open_at_end,
              sum(extract(epoch FROM coalesce(e.closed_at, $4) - e.opened_at)) AS duration
         FROM report_scratch s JOIN drift_events e ON e.id = s.ref2
        WHERE s.run = $1 AND s.kind = 'i' GROUP BY e.type ORDER BY e.type`,
      [run, from, to, asOf],
    );
  }

  async countScratch(run: string): Promise<number> {
    return (await this.ds.query(`SELECT count(*)::int AS n FROM report_scratch WHERE run = $1`, [run]))[0].n;
  }

  async deleteScratch(run: string): Promise<void> {
    await this.ds.query(`DELETE FROM report_scratch WHERE run = $1`, [run]);
  }

  /** Scratch rows of runs that are not running any more (a crashed process or verify), older than a day. */
  async cleanupScratch(): Promise<void> {
    await this.ds.query(
      `DELETE FROM report_scratch s WHERE s.created_at < now() - interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = s.run AND r.status = 'running')`,
    );
  }

  private keyset(after: ScratchKey | null): unknown[] {
    return after ? [after.at, after.seq, after.ref] : ['-infinity', '-9223372036854775808', '-9223372036854775808'];
  }

  /**
   * The window's desired revisions of an environment (all objects, or only `ids`) in (time, seq, id) order
   * after a keyset position, with their commit: the Git section of a report (its objects are named from
   * the report's list of objects). A revision whose
   * commit is not reachable comes with reachable false (the page is cut before the joins, so its size says
   * whether more rows follow).
   */
  async gitRecords(o: { env: string; repoId: number; ids: number[] | null; from: Date; to: Date; bound: number; after: [string, number, number] | null; limit: number }): Promise<GitRecordRow[]> {
    const a = o.after ?? ['-infinity', 0, 0];
    return this.many(
      `SELECT x.id::int AS id, x.object_id::int AS object_id, x.committed_at::text AS at_key, floor(extract(epoch FROM x.committed_at) * 1000)::float8 AS ms,
              x.commit_seq::int AS seq, c.sha IS NOT NULL AS reachable,
              x.commit_sha, driftline_iso(x.committed_at) AS committed_at, x.document_hash, x.path, x.change, x.hash AS revision_hash,
              c.author_name, c.author_email, driftline_iso(c.authored_at) AS authored_at, c.committer_name, c.committer_email, c.subject, c.message, c.pr_number, c.pr_kind,
              c.hash AS commit_hash
         FROM (SELECT dr.id, dr.object_id, dr.committed_at, dr.commit_seq, dr.repository_id, dr.commit_sha, dr.document_hash, dr.path, dr.change, dr.hash
                 FROM desired_revisions dr
                WHERE dr.environment = $1 AND dr.repository_id = $2 AND ($3::bigint[] IS NULL OR dr.object_id = ANY($3::bigint[]))
                  AND dr.committed_at >= $4 AND dr.committed_at <= $5 AND dr.id <= $6
                  AND (dr.committed_at, dr.commit_seq, dr.id) > ($7::timestamptz, $8::bigint, $9::bigint)
                ORDER BY dr.committed_at, dr.commit_seq, dr.id LIMIT $10) x
         LEFT JOIN commits c ON c.repository_id = x.repository_id AND c.sha = x.commit_sha AND c.reachable
        ORDER BY x.committed_at, x.commit_seq, x.id`,
      [o.env, o.repoId, o.ids, o.from, o.to, o.bound, a[0], a[1], a[2], o.limit],
    );
  }

  async outOfBandPage(run: string, env: string, clusterId: number, after: ScratchKey | null, limit: number): Promise<OutOfBandPageRow[]> {
    return this.ds.query(
      `SELECT s.sort_at::text AS k_at, s.sort_seq::text AS k_seq, s.ref::text AS ref, s.t1 AS ended_at, s.prev_doc, s.reason, s.info AS manager_class,
              s.paths, s.summary, lr.observed_at, lr.document_hash, lr.manager, lr.operation, lr.change, lr.hash,
              o."group", o.kind, o.namespace, o.name
         FROM report_scratch s
         JOIN live_revisions lr ON lr.id = s.ref AND lr.cluster_id = $3
         JOIN objects o ON o.id = lr.object_id
        WHERE s.run = $1 AND s.kind = 'o' AND s.env = $2 AND (s.sort_at, s.sort_seq, s.ref) > ($4::timestamptz, $5::bigint, $6::bigint)
        ORDER BY s.sort_at, s.sort_seq, s.ref LIMIT $7`,
      [run, env, clusterId, ...this.keyset(after), limit],
    );
  }

  /** Objects by id (the report's sections name them from this, not a join per row). */
  async objectsByIds(ids: number[]): Promise<{ id: number; group: string; kind: string; namespace: string; name: string }[]> {
    if (!ids.length) return [];
    return this.ds.query(`SELECT id::int AS id, "group", kind, namespace, name FROM objects WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Drift intervals of a run in report order (k_seq, the scratch row's sort_seq, is the interval's object). */
  async driftPage(run: string, env: string, after: ScratchKey | null, limit: number): Promise<DriftPageRow[]> {
    return this.many(
      `SELECT s.sort_at::text AS k_at, s.sort_seq::text AS k_seq, s.ref::text AS ref, e.id::text AS event_id, e.hash AS event_hash,
              e.type, driftline_iso(e.opened_at) AS opened_at, driftline_iso(e.closed_at) AS closed_at, e.opened_by, e.closed_by, e.summary
         FROM report_scratch s
         JOIN drift_events e ON e.id = s.ref2
        WHERE s.run = $1 AND s.kind = 'i' AND s.env = $2 AND (s.sort_at, s.sort_seq, s.ref) > ($3::timestamptz, $4::bigint, $5::bigint)
        ORDER BY s.sort_at, s.sort_seq, s.ref LIMIT $6`,
      [run, env, ...this.keyset(after), limit],
    );
  }
}
