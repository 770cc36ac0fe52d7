import { describe, expect, it } from 'vitest';
import { defaultPair, mergeRevisions, previousOnSide } from './revisions';
import type { TimelineEvent } from './events';

const git = (key: string, at: string): TimelineEvent => ({ key, at, lane: 'git', objectId: 1, group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web', change: 'configured', actor: 'Ada', commit: { sha: 'abc' + key, subject: 'bump', pullRequest: null, authorEmail: 'a@x' } });

describe('object revisions', () => {
  const revs = mergeRevisions([git('g2', '2026-06-01T12:00:00Z'), git('g1', '2026-06-01T10:00:00Z')], [
    { id: 7, observedAt: '2026-06-01T12:01:00Z', change: 'configured', manager: 'kustomize-controller' },
    { id: 9, observedAt: '2026-06-01T13:00:00Z', change: 'configured', manager: 'kubectl-edit' },
  ]);

  it('merges Git and live revisions newest first with diff points', () => {
    expect(revs.map((r) => [r.side, r.point, r.who])).toEqual([
      ['live', 'live@2026-06-01T13:00:00Z', 'kubectl-edit'],
      ['live', 'live@2026-06-01T12:01:00Z', 'kustomize-controller'],
      ['desired', 'desired@2026-06-01T12:00:00Z', 'Ada'],
      ['desired', 'desired@2026-06-01T10:00:00Z', 'Ada'],
    ]);
  });

  it('compares the newest two by default, and a revision with the previous one on its side', () => {
    expect(defaultPair(revs)).toEqual({ a: 'live@2026-06-01T12:01:00Z', b: 'live@2026-06-01T13:00:00Z' });
    expect(defaultPair([])).toEqual({ a: 'desired', b: 'live' });
    expect(previousOnSide(revs, revs[2]!.key)?.point).toBe('desired@2026-06-01T10:00:00Z');
    expect(previousOnSide(revs, revs[3]!.key)).toBeNull();
  });
});
