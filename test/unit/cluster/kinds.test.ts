import { describe, expect, it } from 'vitest';
import { parseKindRef, selectKinds, DEFAULT_EXCLUDED_KINDS } from '../../../api/src/cluster/kinds';
import type { ApiResource } from '../../../api/src/cluster/discovery';

const rw = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const r = (group: string, kind: string, namespaced = true, verbs = rw): ApiResource => ({ group, version: group ? 'v1' : 'v1', kind, plural: `${kind.toLowerCase()}s`, namespaced, verbs });
const served = [
  r('', 'ConfigMap'),
  r('', 'Secret'),
  r('', 'Pod'),
  r('', 'Event'),
  r('events.k8s.io', 'Event'),
  r('', 'Namespace', false),
  r('', 'Binding', true, ['create']),
  r('apps', 'Deployment'),
  r('apps', 'ReplicaSet'),
  r('networking.k8s.io', 'Ingress'),
  r('example.com', 'Widget'),
];
const keys = (list: ApiResource[]) => list.map((x) => `${x.group}/${x.kind}`);

describe('kind selection', () => {
  it('parses kind references', () => {
    expect(parseKindRef('apps/Deployment')).toEqual({ group: 'apps', kind: 'Deployment' });
    expect(parseKindRef('Deployment')).toEqual({ group: null, kind: 'Deployment' });
    expect(parseKindRef('core/ConfigMap')).toEqual({ group: '', kind: 'ConfigMap' });
    expect(parseKindRef('/ConfigMap')).toEqual({ group: '', kind: 'ConfigMap' });
    expect(parseKindRef('*')).toEqual({ group: null, kind: '*' });
  });

  it('watches desired kinds plus configured kinds, minus the noise list', () => {
    const s = selectKinds(served, { desired: [{ group: 'apps', kind: 'Deployment' }, { group: '', kind: 'Pod' }, { group: 'example.com', kind: 'Gadget' }], kinds: ['ConfigMap', 'networking.k8s.io/Ingress'] });
    expect(keys(s.watched)).toEqual(['/ConfigMap', 'apps/Deployment', 'networking.k8s.io/Ingress']);
    expect(s.missing).toEqual(['example.com/Gadget']);
    expect(s.skipped).toEqual([{ kind: '/Pod', reason: 'excluded' }]);
  });

  it('a bare kind name prefers the core group; an explicitly configured noise kind is watched', () => {
    expect(keys(selectKinds(served, { desired: [], kinds: ['Event'] }).watched)).toEqual(['/Event']);
    expect(keys(selectKinds(served, { desired: [], kinds: ['events.k8s.io/Event', 'ReplicaSet'] }).watched)).toEqual(['apps/ReplicaSet', 'events.k8s.io/Event']);
  });

  it('"*" watches every listable and watchable kind except the noise; excludeKinds replaces the noise list', () => {
    expect(keys(selectKinds(served, { desired: [], kinds: ['*'] }).watched)).toEqual(['/ConfigMap', '/Namespace', '/Secret', 'apps/Deployment', 'example.com/Widget', 'networking.k8s.io/Ingress']);
    const s = selectKinds(served, { desired: [], kinds: ['*', 'Secret'], excludeKinds: ['Secret', 'example.com/*'] });
    expect(keys(s.watched)).toEqual(['/ConfigMap', '/Event', '/Namespace', '/Pod', 'apps/Deployment', 'apps/ReplicaSet', 'events.k8s.io/Event', 'networking.k8s.io/Ingress']);
    expect(s.skipped).toContainEqual({ kind: '/Secret', reason: 'excluded' });
    expect(selectKinds(served, { desired: [], kinds: ['Binding'] }).skipped).toEqual([{ kind: '/Binding', reason: 'not listable and watchable' }]);
    expect(DEFAULT_EXCLUDED_KINDS).toContain('Lease');
  });
});
