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
