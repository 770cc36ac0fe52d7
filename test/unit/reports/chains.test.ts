import { describe, expect, it } from 'vitest';
import { chainHash } from '../../../api/src/core/chain';
import { gitTime, SegmentChecker, chainRecord } from '../../../api/src/reports/chains';
import type { ChainRow } from '../../../api/src/reports/reports.repository';

describe('gitTime', () => {
  it('prints a stored time the way git log %aI did, in the commit’s own offset', () => {
    const at = new Date('2026-03-01T08:00:00Z');
    expect(gitTime(at, '+0200')).toBe('2026-03-01T10:00:00+02:00');
    expect(gitTime(at, '-0530')).toBe('2026-03-01T02:30:00-05:30');
    expect(gitTime(at, '+0000')).toBe('2026-03-01T08:00:00+00:00');
    expect(gitTime(new Date('2026-03-01T23:30:00Z'), '+0100')).toBe('2026-03-02T00:30:00+01:00');
  });
});

function desiredRows(n: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev: string | null = null;
  for (let i = 1; i <= n; i++) {
    const row = { position: String(i), environment: 'prod', group: 'apps', kind: 'Deployment', namespace: 'shop', name: `app${i}`, commit_sha: `c${i}`, document_hash: `d${i}`, path: `p${i}.yaml`, change: 'configured', prev_hash: prev, hash: '' } as ChainRow;
    row.hash = chainHash(prev, chainRecord('desired_revisions', row));
    prev = row.hash;
    rows.push(row);
  }
  return rows;
}

describe('SegmentChecker', () => {
  const seg = (rows: ChainRow[]) => ({ stream: 'desired_revisions' as const, key: 'prod', from: { position: 1, prevHash: null }, to: { position: rows.length, hash: rows[rows.length - 1]!.hash }, records: rows.length });

  it('accepts an untouched chain', () => {
    const rows = desiredRows(5);
    const c = new SegmentChecker(seg(rows));
    rows.forEach((r) => c.push(r));
    expect(c.finish()).toEqual([]);
  });

  it('names an edited record, a removed one, and a rewritten head', () => {
    const rows = desiredRows(6);
    const s = seg(rows);
    const edited = rows.map((r) => ({ ...r }));
    edited[1]!.path = 'elsewhere.yaml';
    edited.splice(3, 1);
    edited[edited.length - 1]!.hash = 'f'.repeat(64);
    const c = new SegmentChecker(s);
    edited.forEach((r) => c.push(r));
    const msgs = c.finish().map((i) => `${i.kind}: ${i.message}`);
    expect(msgs).toEqual([
      'changed: desired revision id 2 (Deployment shop/app2) was changed after it was recorded: its content no longer matches its hash',
      'removed: the chain is broken before desired revision id 5 (Deployment shop/app5): its prev_hash does not match the record before it (id 3); a record was removed, inserted or rewritten there',
      'changed: desired revision id 6 (Deployment shop/app6) was changed after it was recorded: its content no longer matches its hash',
      "count: 1 record(s) of the report's window are missing (6 when generated, 5 now)",
      'head-moved: the chain head the report recorded (position 6) now has another hash (' + s.to.hash.slice(0, 16) + '… then, ffffffffffffffff… now)',
    ]);
  });
});
