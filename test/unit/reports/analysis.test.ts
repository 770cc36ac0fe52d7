import { describe, expect, it } from 'vitest';
import { ObjectWalker, OutOfBandResult, ReachResult, WalkerDeps } from '../../../api/src/reports/analysis';
import type { CompareResult, ManagerClass } from '../../../api/src/core/drift';

/**
 * Documents are plain strings here: desired "v2" and live "v2" or "v2+defaults" are in sync,
 * anything else differs; a live document with "+debug" has a hand-added field.
 */
function harness() {
  const reached: ReachResult[] = [];
  const oob: OutOfBandResult[] = [];
  const base = (d: string | null) => d?.replace(/\+defaults$/, '').replace(/\+debug$/, '') ?? null;
  const inSync = (d: string | null, l: string | null) => (d === null && l === null) || (d !== null && l !== null && !l.endsWith('+debug') && base(l) === d);
  const deps: WalkerDeps = {
    applier: 'kustomize-controller',
    inSync,
    compare: (d, l): CompareResult => {
      if (l === null) return { type: 'missing', changes: [], normalizedDesired: {}, normalizedLive: null };
      if (d === null) return { type: 'unmanaged', changes: [], normalizedDesired: null, normalizedLive: {} };
      const changes = [];
      if (base(l) !== d) changes.push({ pointer: '/spec/image', path: 'spec.image', op: 'changed' as const, reason: 'value' as const });
      if (l.endsWith('+debug')) changes.push({ pointer: '/spec/env/DEBUG', path: 'spec.env[DEBUG]', op: 'added' as const, reason: 'hand-added' as const });
      return { type: changes.length ? 'modified' : 'in-sync', changes, normalizedDesired: {}, normalizedLive: {} };
    },
    classify: (m): ManagerClass => (m === 'kustomize-controller' ? 'applier' : m?.startsWith('kubectl') ? 'human' : m === 'hpa' ? 'controller' : 'unknown'),
    describe: (r) => r.changes.map((c) => c.path).join('; ') || r.type,
    paths: () => [],
    unreached: (_at, deleted) => (deleted ? 'never pruned' : 'never applied'),
    reach: (r) => reached.push(r),
    outOfBand: (r) => oob.push(r),
  };
  return { deps, reached, oob };
}

const t = (min: number) => new Date(Date.UTC(2026, 6, 1, 0, min));
const git = (id: number, min: number, doc: string | null, record = true) => ({ source: 'git' as const, at: t(min), id, seq: id, doc, commit: `c${id}`.padEnd(40, '0'), record });
const live = (id: number, min: number, doc: string | null, manager: string | null, record = true) => ({ source: 'live' as const, at: t(min), id, doc, meta: null, manager, operation: manager ? 'Update' : null, record });

describe('ObjectWalker', () => {
  it('a change reaches the cluster at the first live state in sync with it (defaults allowed), not before', () => {
    const { deps, reached, oob } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v1+defaults', meta: null, id: 1 });
    w.push(git(10, 0, 'v2'));
    w.push(live(11, 1, 'v1.5', 'kustomize-controller')); // something else: not the change
    w.push(live(12, 3, 'v2+defaults', 'kustomize-controller'));
    w.finish();
    expect(reached).toEqual([expect.objectContaining({ revisionId: 10, reachedAt: t(3), liveRevisionId: 12, reason: null })]);
    // The applier's intermediate state differs from Git in a way it did before: not out of band.
    expect(oob).toEqual([]);
  });

  it('a change overtaken by the next commit before it showed is superseded; the next one is reached', () => {
    const { deps, reached } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v1', meta: null, id: 1 });
    w.push(git(10, 0, 'v2'));
    w.push(git(11, 1, 'v3'));
    w.push(live(12, 2, 'v3', 'kustomize-controller'));
    w.finish();
    expect(reached.map((r) => [r.revisionId, r.reachedAt, r.reason])).toEqual([
      [10, null, `not observed: superseded by commit ${'c11'.padEnd(12, '0')} at ${t(1).toISOString()}`],
      [11, t(2), null],
    ]);
  });

  it('already live when committed: reached at the commit, with a note; never applied otherwise', () => {
    const { deps, reached } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v2', meta: null, id: 7 });
    w.push(git(10, 5, 'v2'));
    w.push(git(11, 6, 'v3'));
    w.finish();
    expect(reached).toEqual([
      expect.objectContaining({ revisionId: 10, reachedAt: t(5), liveRevisionId: 7, note: 'already in the cluster when committed' }),
      expect.objectContaining({ revisionId: 11, reachedAt: null, reason: 'never applied' }),
    ]);
  });

  it('a deletion is reached when the object is gone', () => {
    const { deps, reached } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v1', meta: null, id: 1 });
    w.push(git(10, 0, null));
    w.push(live(11, 2, null, null));
    w.finish();
    expect(reached).toEqual([expect.objectContaining({ revisionId: 10, reachedAt: t(2), liveRevisionId: 11 })]);
  });

  it('a person’s change is out of band, and lasts until the object is back in sync', () => {
    const { deps, oob } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v1', meta: null, id: 1 });
    w.push(live(11, 10, 'v1+debug', 'kubectl-edit'));
    w.push(live(12, 20, 'v1', 'kustomize-controller'));
    w.finish();
    expect(oob).toEqual([expect.objectContaining({ revisionId: 11, observedAt: t(10), endedAt: t(20), managerClass: 'human', summary: 'spec.env[DEBUG]' })]);
  });

  it('a person’s change that leaves the object as Git says is still out of band, lasting no time', () => {
    const { deps, oob } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v1+debug', meta: null, id: 1 });
    w.push(live(11, 10, 'v1', 'kubectl-edit'));
    w.finish();
    expect(oob).toEqual([expect.objectContaining({ revisionId: 11, endedAt: t(10), summary: '' })]);
  });

  it('a controller or unknown tool is out of band only when it adds a difference from Git', () => {
    const { deps, oob } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v1', meta: null, id: 1 });
    w.push(live(11, 1, 'v1+defaults', 'hpa')); // in sync: fine
    w.push(live(12, 2, 'v9', 'some-operator')); // a value Git sets, changed: out of band
    w.push(git(13, 3, 'v9')); // Git adopts it: back in sync
    w.finish();
    expect(oob.map((o) => [o.revisionId, o.managerClass, o.endedAt])).toEqual([[12, 'unknown', t(3)]]);
    expect(oob[0]!.reason).toBe('some-operator (Update) left the object differing from Git: spec.image');
  });

  it('a deletion nobody asked for is out of band; changes to objects Git does not describe count only from people', () => {
    const a = harness();
    const w = new ObjectWalker(a.deps, 'v1', { doc: 'v1', meta: null, id: 1 });
    w.push(live(11, 1, null, null));
    w.finish();
    expect(a.oob.map((o) => [o.revisionId, o.reason, o.endedAt])).toEqual([[11, 'deleted outside Git by an unattributed change', null]]);
    const b = harness();
    const u = new ObjectWalker(b.deps, null, { doc: null, meta: null, id: null });
    u.push(live(21, 1, 'rs-1', 'kube-controller-manager'));
    u.push(live(22, 2, 'cm-by-hand', 'kubectl-create'));
    u.finish();
    expect(b.oob.map((o) => o.revisionId)).toEqual([22]);
  });

  it('live changes outside the window only settle earlier ones', () => {
    const { deps, oob, reached } = harness();
    const w = new ObjectWalker(deps, 'v1', { doc: 'v1', meta: null, id: 1 });
    w.push(git(10, 0, 'v2'));
    expect(w.needsMore).toBe(true);
    w.push(live(11, 100, 'v2', 'kubectl-apply', false));
    expect(w.needsMore).toBe(false);
    w.finish();
    expect(reached[0]!.reachedAt).toEqual(t(100));
    expect(oob).toEqual([]);
  });
});
