import { describe, expect, it } from 'vitest';
import { csvCell, csvLine, csvRow, csvTrailer, CSV_COLUMNS, CSV_HEADER, parseCsv } from '../../../api/src/reports/csv';
import type { GapRecord } from '../../../api/src/reports/report.types';

describe('CSV cells', () => {
  it('quotes what RFC 4180 requires and doubles quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(120)).toBe('120');
    expect(csvCell(0.5)).toBe('0.5');
  });

  it('neutralises formula injection: = + - @ TAB and CR starts get a single quote', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=cmd')).toBe("'\t=cmd");
    expect(csvCell('\r=cmd')).toBe(`"'\r=cmd"`);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    // Not at the start: left alone.
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('fix: -v flag')).toBe('fix: -v flag');
  });

  it('lines end with CRLF and parse back to the same cells', () => {
    const cells = ['a', 'b,c', 'd "e"', 'f\r\ng', '=x', ''];
    const line = csvLine(cells);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(parseCsv(line + line)).toEqual([
      ['a', 'b,c', 'd "e"', 'f\r\ng', "'=x", ''],
      ['a', 'b,c', 'd "e"', 'f\r\ng', "'=x", ''],
    ]);
  });

  it('the header and trailer rows have the documented width', () => {
    expect(parseCsv(CSV_HEADER)[0]).toEqual([...CSV_COLUMNS]);
    const t = parseCsv(csvTrailer('#sha256', 'abc'))[0]!;
    expect(t).toHaveLength(CSV_COLUMNS.length);
    expect(t.slice(0, 2)).toEqual(['#sha256', 'abc']);
  });

  it('every record row has exactly the header width', () => {
    const gap: GapRecord = { type: 'gap', environment: 'prod', cluster: 'c', id: 3, group: 'apps', kind: 'Deployment', startedAt: 'x', endedAt: null, durationSeconds: 5, open: true, reason: '-403, forbidden' };
    const row = parseCsv(csvRow(gap))[0]!;
    expect(row).toHaveLength(CSV_COLUMNS.length);
    expect(row[CSV_COLUMNS.indexOf('summary')]).toBe("'-403, forbidden");
    expect(row[CSV_COLUMNS.indexOf('record_id')]).toBe('3');
  });
});

import { canonicalText } from '../../../api/src/reports/report-builder';
import { canonicalJson } from '../../../api/src/core/canonical';

describe('canonicalText', () => {
  it('is canonicalJson, written in one pass', () => {
    const values = [
      null, 1, -0.5, 'x"\n\u0001→😀', true, [], {}, [1, undefined, { b: 1, a: [null] }],
      { z: 1, a: { y: undefined, x: new Date(0) }, B: 'upper', aa: [{ d: 1, c: 2 }] },
    ];
    for (const v of values) expect(canonicalText(v)).toBe(canonicalJson(v));
  });
});

import { createHash } from 'node:crypto';
import { canonicalCopy, RecordDigest, recordDigestLine } from '../../../api/src/reports/report-builder';
import type { ReportRecord } from '../../../api/src/reports/report.types';

describe('canonicalCopy', () => {
  it('is what parsing the canonical JSON of a jsonb value gives, key order included', () => {
    const values = [
      null, 0, 1.5, 'x"→😀', false, [], {}, [1, { b: 1, a: [null, { d: 'x', c: -0 }] }],
      { source: 'live', revision: '12', manager: 'kubectl-edit', operation: 'Update', 10: 'ten', 2: 'two', __proto__x: 1 },
      JSON.parse('{"__proto__": {"b": 1, "a": 2}, "z": [1e300, 2]}'),
    ];
    for (const v of values) {
      const copy = canonicalCopy(v);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(JSON.parse(canonicalText(v))));
      expect(copy).toEqual(JSON.parse(canonicalText(v)));
    }
  });
});

describe('RecordDigest', () => {
  it('is the sha256 of the records\' canonical lines, however long they are', () => {
    const gap = (id: number, reason: string): ReportRecord => ({
      cluster: 'prod-eu', durationSeconds: 1, endedAt: null, environment: 'prod', group: '', id, kind: 'ConfigMap', open: true,
      reason, startedAt: '2026-01-01T00:00:00.000Z', type: 'gap',
    });
    // Short lines, one longer than the digest's block (64 KiB), non-ASCII text.
    const records = [gap(1, 'watch failed'), gap(2, 'é→😀'.repeat(30_000)), ...Array.from({ length: 2000 }, (_, i) => gap(i + 3, `r${i}`))];
    const d = new RecordDigest();
    for (const r of records) d.add(r);
    expect(d.count).toBe(records.length);
    expect(d.digest()).toBe(createHash('sha256').update(records.map(recordDigestLine).join('')).digest('hex'));
  });
});
