/**
 * Reading a report file back for `report verify`: which format it is, its
 * manifest, whether its own sha256 still matches (CSV and JSON), and its
 * records by key. Files are read as a stream of lines, never whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { canonicalText } from './report-builder';
import { CSV_COLUMNS, parseCsv } from './csv';
import { PDF_MANIFEST_KEY } from './pdf-writer';
import type { ReportFormat, ReportManifest } from './report.types';

export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

export interface ParsedReportFile {
  format: ReportFormat;
  manifest: ReportManifest;
  /** sha256 of the whole file. */
  fileSha256: string;
  /** CSV/JSON: the embedded sha256 matches the bytes before it; PDF: null (it has none: see the reports table). */
  selfDigestOk: boolean | null;
  /** Records by key: sha256 of the canonical JSON line (JSON files) or of the CSV row (CSV files); null for PDF. */
  records: Map<string, string> | null;
  /** The full lines of the records asked for with `keep`. */
  lines: Map<string, string>;
}

export const lineHash = (line: string) => createHash('sha256').update(line).digest('hex');

/** Lines of a file with their terminators, as UTF-8 strings. */
async function* rawLines(path: string): AsyncGenerator<string> {
  let carry = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      yield buf.subarray(start, nl + 1).toString('utf8');
      start = nl + 1;
    }
    carry = Buffer.from(buf.subarray(start));
    buf = carry;
  }
  if (carry.length) yield carry.toString('utf8');
}

function detect(path: string): ReportFormat {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    const text = head.subarray(0, n).toString('latin1');
    if (text.startsWith('%PDF-')) return 'pdf';
    if (text.startsWith('{"kind":"driftline-report"')) return 'json';
    if (text.startsWith(`${CSV_COLUMNS[0]},${CSV_COLUMNS[1]},`)) return 'csv';
  } finally {
    closeSync(fd);
  }
  throw new ReportFileError(`${path} is not a Driftline report (expected a CSV, JSON or PDF report)`);
}

function keyOfRecord(r: { type?: string; environment?: string; revision?: { id?: number }; interval?: number; id?: number }): string {
  switch (r.type) {
    case 'git':
    case 'out-of-band':
      return `${r.type}/${r.environment}/${r.revision?.id}`;
    case 'drift':
      return `drift/${r.environment}/${r.interval}`;
    default:
      return `gap/${r.environment}/${r.id}`;
  }
}

/** Key of a CSV row (record_type, environment, record_id). */
export function csvRowKey(cells: string[]): string {
  const type = cells[0] ?? '';
  const env = cells[1] ?? '';
  const id = cells[CSV_COLUMNS.indexOf('record_id')] ?? '';
  return `${type}/${env}/${id}`;
}

function parseManifest(text: string, where: string): ReportManifest {
  let m: ReportManifest;
  try {
    m = JSON.parse(text) as ReportManifest;
  } catch {
    throw new ReportFileError(`${where}: the manifest is not valid JSON`);
  }
  if (m?.kind !== 'driftline-report' || typeof m.version !== 'number' || !m.scope || !Array.isArray(m.chains) || !m.records) {
    throw new ReportFileError(`${where}: the manifest is incomplete`);
  }
  if (m.version > 1) throw new ReportFileError(`${where}: report version ${m.version} is newer than this Driftline understands (1)`);
  return m;
}

async function readJson(path: string, keep: Set<string>): Promise<ParsedReportFile> {
  const whole = createHash('sha256');
  let body = createHash('sha256');
  const records = new Map<string, string>();
  const lines = new Map<string, string>();
  let manifest: ReportManifest | null = null;
  let embedded: string | null = null;
  let bodyDigest = '';
  let first = true;
  for await (const line of rawLines(path)) {
    whole.update(line);
    const t = line.replace(/\r?\n$/, '');
    const header = first;
    first = false;
    if (t.startsWith('"sha256":"')) {
      bodyDigest = body.digest('hex');
      body = createHash('sha256');
      embedded = /^"sha256":"([0-9a-f]{64})"\}$/.exec(t)?.[1] ?? '';
      continue;
    }
    body.update(line);
    if (!header && t.startsWith('{')) {
      const json = t.endsWith(',') ? t.slice(0, -1) : t;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(json) as Record<string, unknown>;
      } catch {
        throw new ReportFileError(`${path}: a record line is not valid JSON`);
      }
      delete r.diff;
      const key = keyOfRecord(r);
      const canonical = canonicalText(r) + '\n';
      records.set(key, lineHash(canonical));
      if (keep.has(key)) lines.set(key, canonical);
    } else if (t.startsWith('"manifest":')) {
      manifest = parseManifest(t.slice('"manifest":'.length).replace(/,$/, ''), path);
    }
  }
  if (!manifest) throw new ReportFileError(`${path}: no manifest found (truncated file?)`);
  return { format: 'json', manifest, fileSha256: whole.digest('hex'), selfDigestOk: embedded === null ? false : embedded === bodyDigest, records, lines };
}

async function readCsv(path: string, keep: Set<string>): Promise<ParsedReportFile> {
  const whole = createHash('sha256');
  let body = createHash('sha256');
  const records = new Map<string, string>();
  const lines = new Map<string, string>();
  let manifest: ReportManifest | null = null;
  let embedded: string | null = null;
  let bodyDigest = '';
  let pending = '';
  let quotes = 0;
  let first = true;
  for await (const line of rawLines(path)) {
    whole.update(line);
    pending += line;
    for (let i = 0; i < line.length; i++) if (line.charCodeAt(i) === 34) quotes++;
    if (quotes % 2 === 1) continue; // inside a quoted cell that spans lines
    const row = pending;
    pending = '';
    quotes = 0;
    if (row.startsWith('#sha256,')) {
      bodyDigest = body.digest('hex');
      body = createHash('sha256');
      embedded = parseCsv(row)[0]?.[1] ?? '';
      continue;
    }
    body.update(row);
    if (first) {
      first = false;
      continue;
    }
    const cells = parseCsv(row)[0] ?? [];
    if (cells[0] === '#manifest') manifest = parseManifest(cells[1] ?? '', path);
    else if (cells.length) {
      const key = csvRowKey(cells);
      records.set(key, lineHash(row));
      if (keep.has(key)) lines.set(key, row);
    }
  }
  if (!manifest) throw new ReportFileError(`${path}: no #manifest row found (truncated file?)`);
  return { format: 'csv', manifest, fileSha256: whole.digest('hex'), selfDigestOk: embedded === null ? false : embedded === bodyDigest, records, lines };
}

async function readPdf(path: string): Promise<ParsedReportFile> {
  const whole = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) whole.update(chunk);
  // The Info dictionary and its string objects sit in the last part of the file (pdfkit writes them at the end).
  const size = statSync(path).size;
  const tail = Math.min(size, 4 << 20);
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(tail);
  try {
    readSync(fd, buf, 0, tail, size - tail);
  } finally {
    closeSync(fd);
  }
  const text = buf.toString('latin1');
  const ref = new RegExp(`/${PDF_MANIFEST_KEY} (\\d+) 0 R`).exec(text);
  if (!ref) throw new ReportFileError(`${path}: this PDF carries no Driftline manifest`);
  const obj = new RegExp(`(?:^|\\n)${ref[1]} 0 obj\\s*\\(([A-Za-z0-9+/=]*)\\)\\s*endobj`).exec(text);
  if (!obj) throw new ReportFileError(`${path}: the Driftline manifest of this PDF cannot be read`);
  const manifest = parseManifest(Buffer.from(obj[1]!, 'base64').toString('utf8'), path);
  return { format: 'pdf', manifest, fileSha256: whole.digest('hex'), selfDigestOk: null, records: null, lines: new Map() };
}

/** Reads a report file; `keep` names records whose full line to return as well (to describe differences). */
export async function readReportFile(path: string, keep: Set<string> = new Set()): Promise<ParsedReportFile> {
  let format: ReportFormat;
  try {
    format = detect(path);
  } catch (e) {
    if (e instanceof ReportFileError) throw e;
    throw new ReportFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (format === 'json') return readJson(path, keep);
  if (format === 'csv') return readCsv(path, keep);
  return readPdf(path);
}
