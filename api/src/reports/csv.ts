/**
 * CSV rows of a report (RFC 4180: CRLF line ends, fields with a comma, quote,
 * CR or LF quoted, quotes doubled), safe to open in a spreadsheet: a text cell
 * starting with = + - @ TAB or CR is prefixed with a single quote, so it is
 * never evaluated as a formula (OWASP "CSV injection").
 */
import type { ReportRecord } from './report.types';

/** Stable, documented columns (docs/report-schema.md). New columns are only ever appended. */
export const CSV_COLUMNS = [
  'record_type',
  'environment',
  'time',
  'object_group',
  'object_kind',
  'object_namespace',
  'object_name',
  'change',
  'commit_sha',
  'author_name',
  'author_email',
  'committer_name',
  'committer_email',
  'pr_number',
  'commit_subject',
  'commit_message',
  'path',
  'reached_cluster_at',
  'commit_to_live_seconds',
  'not_reached_reason',
  'reach_note',
  'manager',
  'operation',
  'manager_class',
  'out_of_band_reason',
  'summary',
  'end_time',
  'duration_seconds',
  'changed_paths',
  'document_before',
  'document_after',
  'record_id',
  'record_hash',
  'commit_hash',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];

const DANGEROUS_START = /^[=+\-@\t\r]/;

/** One cell: formula-neutralised, then quoted when RFC 4180 requires it. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : String(value);
  if (typeof value === 'string' && DANGEROUS_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export const CSV_HEADER = csvLine(CSV_COLUMNS);

/** A row padded to the header's width whose first cell is a marker (`#manifest`, `#sha256`). */
export function csvTrailer(marker: string, value: string): string {
  const cells: string[] = new Array(CSV_COLUMNS.length).fill('');
  cells[0] = marker;
  cells[1] = value;
  return csvLine(cells);
}

type Row = Partial<Record<CsvColumn, string | number | boolean | null>>;

function objectCells(o: { group: string; kind: string; namespace: string; name: string }): Row {
  return { object_group: o.group, object_kind: o.kind, object_namespace: o.namespace, object_name: o.name };
}

/** The CSV row of a record: every format renders the same records. */
export function csvRow(r: ReportRecord): string {
  let row: Row;
  switch (r.type) {
    case 'git':
      row = {
        record_type: 'git',
        environment: r.environment,
        time: r.commit.committedAt,
        ...objectCells(r.object),
        change: r.change,
        commit_sha: r.commit.sha,
        author_name: r.commit.author.name,
        author_email: r.commit.author.email,
        committer_name: r.commit.committer.name,
        committer_email: r.commit.committer.email,
        pr_number: r.commit.pr ? r.commit.pr.number : null,
        commit_subject: r.commit.subject,
        commit_message: r.commit.message,
        path: r.path,
        reached_cluster_at: r.reachedClusterAt,
        commit_to_live_seconds: r.commitToLiveSeconds,
        not_reached_reason: r.notReachedReason,
        reach_note: r.reachNote,
        changed_paths: r.changedPaths.join('; '),
        document_before: r.document.before,
        document_after: r.document.after,
        record_id: r.revision.id,
        record_hash: r.revision.hash,
        commit_hash: r.commit.hash,
      };
      break;
    case 'out-of-band':
      row = {
        record_type: 'out-of-band',
        environment: r.environment,
        time: r.observedAt,
        ...objectCells(r.object),
        change: r.change,
        manager: r.manager,
        operation: r.operation,
        manager_class: r.managerClass,
        out_of_band_reason: r.reason,
        summary: r.driftSummary,
        end_time: r.backInSyncAt,
        duration_seconds: r.durationSeconds,
        changed_paths: r.changedPaths.join('; '),
        document_before: r.document.before,
        document_after: r.document.after,
        record_id: r.revision.id,
        record_hash: r.revision.hash,
      };
      break;
    case 'drift':
      row = {
        record_type: 'drift',
        environment: r.environment,
        time: r.openedAt,
        ...objectCells(r.object),
        change: r.driftType,
        summary: r.summary,
        end_time: r.closedAt,
        duration_seconds: r.durationSeconds,
        manager: describeTrigger(r.openedBy),
        record_id: r.interval,
        record_hash: r.event.hash,
      };
      break;
    case 'gap':
      row = {
        record_type: 'gap',
        environment: r.environment,
        time: r.startedAt,
        object_group: r.group,
        object_kind: r.kind,
        summary: r.reason,
        end_time: r.endedAt,
        duration_seconds: r.durationSeconds,
        record_id: r.id,
      };
      break;
  }
  return csvLine(CSV_COLUMNS.map((c) => row[c] ?? null));
}

/** "kubectl-edit", "commit 1a2b3c4d5e6f by Ann", "evaluation": who opened a drift interval. */
export function describeTrigger(t: unknown): string {
  const o = (t ?? {}) as { source?: string; manager?: string | null; commit?: string; author?: string | null };
  if (o.source === 'live') return o.manager ?? 'live change';
  if (o.source === 'git') return `commit ${(o.commit ?? '').slice(0, 12)}${o.author ? ` by ${o.author}` : ''}`;
  return o.source ?? '';
}

/** Parses RFC 4180 text into rows of cells (for verify and tests). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += ch;
      i++;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
    i++;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
