import { describe, expect, it } from 'vitest';
import { newRes, type Res } from '../../../api/src/core/kustomize/resource';
import { resortChanged, sortResources, type SortOptions } from '../../../api/src/core/kustomize/sort';
import { prng } from '../../../api/src/core/prng';

const KINDS = [['v1', 'ConfigMap'], ['v1', 'Service'], ['apps/v1', 'Deployment'], ['v1', 'Namespace'], ['example.com/v1', 'Widget'], ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration']] as const;

describe('resortChanged', () => {
  const rand = prng(7);
  const pick = <T,>(l: readonly T[]) => l[Math.floor(rand() * l.length)]!;
  const obj = (): Res => {
    const [apiVersion, kind] = pick(KINDS);
    // Few names and namespaces, so equal identities (ties) happen too.
    return newRes({ apiVersion, kind, metadata: { name: pick(['a', 'b', 'c', 'web-config-1', 'web-config-2']), namespace: pick(['', 'prod', 'dev']) } }, 'x.yaml');
  };
  const orderOf = (list: Res[], opts: SortOptions) => {
    const at = new Map(list.map((r, i) => [r, i]));
    return sortResources(list, opts).map((r) => at.get(r)!);
  };

  for (const opts of [{ order: 'legacy' }, { order: 'legacy', orderFirst: ['Widget'], orderLast: ['Namespace'] }, { order: 'fifo' }] as SortOptions[]) {
    it(`puts changed objects back where a full sort puts them (${JSON.stringify(opts)})`, () => {
      for (let round = 0; round < 300; round++) {
        const before = Array.from({ length: 1 + Math.floor(rand() * 30) }, obj);
        const after = before.slice();
        const changed = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Math.floor(rand() * after.length)))].sort((a, b) => a - b);
        for (const i of changed) after[i] = obj();
        expect(resortChanged(orderOf(before, opts), after, changed, opts)).toEqual(orderOf(after, opts));
      }
    });
  }
});
