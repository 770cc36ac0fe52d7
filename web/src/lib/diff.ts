/**
 * Shaping unified diffs for display: parse hunks into numbered lines, collapse long unchanged
 * runs behind "show N unchanged lines", and pair lines for a side-by-side view.
 */

export type LineKind = 'context' | 'add' | 'del';

export interface DiffLine {
  kind: LineKind;
  text: string;
  /** Line number in the old text (context and deletions). */
  oldNo?: number;
  /** Line number in the new text (context and additions). */
  newNo?: number;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Unchanged lines between the previous hunk (or the start) and this one, not in the diff. */
  skippedBefore: number;
  lines: DiffLine[];
}

export interface ParsedDiff {
  oldLabel: string;
  newLabel: string;
  hunks: Hunk[];
  added: number;
  removed: number;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Parse `--- a` / `+++ b` / `@@ … @@` text; an empty string is an empty diff. */
export function parseUnifiedDiff(text: string): ParsedDiff {
  const out: ParsedDiff = { oldLabel: '', newLabel: '', hunks: [], added: 0, removed: 0 };
  let hunk: Hunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  let prevOldEnd = 1;
  for (const raw of text.split('\n')) {
    if (!hunk && raw.startsWith('--- ')) {
      out.oldLabel = raw.slice(4).trim();
      continue;
    }
    if (!hunk && raw.startsWith('+++ ')) {
      out.newLabel = raw.slice(4).trim();
      continue;
    }
    const m = HUNK.exec(raw);
    if (m) {
      const oldStart = Number(m[1]);
      const oldLines = m[2] === undefined ? 1 : Number(m[2]);
      hunk = { oldStart, oldLines, newStart: Number(m[3]), newLines: m[4] === undefined ? 1 : Number(m[4]), skippedBefore: Math.max(0, oldStart - prevOldEnd), lines: [] };
      // An empty old side ("-0,0") starts at line 0; nothing precedes it.
      if (oldLines === 0) hunk.skippedBefore = Math.max(0, oldStart - prevOldEnd + 1);
      prevOldEnd = oldStart + oldLines;
      oldNo = oldStart;
      newNo = hunk.newStart;
      out.hunks.push(hunk);
      continue;
    }
    if (!hunk) continue;
    const sign = raw[0];
    const body = raw.slice(1);
    if (sign === ' ') hunk.lines.push({ kind: 'context', text: body, oldNo: oldNo++, newNo: newNo++ });
    else if (sign === '-') {
      hunk.lines.push({ kind: 'del', text: body, oldNo: oldNo++ });
      out.removed++;
    } else if (sign === '+') {
      hunk.lines.push({ kind: 'add', text: body, newNo: newNo++ });
      out.added++;
    }
    // "\ No newline at end of file" and blank trailing lines carry nothing to show.
  }
  return out;
}

export type Block = { type: 'lines'; lines: DiffLine[] } | { type: 'collapsed'; id: string; lines: DiffLine[] };

/**
 * Split lines into shown and collapsed blocks: a run of unchanged lines longer than
 * `2 * context + minHidden` keeps `context` lines on each side (none at the very start or end)
 * and collapses the rest.
 */
export function collapseUnchanged(lines: readonly DiffLine[], context = 3, minHidden = 4, idPrefix = 'c'): Block[] {
  const blocks: Block[] = [];
  let shown: DiffLine[] = [];
  const flush = () => {
    if (shown.length) blocks.push({ type: 'lines', lines: shown });
    shown = [];
  };
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.kind !== 'context') {
      shown.push(lines[i]!);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.kind === 'context') j++;
    const run = lines.slice(i, j);
    const keepBefore = i === 0 ? 0 : context;
    const keepAfter = j === lines.length ? 0 : context;
    if (run.length - keepBefore - keepAfter >= minHidden) {
      shown.push(...run.slice(0, keepBefore));
      flush();
      blocks.push({ type: 'collapsed', id: `${idPrefix}${i}`, lines: run.slice(keepBefore, run.length - keepAfter) });
      shown.push(...run.slice(run.length - keepAfter));
    } else shown.push(...run);
    i = j;
  }
  flush();
  return blocks;
}

export interface SideRow {
  left: DiffLine | null;
  right: DiffLine | null;
}

/** Pair lines for two columns: unchanged lines on both sides, each run of deletions beside the additions that follow it. */
export function pairSideBySide(lines: readonly DiffLine[]): SideRow[] {
  const rows: SideRow[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.kind === 'context') {
      rows.push({ left: l, right: l });
      i++;
      continue;
    }
    const dels: DiffLine[] = [];
    const adds: DiffLine[] = [];
    while (i < lines.length && lines[i]!.kind === 'del') dels.push(lines[i++]!);
    while (i < lines.length && lines[i]!.kind === 'add') adds.push(lines[i++]!);
    for (let k = 0; k < Math.max(dels.length, adds.length); k++) rows.push({ left: dels[k] ?? null, right: adds[k] ?? null });
  }
  return rows;
}
