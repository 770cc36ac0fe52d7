import { describe, expect, it } from 'vitest';
import { collapseUnchanged, pairSideBySide, parseUnifiedDiff, type DiffLine } from './diff';

const text = `--- git
+++ cluster
@@ -7,7 +7,7 @@
   name: web
   namespace: shop-prod
 spec:
-  replicas: 3
+  replicas: 7
   selector:
     matchLabels:
       app.kubernetes.io/name: web
@@ -20,4 +20,5 @@
       containers:
-        - image: web:1
+        - image: web:1-hotfix
+          env: []
         name: web
`;

describe('diff shaping', () => {
  it('parses hunks with line numbers, counts and the unchanged lines between them', () => {
    const d = parseUnifiedDiff(text);
    expect([d.oldLabel, d.newLabel, d.added, d.removed]).toEqual(['git', 'cluster', 3, 2]);
    expect(d.hunks.map((h) => h.skippedBefore)).toEqual([6, 6]);
    expect(d.hunks[0]!.lines[3]).toEqual({ kind: 'del', text: '  replicas: 3', oldNo: 10 });
    expect(d.hunks[0]!.lines[4]).toEqual({ kind: 'add', text: '  replicas: 7', newNo: 10 });
    expect(d.hunks[1]!.lines.at(-1)).toEqual({ kind: 'context', text: '        name: web', oldNo: 22, newNo: 23 });
    expect(parseUnifiedDiff('').hunks).toEqual([]);
  });

  it('treats a created object as one hunk of additions with nothing skipped', () => {
    const d = parseUnifiedDiff('--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n');
    expect(d.hunks[0]!.skippedBefore).toBe(0);
    expect(d.hunks[0]!.lines.map((l) => [l.kind, l.newNo])).toEqual([['add', 1], ['add', 2]]);
  });

  const ctx = (n: number, from = 1): DiffLine[] => Array.from({ length: n }, (_, i) => ({ kind: 'context', text: `l${from + i}`, oldNo: from + i, newNo: from + i }));

  it('collapses a long unchanged run between changes, keeping context on both sides', () => {
    const lines: DiffLine[] = [{ kind: 'del', text: 'x' }, ...ctx(20), { kind: 'add', text: 'y' }];
    const blocks = collapseUnchanged(lines, 3, 4);
    expect(blocks.map((b) => [b.type, b.lines.length])).toEqual([['lines', 4], ['collapsed', 14], ['lines', 4]]);
    expect(blocks[1]!.lines[0]!.text).toBe('l4');
  });

  it('collapses unchanged lines at the start and end without keeping context there', () => {
    const blocks = collapseUnchanged([...ctx(10), { kind: 'add', text: 'y' }, ...ctx(10, 11)], 3, 4);
    expect(blocks.map((b) => [b.type, b.lines.length])).toEqual([['collapsed', 7], ['lines', 7], ['collapsed', 7]]);
  });

  it('leaves short unchanged runs alone', () => {
    const blocks = collapseUnchanged([{ kind: 'del', text: 'x' }, ...ctx(9), { kind: 'add', text: 'y' }], 3, 4);
    expect(blocks).toHaveLength(1);
  });

  it('pairs deletions with the additions that follow for side by side', () => {
    const d = parseUnifiedDiff(text);
    const rows = pairSideBySide(d.hunks[1]!.lines);
    expect(rows.map((r) => [r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      ['      containers:', '      containers:'],
      ['        - image: web:1', '        - image: web:1-hotfix'],
      [null, '          env: []'],
      ['        name: web', '        name: web'],
    ]);
  });
});
