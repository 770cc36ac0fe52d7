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

/** = + - @ TAB CR: a cell starting with one of these could be read as a formula. */
function dangerousStart(s: string): boolean {
  const c = s.charCodeAt(0);
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13;
}

/** One cell: formula-neutralised, then quoted when RFC 4180 requires it. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const s = dangerousStart(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One line; the cells are joined in one go (a line built with += is a rope that every later copy has to walk). */
export function csvLine(cells: readonly (string | number | boolean | null | undefined)[]): string {
  const out = new Array<string>(cells.length);
  for (let i = 0; i < cells.length; i++) out[i] = csvCell(cells[i]);
  return out.join(',') + '\r\n';
}

export const CSV_HEADER = csvLine(CSV_COLUMNS);

/** A row padded to the header's width whose first cell is a marker (`#manifest`, `#sha256`). */
export function csvTrailer(marker: string, value: string): string {
  const cells: string[] = new Array(CSV_COLUMNS.length).fill('');
  cells[0] = marker;
  cells[1] = value;
  return csvLine(cells);
}

const COL = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, i])) as Record<CsvColumn, number>;

type Cell = string | number | boolean | null;

/** The CSV row of a record: every format renders the same records. */
export function csvRow(r: ReportRecord): string {
  // Each cell is rendered as it is set (an empty cell is what csvCell gives null), then joined once.
  const c: string[] = new Array<string>(CSV_COLUMNS.length).fill('');
  const set = (k: CsvColumn, v: Cell) => {
    c[COL[k]] = csvCell(v);
  };
  set('record_type', r.type);
  set('environment', r.environment);
  if (r.type !== 'gap') {
    set('object_group', r.object.group);
    set('object_kind', r.object.kind);
    set('object_namespace', r.object.namespace);
    set('object_name', r.object.name);
  }
  switch (r.type) {
    case 'git':
      set('time', r.commit.committedAt);
      set('change', r.change);
      set('commit_sha', r.commit.sha);
      set('author_name', r.commit.author.name);
      set('author_email', r.commit.author.email);
      set('committer_name', r.commit.committer.name);
      set('committer_email', r.commit.committer.email);
      set('pr_number', r.commit.pr ? r.commit.pr.number : null);
      set('commit_subject', r.commit.subject);
      set('commit_message', r.commit.message);
      set('path', r.path);
      set('reached_cluster_at', r.reachedClusterAt);
      set('commit_to_live_seconds', r.commitToLiveSeconds);
      set('not_reached_reason', r.notReachedReason);
      set('reach_note', r.reachNote);
      set('changed_paths', r.changedPaths.join('; '));
      set('document_before', r.document.before);
      set('document_after', r.document.after);
      set('record_id', r.revision.id);
      set('record_hash', r.revision.hash);
      set('commit_hash', r.commit.hash);
      break;
    case 'out-of-band':
      set('time', r.observedAt);
      set('change', r.change);
      set('manager', r.manager);
      set('operation', r.operation);
      set('manager_class', r.managerClass);
      set('out_of_band_reason', r.reason);
      set('summary', r.driftSummary);
      set('end_time', r.backInSyncAt);
      set('duration_seconds', r.durationSeconds);
      set('changed_paths', r.changedPaths.join('; '));
      set('document_before', r.document.before);
      set('document_after', r.document.after);
      set('record_id', r.revision.id);
      set('record_hash', r.revision.hash);
      break;
    case 'drift':
      set('time', r.openedAt);
      set('change', r.driftType);
      set('summary', r.summary);
      set('end_time', r.closedAt);
      set('duration_seconds', r.durationSeconds);
      set('manager', describeTrigger(r.openedBy));
      set('record_id', r.interval);
      set('record_hash', r.event.hash);
      break;
    case 'gap':
      set('time', r.startedAt);
      set('object_group', r.group);
      set('object_kind', r.kind);
      set('summary', r.reason);
      set('end_time', r.endedAt);
      set('duration_seconds', r.durationSeconds);
      set('record_id', r.id);
      break;
  }
  return c.join(',') + '\r\n';
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
