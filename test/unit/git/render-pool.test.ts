import { describe, expect, it } from 'vitest';
import { objectsDelta, objectsOf, type WireRender } from '../../../api/src/git/render-pool';
import type { RenderedObject } from '../../../api/src/git/render-entries';

const obj = (name: string, hash: string): RenderedObject => ({ key: `apps|Deployment|prod|${name}`, identity: { group: 'apps', kind: 'Deployment', namespace: 'prod', name }, hash });
const wire = (objects: WireRender['objects']): WireRender => ({ env: 0, dir: 'overlays/prod', closure: null, problems: [], objects, refs: [] });
/** What the indexer rebuilds from what a worker sends (after a structured clone, as between threads). */
const roundTrip = (previous: RenderedObject[] | undefined, next: RenderedObject[]) => objectsOf(wire(structuredClone(objectsDelta(previous, next))), previous && structuredClone(previous));

describe('render worker object lists', () => {
  const before = Array.from({ length: 10 }, (_, i) => obj(`app${i}`, `h${i}`));

  it('sends only the objects that changed, and the indexer keeps its own instances of the others', () => {
    const next = before.slice();
    next[3] = obj('app3', 'h3-new');
    const delta = objectsDelta(before, next);
    expect(delta).toEqual({ length: 10, changed: [[3, next[3]]] });
    const mine = structuredClone(before);
    const rebuilt = objectsOf(wire(delta), mine);
    expect(rebuilt).toEqual(next);
    expect(rebuilt[2]).toBe(mine[2]);
  });

  it('says "unchanged" for an equal list, and the indexer gets its previous list itself', () => {
    const mine = structuredClone(before);
    expect(objectsOf(wire(objectsDelta(before, structuredClone(before))), mine)).toBe(mine);
  });

  it('sends the whole list the first time, when the length changes, or when most objects changed', () => {
    expect(objectsDelta(undefined, before)).toEqual({ full: before });
    expect(objectsDelta(before, before.slice(0, 9))).toEqual({ full: before.slice(0, 9) });
    const most = before.map((o, i) => (i < 6 ? obj(o.identity.name, 'x') : o));
    expect(objectsDelta(before, most)).toEqual({ full: most });
    for (const next of [before.slice(0, 9), most, [...before, obj('app10', 'h10')]]) expect(roundTrip(before, next)).toEqual(next);
    expect(roundTrip(undefined, before)).toEqual(before);
  });

  it('refuses changes that have nothing to apply to', () => {
    expect(() => objectsOf(wire({ length: 1, changed: [[0, before[0]!]] }), undefined)).toThrow(/without a previous render/);
  });
});
