import { once } from 'node:events';
import { describeTrigger } from './csv';
import type { FileSink, ReportHeader, ReportWriter, Section } from './writers';
import type { ChainSegment, DriftRecord, GapRecord, GitChangeRecord, OutOfBandRecord, ReportManifest, ReportRecord } from './report.types';

/** The Info dictionary key holding the manifest (base64 of its JSON), for `report verify`. */
export const PDF_MANIFEST_KEY = 'DriftlineManifest';

const A4 = { width: 595.28, height: 841.89 };
const M = { top: 56, bottom: 56, left: 50, right: 50 };
const WIDTH = A4.width - M.left - M.right;
const BOTTOM = A4.height - M.bottom;
const MAX_DIFF_LINES = 40;
/** pdfkit's output goes to the file in blocks of this size. */
const OUT_CHUNK = 256 * 1024;

const C = {
  ink: '#1f2328',
  muted: '#59636e',
  heading: '#0b3d6b',
  added: '#1a7f37',
  removed: '#cf222e',
  hunk: '#8250df',
  warn: '#9a6700',
  rule: '#d0d7de',
};

/** The standard PDF fonts speak WinAnsi: keep Latin-1 and common punctuation, replace the rest. */
function pdfText(s: string): string {
  return s.replace(/[^\x20-\x7e\xa0-\xff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]/g, (ch) => (ch === '\t' ? '  ' : ch === '\u2192' ? '->' : '?'));
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds === 0) return '0s';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (sec || !parts.length) parts.push(`${sec}s`);
  return parts.slice(0, 3).join(' ');
}

/** WinAnsi codes of the few characters beyond Latin-1 that pdfText keeps. */
const WIN_ANSI: Record<number, number> = { 0x2013: 0x96, 0x2014: 0x97, 0x2018: 0x91, 0x2019: 0x92, 0x201c: 0x93, 0x201d: 0x94, 0x2022: 0x95, 0x2026: 0x85, 0x20ac: 0x80 };

/** A PDF literal string in WinAnsi: ( ) \ escaped, bytes above 0x7e as octal escapes (the content stays ASCII). */
function pdfLiteral(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x29 || c === 0x5c) out += '\\' + text[i];
    else if (c >= 0x20 && c < 0x7f) out += text[i];
    else {
      const b = c <= 0xff ? c : (WIN_ANSI[c] ?? 0x3f);
      out += '\\' + b.toString(8).padStart(3, '0');
    }
  }
  return out;
}

const num = (n: number) => (Math.round(n * 100) / 100).toString();

const rgbCache = new Map<string, string>();
function rgb(hex: string): string {
  let out = rgbCache.get(hex);
  if (out === undefined) {
    const v = parseInt(hex.slice(1), 16);
    out = `${num(((v >> 16) & 255) / 255)} ${num(((v >> 8) & 255) / 255)} ${num((v & 255) / 255)}`;
    rgbCache.set(hex, out);
  }
  return out;
}

/** The parts of pdfkit 0.20's document this writer reaches into (pinned in package.json). */
interface PdfkitInternals {
  _write(data: string | Uint8Array): void;
  _offset: number;
  read(): unknown;
}

type FontName = 'Helvetica' | 'Helvetica-Bold' | 'Helvetica-Oblique' | 'Courier';

/** What the fast text path needs of a standard font: its resource id, ascender and glyph widths. */
interface RawFont {
  id: string;
  ascender: number;
  ref: () => unknown;
  width: (code: number) => number;
}

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.000Z$/, 'Z').replace(/Z$/, ' UTC') : '-');
const objectName = (o: { kind: string; namespace: string; name: string }) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

const SECTION_TITLES: Record<Section, string> = {
  git: 'Git changes',
  'out-of-band': 'Out-of-band changes',
  drift: 'Drift intervals',
  gap: 'Gaps in live recording',
};

/**
 * PDF through pdfkit, streamed page by page (no page buffering, so any size
 * fits in memory): a cover with scope and generation time, summary tables, one
 * section per record with its diff, an integrity page, and a page number on
 * every page. The manifest also goes into the document Info dictionary.
 */
export class PdfReportWriter implements ReportWriter {
  readonly diffs = true;
  private readonly doc: PDFKit.PDFDocument;
  private page = 0;
  private n = 0;
  private footer = '';
  private multiEnv = false;
  private inSection = false;
  private readonly fonts = new Map<FontName, RawFont>();
  private readonly usedFonts = new Set<RawFont>();
  private ops: string[] = [];
  /** pdfkit's output, copied into OUT_CHUNK blocks as it comes (see constructor). */
  private out: Buffer = Buffer.allocUnsafeSlow(OUT_CHUNK);
  private outUsed = 0;
  private readonly spare: Buffer[] = [];
  /** Blocks handed to the file and not written yet (bytes), and the last write. */
  private queued = 0;
  private writing: Promise<void> = Promise.resolve();
  private failed: Error | null = null;
  /** Page dictionaries before this index in the page tree are written and emptied. */
  private released = 0;

  constructor(private readonly sink: FileSink) {
    // Loaded on first use: pdfkit and its fonts cost ~30 MB that a CSV or JSON report does not need.
    const PDFDocument = require('pdfkit') as typeof import('pdfkit');
    this.doc = new PDFDocument({ size: 'A4', margins: M, autoFirstPage: false, bufferPages: false, compress: true, info: { Title: 'Driftline audit report', Creator: 'Driftline', Producer: 'Driftline (pdfkit)' } });
    // pdfkit turns every token of every object into its own small Uint8Array (a malloc'ed ArrayBuffer
    // each) and pushes it into its Readable. Queued there and in a Writable, they outlived scavenges and
    // waited for full GCs: ~100 MB of ArrayBuffers and a fragmented malloc heap in a 26,000-page report.
    // Instead, its output (pdfkit 0.20's `_write`: text as latin1 plus a newline, or bytes) is copied
    // straight into reused 256 KiB blocks that go to the file in order.
    const d = this.doc as unknown as PdfkitInternals;
    for (let c = d.read() as Buffer | null; c !== null; c = d.read() as Buffer | null) this.take(c);
    d._write = (data) => {
      d._offset += typeof data === 'string' ? this.takeText(data) : this.take(data);
    };
    this.doc.on('pageAdded', () => this.onPage());
    for (const name of ['Helvetica', 'Helvetica-Bold', 'Helvetica-Oblique', 'Courier'] as FontName[]) this.fonts.set(name, this.rawFont(name));
    this.doc.font('Helvetica');
  }

  /**
   * Text drawn line by line through pdfkit measures every glyph with kerning (most of the time of a
   * large report). Single lines in the standard fonts need none of that: they are written as content
   * stream operators directly (pdfkit's own text operators, without the measuring), after a cut to
   * the width from the font's glyph widths. pdfkit still embeds the fonts and lays out wrapped text.
   */
  private rawFont(name: FontName): RawFont {
    const d = this.doc as unknown as { font(n: string): unknown; _font: { id: string; ascender: number; ref(): unknown; widthOfString(s: string, size: number): number } };
    d.font(name);
    const f = d._font;
    const latin = new Float64Array(256);
    for (let c = 32; c < 256; c++) latin[c] = f.widthOfString(String.fromCharCode(c), 1000);
    const other = new Map<number, number>();
    return {
      id: f.id,
      ascender: f.ascender,
      ref: () => f.ref(),
      width: (code) => {
        if (code < 256) return latin[code]!;
        let w = other.get(code);
        if (w === undefined) other.set(code, (w = f.widthOfString(String.fromCharCode(code), 1000)));
        return w;
      },
    };
  }

  /** Queues one line of text at (x, top of line y) in page coordinates, cut with an ellipsis to maxWidth. */
  private rawLine(text: string, x: number, y: number, font: FontName, size: number, color: string, maxWidth: number): void {
    const f = this.fonts.get(font)!;
    this.usedFonts.add(f);
    let t = pdfText(text);
    const limit = (maxWidth * 1000) / size;
    let w = 0;
    for (let i = 0; i < t.length; i++) {
      w += f.width(t.charCodeAt(i));
      if (w > limit) {
        const ell = f.width(0x2026);
        let j = i;
        while (j > 0 && w + ell > limit) w -= f.width(t.charCodeAt(--j));
        t = t.slice(0, j) + '\u2026';
        break;
      }
    }
    const baseline = A4.height - y - (f.ascender / 1000) * size;
    this.ops.push(`BT ${rgb(color)} rg /${f.id} ${num(size)} Tf 1 0 0 1 ${num(x)} ${num(baseline)} Tm (${pdfLiteral(t)}) Tj ET`);
  }

  /** Writes the queued lines into the current page's content (before a page ends). */
  private flushRaw(): void {
    if (!this.ops.length) return;
    const d = this.doc as unknown as { page: { fonts: Record<string, unknown> }; addContent(b: Uint8Array): unknown };
    for (const f of this.usedFonts) if (d.page.fonts[f.id] == null) d.page.fonts[f.id] = f.ref();
    this.usedFonts.clear();
    // pdfkit's pages are flipped to top-left coordinates; the operators use the PDF's own.
    d.addContent(Buffer.from(`q 1 0 0 -1 0 ${num(A4.height)} cm\n${this.ops.join('\n')}\nQ\n`, 'latin1'));
    this.ops = [];
  }

  private onPage(): void {
    this.releasePages();
    this.page++;
    const d = this.doc;
    this.rawLine(this.footer, M.left, A4.height - 36, 'Helvetica', 7, C.muted, WIDTH - 70);
    const label = `Page ${this.page}`;
    const f = this.fonts.get('Helvetica')!;
    let w = 0;
    for (let i = 0; i < label.length; i++) w += f.width(label.charCodeAt(i));
    this.rawLine(label, M.left + WIDTH - (w * 7) / 1000, A4.height - 36, 'Helvetica', 7, C.muted, 70);
    d.x = M.left;
    d.y = M.top;
  }

  /** Copies bytes into the current block; returns how many. */
  private take(chunk: Uint8Array): number {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, OUT_CHUNK - this.outUsed);
      this.out.set(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n), this.outUsed);
      this.outUsed += n;
      at += n;
      if (this.outUsed === OUT_CHUNK) this.ship();
    }
    return chunk.length;
  }

  /** A line of PDF syntax (pdfkit's "binary" strings: one byte per char) and its newline; returns the bytes written. */
  private takeText(text: string): number {
    if (text.length + 1 > OUT_CHUNK - this.outUsed) return this.take(Buffer.from(text + '\n', 'latin1'));
    this.outUsed += this.out.write(text, this.outUsed, 'latin1');
    this.out[this.outUsed++] = 0x0a;
    if (this.outUsed === OUT_CHUNK) this.ship();
    return text.length + 1;
  }

  /** Hands the filled part of the current block to the file (in order, one write at a time); full blocks are reused. */
  private ship(): void {
    if (!this.outUsed) return;
    const full = this.outUsed === OUT_CHUNK;
    const block = full ? this.out : this.out.subarray(0, this.outUsed);
    this.out = this.spare.pop() ?? Buffer.allocUnsafeSlow(OUT_CHUNK);
    this.outUsed = 0;
    this.queued += block.length;
    this.writing = this.writing.then(async () => {
      if (this.failed) return;
      try {
        // FileSink.write resolves once a block this size is in the file (it waits for 'drain'), and its hash is updated.
        await this.sink.write(block);
        if (full && this.spare.length < 4) this.spare.push(block);
      } catch (e) {
        this.failed = e as Error;
      }
      this.queued -= block.length;
    });
  }

  /** Let the file catch up when pdfkit got ahead of it (pdfkit itself never waits). */
  private async drain(): Promise<void> {
    // Output pdfkit buffered before this thread last yielded reaches take() on the next tick.
    if (this.doc.readableLength > 1 << 20) await new Promise((r) => setImmediate(r));
    if (this.queued > 4 << 20 || this.sink.writableLength > 4 << 20) await this.writing;
    if (this.failed) throw this.failed;
  }

  /**
   * pdfkit keeps every page's dictionary in the page tree until the end, and through it the page's
   * resources and content objects: ~1.5 KB a page, 40 MB for 26,000 pages. Once a page is written only
   * its object number is needed (the tree prints `n 0 R`), so the rest is let go.
   */
  private releasePages(): void {
    const kids = (this.doc as unknown as { _root: { data: { Pages: { data: { Kids: { offset?: number; data: unknown }[] } } } } })._root.data.Pages.data.Kids;
    while (this.released < kids.length - 1) {
      const ref = kids[this.released]!;
      if (ref.offset === undefined) break;
      ref.data = {};
      this.released++;
    }
  }

  private need(height: number): void {
    if (this.doc.y + height > BOTTOM) {
      this.flushRaw();
      this.doc.addPage();
    }
  }

  private line(text: string, o: { font?: FontName; size?: number; color?: string; indent?: number; gap?: number } = {}): void {
    const size = o.size ?? 8;
    const d = this.doc;
    this.need(size + 3);
    const indent = o.indent ?? 0;
    this.rawLine(text, M.left + indent, d.y, o.font ?? 'Helvetica', size, o.color ?? C.ink, WIDTH - indent);
    d.x = M.left;
    d.y += size + 3 + (o.gap ?? 0);
  }

  /** Wrapped text of at most `maxLines` lines (an ellipsis ends what does not fit). */
  private para(text: string, o: { font?: FontName; size?: number; color?: string; indent?: number; maxLines?: number; gap?: number } = {}): void {
    const size = o.size ?? 8;
    const maxLines = o.maxLines ?? 3;
    const d = this.doc;
    const lh = size * 1.16 + 1;
    this.need(lh * maxLines + 2);
    const x = M.left + (o.indent ?? 0);
    d.font(o.font ?? 'Helvetica').fontSize(size).fillColor(o.color ?? C.ink);
    d.text(pdfText(text), x, d.y, { width: WIDTH - (o.indent ?? 0), height: lh * maxLines, ellipsis: true, lineGap: 1 });
    d.x = M.left;
    d.y += 2 + (o.gap ?? 0);
  }

  private heading(text: string, size = 14): void {
    this.need(size + 30);
    this.doc.y += 4;
    this.line(text, { font: 'Helvetica-Bold', size, color: C.heading, gap: 4 });
  }

  private rule(): void {
    const d = this.doc;
    this.need(6);
    d.moveTo(M.left, d.y + 2).lineTo(M.left + WIDTH, d.y + 2).lineWidth(0.5).strokeColor(C.rule).stroke();
    d.y += 6;
  }

  private table(rows: [string, string][], keyWidth = 150): void {
    for (const [k, v] of rows) {
      const d = this.doc;
      this.need(12);
      const y = d.y;
      this.rawLine(k, M.left, y, 'Helvetica-Bold', 8.5, C.muted, keyWidth - 6);
      this.rawLine(v, M.left + keyWidth, y, 'Helvetica', 8.5, C.ink, WIDTH - keyWidth);
      d.x = M.left;
      d.y = y + 12;
    }
  }

  private grid(header: string[], rows: string[][], widths: number[]): void {
    const d = this.doc;
    const draw = (cells: string[], bold: boolean) => {
      this.need(11);
      const y = d.y;
      let x = M.left;
      cells.forEach((c, i) => {
        this.rawLine(c, x, y, bold ? 'Helvetica-Bold' : 'Helvetica', 8, bold ? C.muted : C.ink, widths[i]! - 6);
        x += widths[i]!;
      });
      d.x = M.left;
      d.y = y + 11;
    };
    draw(header, true);
    for (const r of rows) draw(r, false);
    d.y += 4;
  }

  private diff(text: string | undefined): void {
    if (!text) return;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    // Skip the ---/+++ file header: the block heading names both sides.
    const body = lines.filter((l) => !l.startsWith('--- ') && !l.startsWith('+++ '));
    const shown = body.slice(0, MAX_DIFF_LINES);
    const d = this.doc;
    for (const l of shown) {
      this.need(8);
      const color = l.startsWith('+') ? C.added : l.startsWith('-') ? C.removed : l.startsWith('@@') ? C.hunk : C.muted;
      this.rawLine(l, M.left + 8, d.y, 'Courier', 6.5, color, WIDTH - 8);
      d.y += 7.6;
    }
    d.x = M.left;
    if (body.length > shown.length) this.line(`… ${body.length - shown.length} more diff lines (the JSON report has the full diff)`, { size: 6.5, color: C.muted, indent: 8 });
  }

  async begin(h: ReportHeader): Promise<void> {
    const s = h.scope;
    const envNames = s.environments.map((e) => e.name).join(', ');
    this.multiEnv = s.environments.length > 1;
    this.footer = `Driftline audit report · ${envNames} · ${when(s.from)} – ${when(s.to)} · ${h.reportId}`;
    this.doc.info.Subject = `Changes to ${envNames} from ${s.from} to ${s.to}`;
    this.doc.addPage();
    const d = this.doc;
    d.y = M.top + 40;
    this.line('Driftline audit report', { font: 'Helvetica-Bold', size: 24, color: C.heading, gap: 6 });
    this.line(`Every change to ${envNames}, in Git and in the cluster`, { size: 12, color: C.muted, gap: 18 });
    this.table([
      ['Environments', envNames],
      ['Window (inclusive)', `${when(s.from)}  to  ${when(s.to)}`],
      ['Object kinds', s.kinds.length ? s.kinds.join(', ') : 'all'],
      ['Namespaces', s.namespaces.length ? s.namespaces.join(', ') : 'all in scope'],
      ['Commit authors', s.authors.length ? s.authors.join(', ') : 'all'],
      ['Generated at', when(h.generatedAt)],
      ['Generated by', h.generator],
      ['Report id', h.reportId],
    ]);
    d.y += 10;
    this.heading('Environments', 12);
    this.grid(
      ['Environment', 'Repository', 'Cluster', 'GitOps applier', 'Namespaces'],
      s.environments.map((e) => [e.name, e.repository, e.cluster ?? '(none)', e.applier, e.namespaces.join(', ')]),
      [90, 95, 95, 110, 105],
    );
    this.heading('Records covered (hash chains)', 12);
    this.grid(
      ['Chain', 'Of', 'Positions', 'Records', 'Head hash'],
      (await h.chains).map((c) => [c.stream, c.key, c.records ? `${c.from.position} – ${c.to.position}` : '-', String(c.records), c.to.hash ? c.to.hash.slice(0, 24) + '…' : '-']),
      [95, 80, 90, 50, 180],
    );
    d.y += 6;
    this.line('Check this report against the database at any time with:  driftline report verify <this file>', { size: 8, color: C.muted });
    this.line('It re-derives every record and walks the hash chains: an edited or deleted record is reported.', { size: 8, color: C.muted });

    const sum = h.summary;
    if (!sum) throw new Error('a PDF report is written with its summary');
    this.flushRaw();
    d.addPage();
    this.heading('Summary', 16);
    this.heading('Git changes', 11);
    this.table([
      ['Object changes', `${sum.gitChanges.total} in ${sum.gitChanges.commits} commit(s)`],
      ['Created / configured / deleted', `${sum.gitChanges.byChange.created ?? 0} / ${sum.gitChanges.byChange.configured ?? 0} / ${sum.gitChanges.byChange.deleted ?? 0}`],
      ['Reached the cluster', `${sum.commitToLive.reached} (not reached: ${sum.commitToLive.notReached})`],
      ['Commit to live: median', formatDuration(sum.commitToLive.medianSeconds)],
      ['Commit to live: 95th percentile', formatDuration(sum.commitToLive.p95Seconds)],
      ['Commit to live: slowest', formatDuration(sum.commitToLive.maxSeconds)],
    ]);
    this.heading('Out-of-band changes', 11);
    this.table([
      ['Changes made outside Git', String(sum.outOfBand.total)],
      ['Total time out of sync', formatDuration(sum.outOfBand.totalDurationSeconds)],
      ['Still differing at generation', String(sum.outOfBand.ongoing)],
    ]);
    if (sum.outOfBand.byManager.length) this.grid(['Field manager', 'Changes'], sum.outOfBand.byManager.slice(0, 15).map((m) => [m.manager, String(m.changes)]), [250, 80]);
    this.heading('Drift intervals', 11);
    this.table([
      ['Intervals in the window', `${sum.drift.total} (opened ${sum.drift.opened}, closed ${sum.drift.closed}, open at the end ${sum.drift.openAtEnd})`],
      ['By type', Object.entries(sum.drift.byType).map(([k, v]) => `${k} ${v}`).join(', ') || '-'],
      ['Total drift time', formatDuration(sum.drift.totalDurationSeconds)],
    ]);
    this.heading('Gaps in live recording', 11);
    this.table([
      ['Gaps', `${sum.gaps.total} (${sum.gaps.open} still open)`],
      ['Time not observed', formatDuration(sum.gaps.totalDurationSeconds)],
    ]);
    if (sum.gaps.total) this.line('Changes in the cluster during a gap could not be observed; see the last section.', { size: 8, color: C.warn });
    this.heading('Changes by author', 11);
    const authors = sum.gitChanges.byAuthor;
    this.grid(['Author', 'Email', 'Commits', 'Object changes'], authors.slice(0, 30).map((a) => [a.author, a.email, String(a.commits), String(a.changes)]), [150, 200, 60, 80]);
    if (authors.length > 30) this.line(`… and ${authors.length - 30} more authors`, { size: 8, color: C.muted });
  }

  private closeSection(): void {
    if (this.inSection && this.n === 0) this.line('None in this window.', { size: 9, color: C.muted });
  }

  async section(s: Section): Promise<void> {
    this.closeSection();
    this.inSection = true;
    this.n = 0;
    this.flushRaw();
    this.doc.addPage();
    this.heading(SECTION_TITLES[s], 16);
    if (s === 'git') this.para('Each object a commit changed, when that change reached the cluster (the first live state at or after the commit that matches it), and the diff of the manifest.', { size: 7.5, color: C.muted, gap: 4 });
    if (s === 'out-of-band') this.para('Live changes no Git change explains: made with a person\'s tool, or leaving the object differing from Git. Diff: live before -> live after.', { size: 7.5, color: C.muted, gap: 4 });
    this.rule();
    await this.drain();
  }

  async record(r: ReportRecord): Promise<void> {
    this.n++;
    switch (r.type) {
      case 'git':
        this.git(r);
        break;
      case 'out-of-band':
        this.outOfBand(r);
        break;
      case 'drift':
        this.drift(r);
        break;
      case 'gap':
        this.gap(r);
        break;
    }
    if (this.n % 50 === 0) {
      this.flushRaw();
      await this.drain();
    }
  }

  private env(r: { environment: string }): string {
    return this.multiEnv ? `[${r.environment}] ` : '';
  }

  private git(r: GitChangeRecord): void {
    this.need(60);
    this.line(`${this.n}. ${this.env(r)}${objectName(r.object)} - ${r.change}`, { font: 'Helvetica-Bold', size: 9 });
    const c = r.commit;
    this.line(`commit ${c.sha.slice(0, 12)}${c.pr ? ` (PR #${c.pr.number})` : ''} by ${c.author.name} <${c.author.email}>${c.committer.email !== c.author.email ? `, committed by ${c.committer.name}` : ''} at ${when(c.committedAt)}`, { size: 7.5, color: C.muted });
    this.line(c.subject, { font: 'Helvetica-Oblique', size: 7.5 });
    if (r.reachedClusterAt) {
      this.line(`reached the cluster ${when(r.reachedClusterAt)}, ${formatDuration(r.commitToLiveSeconds)} after the commit${r.reachNote ? ` (${r.reachNote})` : ''}`, { size: 7.5, color: C.added });
    } else this.para(r.notReachedReason ?? 'not reached', { size: 7.5, color: C.warn, maxLines: 2 });
    if (r.changedPaths.length) this.line(`changed: ${r.changedPaths.join(', ')}`, { size: 7, color: C.muted });
    this.diff(r.diff);
    this.doc.y += 5;
  }

  private outOfBand(r: OutOfBandRecord): void {
    this.need(60);
    this.line(`${this.n}. ${this.env(r)}${objectName(r.object)} - ${r.change} by ${r.manager ?? 'an unknown manager'}${r.operation ? ` (${r.operation})` : ''}`, { font: 'Helvetica-Bold', size: 9, color: C.removed });
    this.line(`observed ${when(r.observedAt)} in ${r.cluster} · ${r.managerClass} · ${r.ongoing ? `still differing from Git at generation (${formatDuration(r.durationSeconds)} so far)` : `back in sync with Git ${when(r.backInSyncAt)}, after ${formatDuration(r.durationSeconds)}`}`, { size: 7.5, color: C.muted });
    this.para(r.reason, { size: 7.5, maxLines: 2 });
    if (r.driftSummary) this.para(`differs from Git: ${r.driftSummary}`, { size: 7.5, color: C.warn, maxLines: 3 });
    this.diff(r.diff);
    this.doc.y += 5;
  }

  private drift(r: DriftRecord): void {
    this.need(30);
    this.line(`${this.n}. ${this.env(r)}${r.driftType} ${objectName(r.object)} - ${r.open ? `open, ${formatDuration(r.durationSeconds)} so far` : formatDuration(r.durationSeconds)}`, { font: 'Helvetica-Bold', size: 8.5 });
    this.line(`opened ${when(r.openedAt)} by ${describeTrigger(r.openedBy)}${r.closedAt ? `; closed ${when(r.closedAt)} by ${describeTrigger(r.closedBy)}` : ''}`, { size: 7.5, color: C.muted });
    if (r.summary) this.line(r.summary, { size: 7.5, gap: 3 });
  }

  private gap(r: GapRecord): void {
    this.line(`${this.n}. ${r.cluster}: ${r.group ? `${r.group}/` : ''}${r.kind} not observed from ${when(r.startedAt)} to ${r.endedAt ? when(r.endedAt) : 'the end of the report'} (${formatDuration(r.durationSeconds)})`, { size: 8, font: 'Helvetica-Bold' });
    this.para(r.reason, { size: 7.5, color: C.muted, indent: 10, maxLines: 3, gap: 2 });
  }

  async end(manifest: ReportManifest): Promise<{ sha256: string; size: number }> {
    const d = this.doc;
    this.closeSection();
    this.flushRaw();
    d.addPage();
    this.heading('Integrity', 16);
    this.table([
      ['Records', String(manifest.records.count)],
      ['Records sha256', manifest.records.sha256],
      ['Generated at', when(manifest.generatedAt)],
      ['Report id', manifest.reportId],
    ], 120);
    d.y += 6;
    this.heading('Hash chains covered', 11);
    for (const c of manifest.chains) this.chainRow(c);
    d.y += 8;
    this.line('Every commit, desired revision, live revision and drift event Driftline stores carries hash = sha256(prev_hash + "\\n" + record).', { size: 7.5, color: C.muted });
    this.line('The records sha256 covers every record of this report (one canonical JSON line each, diffs excluded); the chains above were', { size: 7.5, color: C.muted });
    this.line('read up to the heads shown. `driftline report verify` recomputes both from the database: any record of the window that was', { size: 7.5, color: C.muted });
    this.line('changed or removed since breaks a hash or a chain link and is named. The file sha256 is kept with the report in Driftline.', { size: 7.5, color: C.muted });
    (d.info as Record<string, unknown>)[PDF_MANIFEST_KEY] = Buffer.from(JSON.stringify(manifest), 'utf8').toString('base64');
    this.flushRaw();
    // All output goes through _write; pdfkit's Readable only carries the end (push(null)).
    const done = once(d, 'end');
    d.resume();
    d.end();
    await done;
    this.ship();
    await this.writing;
    if (this.failed) throw this.failed;
    return this.sink.close();
  }

  private chainRow(c: ChainSegment): void {
    this.line(`${c.stream} ${c.key}: positions ${c.from.position}–${c.to.position}, ${c.records} records`, { size: 8, font: 'Helvetica-Bold' });
    this.line(`head     ${c.to.hash ?? '-'}`, { size: 6.5, font: 'Courier', color: C.muted, indent: 8 });
    this.line(`previous ${c.from.prevHash ?? '(start of the chain)'}`, { size: 6.5, font: 'Courier', color: C.muted, indent: 8 });
  }

  async abort(): Promise<void> {
    this.failed ??= new Error('aborted');
    await this.writing;
    await this.sink.abort();
  }
}
