import { describe, expect, it } from 'vitest';
import type { ReachResult } from '../../../api/src/reports/analysis';
import { MillisecondOrder, ReachStore } from '../../../api/src/reports/reach-store';

const result = (id: number, over: Partial<ReachResult> = {}): ReachResult => ({
  revisionId: id,
  seq: id,
  committedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, id)),
  prevDoc: null,
  doc: 'd'.repeat(64),
  reachedAt: new Date(Date.UTC(2025, 0, 1, 0, 1, id)),
  liveRevisionId: id * 10,
  reason: null,
  note: null,
  paths: ['spec.replicas'],
  ...over,
});

describe('ReachStore', () => {
  it('gives back what the analysis stored, looked up by revision id whatever order it came in', () => {
    const s = new ReachStore();
    // More than the initial capacity, in no particular order of ids.
    const ids = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 3001 + 1);
    for (const id of ids) s.add(result(id, id % 3 === 0 ? { reachedAt: null, liveRevisionId: null, reason: `never applied ${id}`, paths: [] } : {}));
    s.add(result(5000, { note: 'already in the cluster when committed', paths: ['metadata.labels.app', '…and 3 more'] }));
    s.seal();
    expect(s.size).toBe(3001);
    for (const id of ids) {
      expect(s.get(id)).toEqual(
        id % 3 === 0
          ? { reachedAt: null, liveRevisionId: null, reason: `never applied ${id}`, note: null, paths: [] }
          : { reachedAt: Date.UTC(2025, 0, 1, 0, 1, id), liveRevisionId: id * 10, reason: null, note: null, paths: ['spec.replicas'] },
      );
    }
    expect(s.get(5000)).toEqual({ reachedAt: Date.UTC(2025, 0, 1, 0, 1, 5000), liveRevisionId: 50000, reason: null, note: 'already in the cluster when committed', paths: ['metadata.labels.app', '…and 3 more'] });
    // Changes with the same paths share one list.
    expect(s.get(1)!.paths).toBe(s.get(2)!.paths);
    // A change the analysis did not record (e.g. another author's) has no result.
    expect(s.get(0)).toBeNull();
    expect(s.get(4000)).toBeNull();
    expect(s.get(9999)).toBeNull();
  });

  it('an empty store answers null', () => {
    const s = new ReachStore();
    s.seal();
    expect(s.get(1)).toBeNull();
  });
});

describe('MillisecondOrder', () => {
  const row = (ms: number, seq: number, id: number) => ({ ms, seq, id });

  it('lists changes of the same millisecond by commit sequence and id, whatever their finer times', () => {
    const o = new MillisecondOrder<ReturnType<typeof row>>();
    const out: ReturnType<typeof row>[] = [];
    // Read in (time to the microsecond, seq, id) order: 1000.2 ms (seq 9) before 1000.7 ms (seq 3).
    o.push(row(1000, 9, 1), out);
    o.push(row(1000, 3, 7), out);
    o.push(row(1000, 3, 2), out);
    expect(out).toEqual([]);
    o.push(row(1001, 1, 5), out);
    expect(out).toEqual([row(1000, 3, 2), row(1000, 3, 7), row(1000, 9, 1)]);
    o.push(row(1002, 1, 6), out);
    o.flush(out);
    expect(out.map((r) => r.id)).toEqual([2, 7, 1, 5, 6]);
  });

  it('keeps rows already in order as they are', () => {
    const o = new MillisecondOrder<ReturnType<typeof row>>();
    const out: ReturnType<typeof row>[] = [];
    const rows = [row(1, 1, 1), row(1, 1, 2), row(1, 2, 3), row(2, 1, 4)];
    for (const r of rows) o.push(r, out);
    o.flush(out);
    expect(out).toEqual(rows);
  });
});
