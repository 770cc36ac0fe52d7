// Loops for what spread arguments do in one call: `a.push(...items)` and `Math.min(...values)` pass
// every item as an argument, and past ~120,000 of them V8 throws "RangeError: Maximum call stack size
// exceeded". Backlogs reach that: a drift catch-up after a year of revisions (200,000 rows), the first
// commit of a large monorepo, a relist of a big cluster.

/** Appends every item to `into` (and returns it). */
export function pushAll<T>(into: T[], items: Iterable<T>): T[] {
  for (const x of items) into.push(x);
  return into;
}

/** The smallest `f(item)`; Infinity when there is none (as Math.min() of nothing). */
export function minOf<T>(items: Iterable<T>, f: (x: T) => number): number {
  let min = Infinity;
  for (const x of items) {
    const v = f(x);
    if (v < min || Number.isNaN(v)) min = v;
  }
  return min;
}
