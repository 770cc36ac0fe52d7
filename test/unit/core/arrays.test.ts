import { describe, expect, it } from 'vitest';
import { minOf, pushAll } from '../../../api/src/core/arrays';

describe('pushAll and minOf (for lists longer than a call takes arguments)', () => {
  const big = Array.from({ length: 300_000 }, (_, i) => 300_000 - i);

  it('appends 300,000 items where push(...items) throws', () => {
    expect(() => [].push(...(big as never[]))).toThrow(RangeError);
    const into = [0];
    expect(pushAll(into, big)).toBe(into);
    expect(into).toHaveLength(300_001);
    expect(into[1]).toBe(300_000);
    expect(into.at(-1)).toBe(1);
    expect(pushAll([1], new Set([2, 3]))).toEqual([1, 2, 3]);
  });

  it('finds the smallest of 300,000 values where Math.min(...values) throws, and answers as Math.min otherwise', () => {
    expect(() => Math.min(...big)).toThrow(RangeError);
    expect(minOf(big, (x) => x * 2)).toBe(2);
    expect(minOf([], (x: number) => x)).toBe(Infinity);
    expect(minOf([3, Number.NaN, 1], (x) => x)).toBeNaN();
    expect(minOf([{ at: new Date('2026-02-01') }, { at: new Date('2026-01-01') }], (r) => r.at.getTime())).toBe(Date.parse('2026-01-01'));
  });
});
