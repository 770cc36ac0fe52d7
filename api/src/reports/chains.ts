/**
 * The records of Driftline's four hash chains, rebuilt from database rows
 * exactly as their writers built them, so a chain can be re-verified:
 *
 * - commits (per repository, by seq): api/src/git/indexer.ts
 *   { sha, parents, author: {name,email,time,tz}, committer: {…}, message }
 * - desired_revisions (per environment, by id): api/src/git/indexer.ts
 *   { environment, object: identityKey, commit, document, path, change }
 * - live_revisions (per cluster, by id): liveRevisionRecord in api/src/cluster/live-writer.ts
 * - drift_events (per environment, by id): migrations/1764202200000-Reports.ts
 *   { closedAt, closedBy, environment, interval, object, op, openedAt, openedBy, summary, type }
 *   (openedBy/closedBy are the jsonb texts Postgres prints).
 */
import { chainHash } from '../core/chain';
import { identityKey } from '../core/identity';
import { liveRevisionRecord } from '../cluster/live-writer';
import type { LiveChange, LiveSource } from '../cluster/live-object';
import type { ChainSegment } from './report.types';
import type { ChainRow } from './reports.repository';

/** A git time as `%aI` printed it: local time in the commit's own offset, "2024-03-01T10:00:00+02:00". */
export function gitTime(at: Date, tz: string): string {
  const m = /^([+-])(\d\d)(\d\d)$/.exec(tz);
  const offset = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const local = new Date(at.getTime() + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function parents(v: unknown): string[] {
  if (Array.isArray(v)) return v as string[];
  if (typeof v === 'string') return v === '{}' ? [] : v.replace(/^\{|\}$/g, '').split(',');
  return [];
}

/** The record a row's hash was computed over. */
export function chainRecord(stream: ChainSegment['stream'], row: ChainRow): unknown {
  const r = row as Record<string, any>;
  switch (stream) {
    case 'commits':
      return {
        sha: r.sha,
        parents: parents(r.parents),
        author: { name: r.author_name, email: r.author_email, time: gitTime(r.authored_at, r.author_tz), tz: r.author_tz },
        committer: { name: r.committer_name, email: r.committer_email, time: gitTime(r.committed_at, r.committer_tz), tz: r.committer_tz },
        message: r.message,
      };
    case 'desired_revisions':
      return {
        environment: r.environment,
        object: identityKey({ group: r.group ?? '', kind: r.kind ?? '', namespace: r.namespace ?? '', name: r.name ?? '' }),
        commit: r.commit_sha,
        document: r.document_hash,
        path: r.path,
        change: r.change,
      };
    case 'live_revisions':
      return liveRevisionRecord(r.cluster ?? '', {
        key: identityKey({ group: r.group ?? '', kind: r.kind ?? '', namespace: r.namespace ?? '', name: r.name ?? '' }),
        observedAt: r.observed_at as Date,
        changedAt: r.changed_at as Date,
        resourceVersion: r.resource_version,
        uid: r.uid,
        documentHash: r.document_hash,
        metaHash: r.meta_hash,
        manager: r.manager,
        operation: r.operation,
        change: r.change as LiveChange,
        source: r.source as LiveSource,
      });
    case 'drift_events':
      return {
        closedAt: r.closed_at,
        closedBy: r.closed_by,
        environment: r.environment,
        interval: Number(r.interval_id),
        object: Number(r.object_id),
        op: r.op,
        openedAt: r.opened_at,
        openedBy: r.opened_by,
        summary: r.summary,
        type: r.type,
      };
  }
}

export interface ChainIssue {
  kind: 'changed' | 'removed' | 'head-moved' | 'count';
  position: number | null;
  message: string;
}

const NAMES: Record<ChainSegment['stream'], string> = {
  commits: 'commit',
  desired_revisions: 'desired revision',
  live_revisions: 'live revision',
  drift_events: 'drift event',
};

function label(stream: ChainSegment['stream'], row: ChainRow): string {
  const r = row as Record<string, any>;
  const pos = stream === 'commits' ? `seq ${row.position}` : `id ${row.position}`;
  if (stream === 'commits') return `${NAMES[stream]} ${pos} (${String(r.sha).slice(0, 12)})`;
  if (stream === 'drift_events') return `${NAMES[stream]} ${pos} (interval ${r.interval_id}, ${r.op})`;
  const obj = r.kind ? ` (${r.kind} ${r.namespace ? r.namespace + '/' : ''}${r.name})` : '';
  return `${NAMES[stream]} ${pos}${obj}`;
}

/**
 * Checks one segment as the rows come (in position order): each row's hash
 * matches its content and its prev_hash is the previous row's hash; the first
 * row links to the segment's recorded prevHash; the last hash is the head the
 * report recorded; and the count is unchanged.
 */
export class SegmentChecker {
  private prev: { hash: string | null; position: number | null };
  private count = 0;
  private last: ChainRow | null = null;
  readonly issues: ChainIssue[] = [];

  constructor(private readonly seg: ChainSegment) {
    this.prev = { hash: seg.from.prevHash, position: null };
  }

  push(row: ChainRow): void {
    const stream = this.seg.stream;
    const position = Number(row.position);
    this.count++;
    const expected = chainHash(row.prev_hash ?? null, chainRecord(stream, row));
    if (expected !== row.hash) {
      this.issues.push({ kind: 'changed', position, message: `${label(stream, row)} was changed after it was recorded: its content no longer matches its hash` });
    }
    if ((row.prev_hash ?? null) !== this.prev.hash) {
      const before = this.prev.position === null ? 'the start of the window' : `${this.seg.stream === 'commits' ? 'seq' : 'id'} ${this.prev.position}`;
      this.issues.push({
        kind: 'removed',
        position,
        message: `the chain is broken before ${label(stream, row)}: its prev_hash does not match the record before it (${before}); a record was removed, inserted or rewritten there`,
      });
    }
    this.prev = { hash: row.hash, position };
    this.last = row;
  }

  finish(): ChainIssue[] {
    const seg = this.seg;
    if (this.count !== seg.records) {
      const diff = seg.records - this.count;
      this.issues.push({
        kind: 'count',
        position: null,
        message: diff > 0 ? `${diff} record(s) of the report's window are missing (${seg.records} when generated, ${this.count} now)` : `${-diff} record(s) appeared inside the report's window (${seg.records} when generated, ${this.count} now)`,
      });
    }
    if (seg.to.position > 0) {
      if (!this.last || Number(this.last.position) !== seg.to.position) {
        this.issues.push({ kind: 'removed', position: seg.to.position, message: `the chain head the report recorded (position ${seg.to.position}) is gone` });
      } else if (this.last.hash !== seg.to.hash) {
        this.issues.push({ kind: 'head-moved', position: seg.to.position, message: `the chain head the report recorded (position ${seg.to.position}) now has another hash (${seg.to.hash?.slice(0, 16)}… then, ${this.last.hash.slice(0, 16)}… now)` });
      }
    }
    return this.issues;
  }
}
