import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inflateSync } from 'node:zlib';

/**
 * Planted secrets and the search for them. A marker is a unique random string
 * put in one place a secret lives (a Git Secret, a webhook URL…); afterwards
 * every byte Driftline wrote or answered is searched for it, in every encoding
 * a secret value takes on its way (as is, base64 as Secret.data holds it,
 * base64url, hex, URL-encoded).
 */

/** 'MRK' + 24 hex digits: 27 characters, a multiple of 3, so its base64 has no padding and is found inside longer base64 too. */
export function marker(): string {
  return 'MRK' + randomBytes(12).toString('hex');
}

export function encodingsOf(value: string): { form: string; text: string }[] {
  const b = Buffer.from(value, 'utf8');
  const forms = [
    { form: 'plain', text: value },
    { form: 'base64', text: b.toString('base64') },
    { form: 'base64url', text: b.toString('base64url') },
    { form: 'hex', text: b.toString('hex') },
    { form: 'url-encoded', text: encodeURIComponent(value) },
    // JSON-in-JSON (a last-applied annotation inside a body) keeps hex and letters as they are; upper-case covers hashes/ids shown upper-cased.
    { form: 'upper-case', text: value.toUpperCase() },
  ];
  const seen = new Set<string>();
  return forms.filter((f) => (seen.has(f.text) ? false : (seen.add(f.text), true)));
}

export interface Haystack {
  /** Where the text came from, e.g. "GET /api/v1/commits (body)" or "pg_dump --data-only". */
  where: string;
  text: string;
}

export interface Hit {
  marker: string;
  place: string;
  form: string;
  where: string;
  context: string;
}

/** Every occurrence of every marker in every haystack, each with 60 characters of context either side. */
export function findMarkers(markers: Record<string, string>, haystacks: Haystack[]): Hit[] {
  const hits: Hit[] = [];
  for (const [place, m] of Object.entries(markers)) {
    const forms = encodingsOf(m);
    for (const h of haystacks) {
      const lower = h.text.toLowerCase();
      for (const f of forms) {
        const needle = f.form === 'upper-case' ? f.text.toLowerCase() : f.text;
        const text = f.form === 'upper-case' ? lower : h.text;
        for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
          if (f.form === 'upper-case' && h.text.startsWith(m, i)) continue; // already reported as plain
          hits.push({ marker: m, place, form: f.form, where: h.where, context: h.text.slice(Math.max(0, i - 60), i + needle.length + 60).replace(/\s+/g, ' ') });
          if (hits.length > 500) return hits;
        }
      }
    }
  }
  return hits;
}

/** A readable failure message: one line per hit, grouped by place. */
export function describeHits(hits: Hit[]): string {
  if (!hits.length) return 'no planted secret was found';
  return `${hits.length} planted secret(s) found:\n` + hits.map((h) => `  [${h.place} as ${h.form}] in ${h.where}: …${h.context}…`).join('\n');
}

/** A pino destination that keeps every line in memory. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  private partial = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) if (p) this.lines.push(p);
    cb();
  }
  get text(): string {
    return this.lines.join('\n') + (this.partial ? '\n' + this.partial : '');
  }
}

/** `pg_dump` of one database (data only, or schema only), as text. Throws when pg_dump fails: the search must cover a real dump. */
export function pgDump(url: string, part: 'data' | 'schema'): string {
  const r = spawnSync('pg_dump', [part === 'data' ? '--data-only' : '--schema-only', '--no-owner', url], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0 || !r.stdout) throw new Error(`pg_dump --${part}-only failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * What a PDF says: the text pdftotext extracts (when poppler-utils is installed),
 * plus the raw bytes and every Flate stream inflated, so text drawn in any way is searched.
 */
export function pdfTexts(pdf: Buffer): { part: string; text: string }[] {
  const out: { part: string; text: string }[] = [{ part: 'raw bytes', text: pdf.toString('latin1') }];
  const raw = pdf.toString('latin1');
  let n = 0;
  for (let i = raw.indexOf('stream'); i >= 0; i = raw.indexOf('stream', i + 6)) {
    if (raw.slice(i - 3, i) === 'end') continue;
    let start = i + 6;
    if (raw[start] === '\r') start++;
    if (raw[start] === '\n') start++;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    try {
      out.push({ part: `inflated stream ${++n}`, text: inflateSync(pdf.subarray(start, end)).toString('latin1') });
    } catch {
      // not a Flate stream (or not compressed)
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'driftline-pdf-'));
  try {
    writeFileSync(join(dir, 'r.pdf'), pdf);
    const r = spawnSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'r.pdf'), '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.status === 0) out.push({ part: 'pdftotext', text: r.stdout });
  } catch {
    // pdftotext not installed: the raw and inflated streams are still searched
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
