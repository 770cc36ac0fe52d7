import { createTwoFilesPatch, structuredPatch } from 'diff';
import { dump } from 'js-yaml';

export interface UnifiedDiffOptions {
  /** Name of the old side in the `---` header (default "a"). */
  labelA?: string;
  /** Name of the new side in the `+++` header (default "b"). */
  labelB?: string;
  /** Lines of context around each hunk (default 3). */
  context?: number;
}

/**
 * Stable YAML of a document: keys sorted, no anchors, no line folding. The
 * same content always gives the same text. null/undefined → "".
 */
export function stableYaml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return dump(value, { sortKeys: true, noRefs: true, lineWidth: -1, skipInvalid: true });
}

/**
 * Unified diff of two documents rendered as stable YAML ("" when they render
 * the same). A null side is an empty file, so creations and deletions show as
 * all-added / all-removed.
 */
export function unifiedYamlDiff(a: unknown, b: unknown, opts: UnifiedDiffOptions = {}): string {
  const ya = stableYaml(a);
  const yb = stableYaml(b);
  if (ya === yb) return '';
  const patch = createTwoFilesPatch(opts.labelA ?? 'a', opts.labelB ?? 'b', ya, yb, undefined, undefined, {
    context: opts.context ?? 3,
  });
  // jsdiff starts with a "====" separator line meant for multi-file patches; a single diff reads better without it.
  return patch.startsWith('=') ? patch.slice(patch.indexOf('\n') + 1) : patch;
}

export interface YamlHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Lines prefixed with ' ', '-' or '+'. */
  lines: string[];
}

/** The same diff as hunks, for a side-by-side view. Empty when equal. */
export function yamlDiffHunks(a: unknown, b: unknown, opts: Pick<UnifiedDiffOptions, 'context'> = {}): YamlHunk[] {
  const ya = stableYaml(a);
  const yb = stableYaml(b);
  if (ya === yb) return [];
  const p = structuredPatch('a', 'b', ya, yb, undefined, undefined, { context: opts.context ?? 3 });
  return p.hunks.map((h) => ({ oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines: h.lines }));
}
