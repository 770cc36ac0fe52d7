import { describe, expect, it } from 'vitest';
import { objectsDelta, objectsOf, type WireObjects } from '../../../api/src/git/render-pool';

type Obj = Record<string, unknown>;
const obj = (name: string, image: string): Obj => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'prod' }, spec: { template: { spec: { containers: [{ name, image }] } } } });
/** What the indexer rebuilds from what a worker sends (after a structured clone, as between threads). */
const roundTrip = (previous: Obj[] | undefined, next: Obj[]) => objectsOf(structuredClone(objectsDelta(previous, next)), previous && structuredClone(previous), 'overlays/prod');

describe('render worker object lists', () => {
  const before = Array.from({ length: 10 }, (_, i) => obj(`app${i}`, `img:${i}`));

  it('sends only the places that hold another object, and the indexer keeps its own instances of the others', () => {
    const next = before.slice();
    next[3] = obj('app3', 'img:3-new');
    const delta = objectsDelta(before, next);
    expect(delta).toEqual({ length: 10, changed: [[3, next[3]]] });
    const mine = structuredClone(before);
    const rebuilt = objectsOf(structuredClone(delta), mine, 'overlays/prod');
    expect(rebuilt).toEqual(next);
    expect(rebuilt[2]).toBe(mine[2]);
    expect(rebuilt[3]).not.toBe(mine[3]);
  });

  it('says "unchanged" when every place holds the same instance, and the indexer gets its previous list itself', () => {
    const mine = structuredClone(before);
    expect(objectsOf(objectsDelta(before, before.slice()), mine, 'overlays/prod')).toBe(mine);
  });

  it('counts an equal object that is another instance as changed, unless told how to compare', () => {
    const copy = before.slice();
    copy[5] = structuredClone(before[5]!);
    expect(objectsDelta(before, copy)).toEqual({ length: 10, changed: [[5, copy[5]]] });
    const same = (a: Obj, b: Obj) => JSON.stringify(a) === JSON.stringify(b);
    expect(objectsDelta(before, copy, same)).toEqual({ length: 10, changed: [] });
  });

  it('sends the whole list the first time, when the length changes, or when most objects changed', () => {
    expect(objectsDelta(undefined, before)).toEqual({ full: before });
    expect(objectsDelta(before, before.slice(0, 9))).toEqual({ full: before.slice(0, 9) });
    const most = before.map((o, i) => (i < 6 ? obj(`app${i}`, 'x') : o));
    expect(objectsDelta(before, most)).toEqual({ full: most });
    for (const next of [before.slice(0, 9), most, [...before, obj('app10', 'img:10')]]) expect(roundTrip(before, next)).toEqual(next);
    expect(roundTrip(undefined, before)).toEqual(before);
  });

  it('refuses changes that have nothing to apply to, naming the entry', () => {
    const changes: WireObjects<Obj> = { length: 1, changed: [[0, before[0]!]] };
    expect(() => objectsOf(changes, undefined, 'overlays/prod')).toThrow(/overlays\/prod without a previous render/);
  });
});
