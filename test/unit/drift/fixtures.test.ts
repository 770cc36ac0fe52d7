import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../api/src/core/canonical';
import { compareObject, NORMALIZER_NAMES, parsePointer, type CompareResult } from '../../../api/src/core/drift';
import { BASE_OPTIONS, loadFixtures } from './fixture-loader';

const fixtures = loadFixtures();

function resolvePointer(doc: unknown, pointer: string): unknown {
  let v: unknown = doc;
  for (const seg of parsePointer(pointer)) {
    if (Array.isArray(v)) v = v[Number(seg)];
    else if (v !== null && typeof v === 'object') v = (v as Record<string, unknown>)[seg];
    else return undefined;
  }
  return v;
}

describe('drift fixtures (test/fixtures/drift/*)', () => {
  it('has at least 45 cases', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(45);
  });

  it('exercises every named normalizer in at least one fixture', () => {
    const covered = new Set(fixtures.flatMap((f) => f.expected.normalizers ?? []));
    expect(NORMALIZER_NAMES.filter((n) => !covered.has(n))).toEqual([]);
  });

  describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const opts = { ...BASE_OPTIONS, ...(f.expected.options ?? {}) };
    const result: CompareResult = compareObject(f.desired, f.live, opts);
    const byPointer = new Map(result.changes.map((c) => [c.pointer, c]));

    it(`is ${f.expected.type} with the expected changed pointers`, () => {
      expect({ type: result.type, pointers: result.changes.map((c) => c.pointer).sort() }).toEqual({
        type: f.expected.type,
        pointers: [...f.expected.pointers].sort(),
      });
    });

    it('gives the expected reasons, managers and paths', () => {
      for (const [p, reason] of Object.entries(f.expected.reasons ?? {})) expect(byPointer.get(p)?.reason, p).toBe(reason);
      for (const [p, manager] of Object.entries(f.expected.managers ?? {})) expect(byPointer.get(p)?.manager, p).toBe(manager);
      for (const [p, path] of Object.entries(f.expected.paths ?? {})) expect(byPointer.get(p)?.path, p).toBe(path);
    });

    it('fires the normalizers it is the fixture for', () => {
      const fired = new Set(result.normalizers ?? []);
      expect((f.expected.normalizers ?? []).filter((n) => !fired.has(n))).toEqual([]);
    });

    if (f.desired && f.live && !result.ignored) {
      it('has normalized bodies that are equal exactly when in sync, and pointers that resolve in them', () => {
        const equal = canonicalJson(result.normalizedDesired) === canonicalJson(result.normalizedLive);
        expect(equal).toBe(result.changes.length === 0);
        for (const c of result.changes) {
          if (c.op === 'removed') {
            expect(canonicalJson(resolvePointer(result.normalizedDesired, c.pointer)), c.pointer).toBe(canonicalJson(c.desired));
            expect(resolvePointer(result.normalizedLive, c.pointer) === undefined || c.pointer.match(/\/\d+$/), c.pointer).toBeTruthy();
          } else {
            expect(canonicalJson(resolvePointer(result.normalizedLive, c.pointer)), c.pointer).toBe(canonicalJson(c.live));
          }
        }
      });
    }
  });
});
