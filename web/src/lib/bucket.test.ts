import { describe, expect, it } from 'vitest';
import { bucketStep, bucketize, thinPoints } from './bucket';

describe('bucketing', () => {
  it('picks a round step for the window', () => {
    expect(bucketStep(15 * 60_000)).toBe(15_000);
    expect(bucketStep(86_400_000)).toBe(15 * 60_000);
    expect(bucketStep(7 * 86_400_000)).toBe(3 * 3_600_000);
  });

  it('counts items per aligned bucket and key, ignoring items outside the window', () => {
    const base = Date.parse('2026-06-01T12:00:00Z');
    const at = (m: number) => base + m * 60_000;
    const items = [
      { t: at(1), lane: 'git' as const },
      { t: at(2), lane: 'live' as const },
      { t: at(4.5), lane: 'live' as const },
      { t: at(14), lane: 'drift' as const },
      { t: at(20), lane: 'live' as const },
    ];
    const b = bucketize(items, ['git', 'live', 'drift'], (i) => i.lane, (i) => i.t, at(0.5), at(15), 5 * 60_000);
    expect(b.starts).toEqual([at(0), at(5), at(10)]);
    expect(b.counts).toEqual({ git: [1, 0, 0], live: [2, 0, 0], drift: [0, 0, 1] });
  });
});

describe('thinning points for drawing', () => {
  it('keeps the first point per column inside the window', () => {
    const times = [100, 99, 95, 50, 49, 10, -5];
    expect(thinPoints(times, 0, 100, 10)).toEqual([0, 1, 3, 4, 5]);
    expect(thinPoints(times, 0, 100, 1000)).toEqual([0]);
    expect(thinPoints([], 0, 1, 1)).toEqual([]);
  });
});
