import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { csvRow, csvTrailer, CSV_HEADER } from './csv';
import { RecordDigest } from './report-builder';
import type { PreparedReport } from './report-builder';
import { REPORT_VERSION, SECTIONS, type ChainSegment, type ReportFormat, type ReportManifest, type ReportRecord, type ReportScope, type ReportSummary } from './report.types';

export interface ReportHeader {
  reportId: string;
  generator: string;
  generatedAt: string;
  scope: ReportScope;
  /** Null for a format that has none (see WITH_SUMMARY). */
  summary: ReportSummary | null;
  /** Counted while the records are written (a writer that prints them first waits for them). */
  chains: Promise<ChainSegment[]>;
}

/** Formats that print the summary: a CSV file has only the records and the trailer rows, so it is not computed for one. */
export const WITH_SUMMARY: Record<ReportFormat, boolean> = { csv: false, json: true, pdf: true };

export type Section = (typeof SECTIONS)[number];

const TEXT_BLOCK = 1 << 18;

/** A streaming report writer: records arrive one at a time, in section order, and are never held. */
export interface ReportWriter {
  /** Diffs are rendered into this format. */
  readonly diffs: boolean;
  begin(h: ReportHeader): Promise<void>;
  section(s: Section): Promise<void>;
  record(r: ReportRecord): Promise<void>;
  /** Writes the trailer and closes the file: sha256 and size of the whole file. */
  end(manifest: ReportManifest): Promise<{ sha256: string; size: number }>;
  /** Closes and removes a partial file after a failure. */
  abort(): Promise<void>;
}

/**
 * A file written through a stream with backpressure, hashed as it goes. It is
 * written as `<path>.partial` and renamed when complete, so a reader never sees
 * half a report.
 */
export class FileSink {
  private readonly out: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  size = 0;
  private readonly partial: string;

  constructor(readonly path: string) {
    this.partial = `${path}.partial`;
    this.out = createWriteStream(this.partial);
  }

  /** Text goes into this block, written as UTF-8 in place (joining strings and encoding the result cost ~10x more). */
  private block: Buffer = Buffer.allocUnsafeSlow(TEXT_BLOCK);
  private used = 0;

  /** Text is gathered into ~256 KiB writes; buffers go straight through. */
  async write(chunk: string | Buffer): Promise<void> {
    if (typeof chunk === 'string') {
      // At most 3 bytes of UTF-8 per UTF-16 code unit.
      if (chunk.length * 3 > TEXT_BLOCK - this.used) {
        await this.flushPending();
        if (chunk.length * 3 > TEXT_BLOCK) return this.put(Buffer.from(chunk, 'utf8'));
      }
      this.used += this.block.write(chunk, this.used, 'utf8');
      return;
    }
    await this.flushPending();
    await this.put(chunk);
  }

  private async flushPending(): Promise<void> {
    if (!this.used) return;
    // The stream keeps the block until it is written: the next text goes into a new one.
    const buf = this.block.subarray(0, this.used);
    this.block = Buffer.allocUnsafeSlow(TEXT_BLOCK);
    this.used = 0;
    await this.put(buf);
  }

  private async put(buf: Buffer): Promise<void> {
    this.hash.update(buf);
    this.size += buf.length;
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }

  /** sha256 of every byte written so far (the file's sha256 goes on). */
  async bodyDigest(): Promise<string> {
    await this.flushPending();
    return this.hash.copy().digest('hex');
  }

  get writableLength(): number {
    return this.out.writableLength;
  }

  async close(): Promise<{ sha256: string; size: number }> {
    await this.flushPending();
    this.out.end();
    await once(this.out, 'finish');
    renameSync(this.partial, this.path);
    return { sha256: this.hash.digest('hex'), size: this.size };
  }

  async abort(): Promise<void> {
    if (!this.out.closed) {
      this.out.destroy();
      await once(this.out, 'close').catch(() => undefined);
    }
    rmSync(this.partial, { force: true });
  }
}

/**
 * CSV: the header, one row per record, then two trailer rows padded to the
 * header's width: `#manifest` (the integrity manifest as JSON) and `#sha256`
 * (sha256 of every byte before that row: `head -n -1 report.csv | sha256sum`).
 */
export class CsvReportWriter implements ReportWriter {
  readonly diffs = false;
  constructor(private readonly sink: FileSink) {}

  async begin(): Promise<void> {
    await this.sink.write(CSV_HEADER);
  }

  async section(): Promise<void> {}

  async record(r: ReportRecord): Promise<void> {
    await this.sink.write(csvRow(r));
  }

  async end(manifest: ReportManifest): Promise<{ sha256: string; size: number }> {
    await this.sink.write(csvTrailer('#manifest', JSON.stringify(manifest)));
    await this.sink.write(csvTrailer('#sha256', await this.sink.bodyDigest()));
    return this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }
}

/**
 * The writing loop gives the event loop a turn after this much work. Pages read ahead and writes
 * below the stream's buffer resolve at once, so a server generating a year's PDF in its own thread
 * answered nothing else for up to 270-330 ms at a time. /healthz during a year's PDF, alternating:
 * p95 135 ms, p99 212-254 ms before; p95 37 ms, p99 65 ms with turns every 10 ms, at the same PDF time.
 */
const TURN_MS = 10;

const JSON_KEYS: Record<Section, string> = { git: 'changes', 'out-of-band': 'outOfBand', drift: 'drift', gap: 'gaps' };

/**
 * JSON, one record per line so it can be read as a stream: header members, the
 * four record arrays, the manifest, and last a line `"sha256":"…"}` holding the
 * sha256 of every byte before that line (`head -n -1 report.json | sha256sum`).
 */
export class JsonReportWriter implements ReportWriter {
  readonly diffs = true;
  private first = true;
  private open = false;
  constructor(private readonly sink: FileSink) {}

  async begin(h: ReportHeader): Promise<void> {
    const head = { kind: 'driftline-report', version: REPORT_VERSION, generator: h.generator, reportId: h.reportId, generatedAt: h.generatedAt };
    await this.sink.write(JSON.stringify(head).slice(0, -1) + ',\n');
    await this.sink.write(`"scope":${JSON.stringify(h.scope)},\n`);
    if (!h.summary) throw new Error('a JSON report is written with its summary');
    await this.sink.write(`"summary":${JSON.stringify(h.summary)},\n`);
  }

  async section(s: Section): Promise<void> {
    if (this.open) await this.sink.write('\n],\n');
    await this.sink.write(`${JSON.stringify(JSON_KEYS[s])}:[`);
    this.open = true;
    this.first = true;
  }

  async record(r: ReportRecord): Promise<void> {
    await this.sink.write((this.first ? '\n' : ',\n') + JSON.stringify(r));
    this.first = false;
  }

  async end(manifest: ReportManifest): Promise<{ sha256: string; size: number }> {
    if (this.open) await this.sink.write('\n],\n');
    await this.sink.write(`"manifest":${JSON.stringify(manifest)},\n`);
    await this.sink.write(`"sha256":"${await this.sink.bodyDigest()}"}\n`);
    return this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }
}

/**
 * Streams a prepared report through a writer: sections in order (each once,
 * empty ones too), the record digest computed on the way, the manifest last.
 */
export async function writeReport(
  prepared: PreparedReport,
  writer: ReportWriter,
  meta: { reportId: string; generator: string },
  onRecord?: (done: number, total: number) => void,
): Promise<{ sha256: string; size: number; manifest: ReportManifest }> {
  try {
    const chains = prepared.chains();
    await writer.begin({ reportId: meta.reportId, generator: meta.generator, generatedAt: prepared.generatedAt, scope: prepared.scope, summary: prepared.summary, chains });
    const digest = new RecordDigest();
    let next = 0;
    const advanceTo = async (s: Section | null) => {
      while (next < SECTIONS.length && SECTIONS[next] !== s) await writer.section(SECTIONS[next++]!);
      if (s !== null && SECTIONS[next] === s) await writer.section(SECTIONS[next++]!);
    };
    let current: Section | null = null;
    let turnAt = performance.now() + TURN_MS;
    for await (const r of prepared.records({ diffs: writer.diffs })) {
      if (r.type !== current) {
        await advanceTo(r.type);
        current = r.type;
      }
      digest.add(r);
      await writer.record(r);
      if (digest.count % 500 === 0) onRecord?.(digest.count, prepared.total);
      if ((digest.count & 15) === 0 && performance.now() > turnAt) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        turnAt = performance.now() + TURN_MS;
      }
    }
    await advanceTo(null);
    onRecord?.(digest.count, prepared.total);
    const manifest: ReportManifest = {
      kind: 'driftline-report',
      version: REPORT_VERSION,
      generator: meta.generator,
      reportId: meta.reportId,
      generatedAt: prepared.generatedAt,
      scope: prepared.scope,
      chains: await chains,
      records: { count: digest.count, sha256: digest.digest() },
    };
    const file = await writer.end(manifest);
    return { ...file, manifest };
  } catch (e) {
    await writer.abort().catch(() => undefined);
    throw e;
  }
}
