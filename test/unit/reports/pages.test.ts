import { describe, expect, it } from 'vitest';
import { pagesOf } from '../../../api/src/reports/report-builder';

/** A keyset "query" over 0..n-1: rows after the last one seen, `limit` at a time, with a log of what was asked. */
function source(n: number, limit: number, failAt?: number) {
  const asked: (number | null)[] = [];
  const fetch = async (last: number | null): Promise<number[]> => {
    asked.push(last);
    await new Promise((r) => setImmediate(r));
    const from = last === null ? 0 : last + 1;
    if (failAt !== undefined && from >= failAt) throw new Error(`page after ${last} failed`);
    return Array.from({ length: Math.max(0, Math.min(limit, n - from)) }, (_, i) => from + i);
  };
  return { fetch, asked };
}

const collect = async (it: AsyncGenerator<number[]>) => {
  const pages: number[][] = [];
  for await (const p of it) pages.push(p);
  return pages;
};

describe('pagesOf', () => {
  it('gives every row once, in order, whatever the read-ahead', async () => {
    for (const ahead of [1, 2, 3]) {
      for (const n of [0, 1, 9, 10, 11, 35]) {
        const { fetch } = source(n, 10);
        const pages = await collect(pagesOf(fetch, 10, ahead));
        expect(pages.flat()).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(pages.every((p) => p.length > 0)).toBe(true);
      }
    }
  });

  it('asks for the page after a full one only, and stops after a short one', async () => {
    const { fetch, asked } = source(20, 10);
    await collect(pagesOf(fetch, 10, 2));
    // 0-9 and 10-19 are full, so one more page is asked for (it is empty).
    expect(asked).toEqual([null, 9, 19]);
  });

  it('reads at most `ahead` pages before the caller takes them', async () => {
    const { fetch, asked } = source(100, 10);
    const it = pagesOf(fetch, 10, 2);
    await it.next();
    // Let every read that may start finish (each takes one turn of the event loop).
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    // The caller holds page 1; pages 2 and 3 wait read; nothing more is asked for.
    expect(asked).toEqual([null, 9, 19]);
    await it.return(undefined);
  });

  it('throws a failed read where the caller gets to it, after the pages read before it', async () => {
    const { fetch } = source(100, 10, 20);
    const seen: number[][] = [];
    await expect(
      (async () => {
        for await (const p of pagesOf(fetch, 10, 3)) {
          seen.push(p);
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        }
      })(),
    ).rejects.toThrow('page after 19 failed');
    expect(seen.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
