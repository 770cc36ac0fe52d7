import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderKustomization } from '../../../api/src/core/kustomize';
import { byIdentity, dirFs, identities, kubectlPath, kubectlRender, listCases, parseStream } from './support';

// Every fixture: input tree(s) + expected.yaml produced by `kubectl kustomize` (Kustomize v5.5).
// Regenerate the expected outputs with KUSTOMIZE_UPDATE_EXPECTED=1 (needs kubectl).
const cases = listCases();
const kubectl = kubectlPath();
const update = process.env.KUSTOMIZE_UPDATE_EXPECTED === '1';
if (!kubectl) console.log('kubectl with Kustomize v5 not found: skipping the comparisons with `kubectl kustomize`');

describe('kustomize fixtures', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  describe.each(cases)('$name', (c) => {
    const expectedPath = join(c.dir, 'expected.yaml');

    it.runIf(kubectl !== null)('expected.yaml is what kubectl kustomize renders', () => {
      const out = kubectlRender(kubectl!, c);
      if (update) writeFileSync(expectedPath, out);
      const expected = parseStream(readFileSync(expectedPath, 'utf8'));
      expect(byIdentity(parseStream(out))).toEqual(byIdentity(expected));
    });

    it('the built-in renderer matches expected.yaml and reports the expected problems', () => {
      expect(existsSync(expectedPath), `${c.name}/expected.yaml is missing`).toBe(true);
      const expected = parseStream(readFileSync(expectedPath, 'utf8'));
      const result = renderKustomization(c.entry, dirFs(c.dir), c.options);
      expect(identities(result.objects)).toEqual(identities(expected));
      expect(byIdentity(result.objects)).toEqual(byIdentity(expected));
      // Problems in any order; each expected one names its file, field and code and quotes part of the message.
      const order = (a: { file: string; field: string }, b: { file: string; field: string }) =>
        `${a.file}\0${a.field}` < `${b.file}\0${b.field}` ? -1 : `${a.file}\0${a.field}` > `${b.file}\0${b.field}` ? 1 : 0;
      const got = result.problems.map((p) => ({ file: p.file, field: p.field, code: p.code, message: p.message })).sort(order);
      const want = [...c.problems]
        .sort(order)
        .map((p) => ({ file: p.file, field: p.field, code: p.code, message: expect.stringContaining(p.message) }));
      expect(got).toEqual(want);
    });
  });
});
