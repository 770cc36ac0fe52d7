import { describe, expect, it } from 'vitest';
import { pipelineBatchSize } from '../../../api/src/git/indexer';

/** The batch sizes a run of `total` commits is cut into (the log giving `given` commits). */
function cuts(total: number, batchSize: number, given = total): number[] {
  const out: number[] = [];
  let read = 0;
  while (read < given) {
    const n = Math.min(pipelineBatchSize(read, total, batchSize), given - read);
    out.push(n);
    read += n;
  }
  return out;
}

describe('batches of a render-worker pipeline', () => {
  it('starts with a quarter batch, ends with a fifth of one, and takes full batches between', () => {
    const sizes = cuts(5000, 500);
    expect(sizes[0]).toBe(125);
    expect(sizes.at(-1)).toBe(100);
    expect(sizes.slice(1, -2).every((n) => n === 500)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
  });

  it('covers every commit for any total, never with an empty or oversized batch', () => {
    for (const total of [1, 2, 99, 100, 101, 125, 126, 600, 601, 625, 626, 1000, 1234, 20_000]) {
      for (const batchSize of [1, 7, 100, 500]) {
        const sizes = cuts(total, batchSize);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
        expect(sizes.every((n) => n >= 1 && n <= batchSize)).toBe(true);
      }
    }
  });

  it('falls back to full batches when the log gives more commits than counted', () => {
    const sizes = cuts(1000, 500, 3000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(sizes.every((n) => n <= 500)).toBe(true);
    // Past the count: full batches, and what is left at the end of the log.
    expect(sizes.slice(-4)).toEqual([500, 500, 500, 100]);
  });
});
