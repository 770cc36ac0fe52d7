/**
 * The data of an audit report (docs/report-schema.md is the user-facing
 * description). Pure types: every writer (CSV, JSON, PDF) and `report verify`
 * share them, so the three formats cannot disagree about what a record is.
 */

export const REPORT_VERSION = 1;

export type ReportFormat = 'csv' | 'json' | 'pdf';

/** What an environment's report depends on in configuration, frozen into the manifest so verify does not depend on today's config. */
export interface EnvironmentScope {
  name: string;
  repository: string;
  cluster: string | null;
  applier: string;
  humanManagers: string[];
  controllerManagers: string[];
  namespaces: string[];
  ignore: Record<string, string>[];
}

export interface ReportScope {
  environments: EnvironmentScope[];
  /** Inclusive window, ISO times. */
  from: string;
  to: string;
  /** Filters: object kinds (case-insensitive), namespace globs, commit authors (name or email, case-insensitive). Empty = all. */
  kinds: string[];
  namespaces: string[];
  authors: string[];
}

/** One hash chain segment a report covers: every record from `from.position` to the chain head at generation. */
export interface ChainSegment {
  stream: 'commits' | 'desired_revisions' | 'live_revisions' | 'drift_events';
  /** Repository name (commits), environment (desired_revisions, drift_events) or cluster name (live_revisions). */
  key: string;
  /** First position (commit seq or row id) of the segment and the hash before it. */
  from: { position: number; prevHash: string | null };
  /** The chain head when the report was generated: its position and hash (position 0 and null for an empty chain). */
  to: { position: number; hash: string | null };
  /** Records in the segment. */
  records: number;
}

/** Everything needed to re-derive a report from the database: scope, snapshot (chain heads) and generation time. */
export interface ReportSnapshot {
  generatedAt: string;
  chains: ChainSegment[];
}

export interface ReportManifest {
  kind: 'driftline-report';
  version: number;
  generator: string;
  reportId: string;
  generatedAt: string;
  scope: ReportScope;
  chains: ChainSegment[];
  /** sha256 over the canonical JSON of every record (diff texts excluded), one per line, in report order. */
  records: { count: number; sha256: string };
}

export interface ObjectRefOut {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface Person {
  name: string;
  email: string;
}

export interface GitChangeRecord {
  type: 'git';
  environment: string;
  commit: {
    sha: string;
    author: Person;
    committer: Person;
    authoredAt: string;
    committedAt: string;
    pr: { number: number; kind: string | null } | null;
    subject: string;
    message: string;
    hash: string;
  };
  object: ObjectRefOut;
  change: 'created' | 'configured' | 'deleted';
  path: string;
  document: { before: string | null; after: string | null };
  changedPaths: string[];
  reachedClusterAt: string | null;
  commitToLiveSeconds: number | null;
  liveRevision: number | null;
  notReachedReason: string | null;
  reachNote: string | null;
  revision: { id: number; hash: string };
  /** Unified YAML diff before → after (JSON and PDF only; derived from the document hashes, not part of the digest). */
  diff?: string;
}

export interface OutOfBandRecord {
  type: 'out-of-band';
  environment: string;
  cluster: string;
  object: ObjectRefOut;
  observedAt: string;
  change: 'created' | 'configured' | 'deleted';
  manager: string | null;
  operation: string | null;
  managerClass: string;
  reason: string;
  driftSummary: string;
  backInSyncAt: string | null;
  durationSeconds: number;
  ongoing: boolean;
  document: { before: string | null; after: string | null };
  changedPaths: string[];
  revision: { id: number; hash: string };
  diff?: string;
}

export interface DriftRecord {
  type: 'drift';
  environment: string;
  object: ObjectRefOut;
  driftType: string;
  openedAt: string;
  closedAt: string | null;
  durationSeconds: number;
  open: boolean;
  openedBy: unknown;
  closedBy: unknown;
  summary: string;
  interval: number;
  event: { id: number; hash: string };
}

export interface GapRecord {
  type: 'gap';
  environment: string;
  cluster: string;
  id: number;
  group: string;
  kind: string;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number;
  open: boolean;
  reason: string;
}

export type ReportRecord = GitChangeRecord | OutOfBandRecord | DriftRecord | GapRecord;

export interface ReportSummary {
  environments: string[];
  from: string;
  to: string;
  gitChanges: { total: number; byChange: Record<string, number>; byAuthor: { author: string; email: string; changes: number; commits: number }[]; commits: number };
  commitToLive: { reached: number; notReached: number; medianSeconds: number | null; p95Seconds: number | null; maxSeconds: number | null };
  outOfBand: { total: number; totalDurationSeconds: number; ongoing: number; byManager: { manager: string; changes: number }[] };
  drift: { total: number; opened: number; closed: number; openAtEnd: number; totalDurationSeconds: number; byType: Record<string, number> };
  gaps: { total: number; totalDurationSeconds: number; open: number };
}

/** Report sections in file order. */
export const SECTIONS = ['git', 'out-of-band', 'drift', 'gap'] as const;
