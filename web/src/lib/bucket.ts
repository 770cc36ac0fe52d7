/** Counting events into time buckets (for the density bars under the swimlanes and for sparklines). */

const STEPS = [
  1_000, 5_000, 15_000, 30_000,
  60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000,
  3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000,
  86_400_000, 7 * 86_400_000, 30 * 86_400_000,
];

/** The smallest round step that cuts `spanMs` into at most `target` buckets. */
export function bucketStep(spanMs: number, target = 96): number {
  for (const s of STEPS) if (spanMs / s <= target) return s;
  return STEPS[STEPS.length - 1]!;
}

export interface Buckets<K extends string> {
  step: number;
  /** Bucket start times (ms), aligned to the step in UTC. */
  starts: number[];
  counts: Record<K, number[]>;
}

/**
 * Count items per bucket and key over [from, to]. Buckets are aligned to multiples of `step`
 * (so a bucket never moves when the window slides); items outside the window are ignored.
 */
export function bucketize<T, K extends string>(items: readonly T[], keys: readonly K[], keyOf: (t: T) => K, timeOf: (t: T) => number, from: number, to: number, step: number): Buckets<K> {
  const first = Math.floor(from / step) * step;
  const n = Math.max(1, Math.ceil((to - first) / step));
  const starts = Array.from({ length: n }, (_, i) => first + i * step);
  const counts = Object.fromEntries(keys.map((k) => [k, new Array<number>(n).fill(0)])) as Record<K, number[]>;
  for (const it of items) {
    const t = timeOf(it);
    if (t < from || t > to) continue;
    const i = Math.min(n - 1, Math.floor((t - first) / step));
    const row = counts[keyOf(it)];
    if (row) row[i]! += 1;
  }
  return { step, starts, counts };
}

/**
 * Indices of the points worth drawing: the first point in each column of `columnMs` inside
 * [from, to]. Ten thousand events on a 600-pixel axis overlap anyway; drawing one symbol per
 * column per series looks the same and draws in a fraction of the time.
 */
export function thinPoints(times: readonly number[], from: number, to: number, columnMs: number): number[] {
  const kept: number[] = [];
  const seen = new Set<number>();
  const step = Math.max(1, columnMs);
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t < from || t > to) continue;
    const col = Math.floor((t - from) / step);
    if (seen.has(col)) continue;
    seen.add(col);
    kept.push(i);
  }
  return kept;
}
