import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../api/src/core/canonical';
import {
  argoCdOwnership,
  compareObject,
  compileCompareOptions,
  countsAsDrift,
  fluxOwnership,
  type CompareOptions,
  type ManagedFieldsEntry,
} from '../../../api/src/core/drift';

type Obj = Record<string, unknown>;
const opts: CompareOptions = { applierManagers: ['kustomize-controller'] };

const cm = (data: Obj, md: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop', ...md }, data });
const edit = (fieldsV1: Obj, manager = 'kubectl-edit', operation = 'Update'): ManagedFieldsEntry => ({ manager, operation, fieldsV1 });

describe('countsAsDrift', () => {
  it('counts missing, modified and orphaned; unmanaged only when asked', () => {
    expect(['in-sync', 'missing', 'modified', 'orphaned', 'unmanaged'].map((t) => countsAsDrift(t as never))).toEqual([false, true, true, true, false]);
    expect(countsAsDrift('unmanaged', { unmanaged: true })).toBe(true);
  });
});

describe('compareObject', () => {
  it('refuses to compare nothing with nothing', () => {
    expect(() => compareObject(null, null, opts)).toThrow();
  });

  it('returns the normalized desired side of a missing object', () => {
    const r = compareObject(cm({ A: '1' }, { creationTimestamp: null, labels: {} }), null, opts);
    expect(r).toMatchObject({ type: 'missing', changes: [], normalizedLive: null });
    expect(r.normalizedDesired).toEqual(cm({ A: '1' }));
  });

  it('tells orphaned from unmanaged with the environment helpers', () => {
    const live = { body: cm({}, { annotations: { 'argocd.argoproj.io/tracking-id': 'prod:/ConfigMap:shop/cfg' } }) };
    expect(compareObject(null, live, { ...opts, ownershipLabels: argoCdOwnership('prod') }).type).toBe('orphaned');
    expect(compareObject(null, live, { ...opts, ownershipLabels: argoCdOwnership('staging') }).type).toBe('unmanaged');
    const flux = { body: cm({}, { labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' } }) };
    expect(compareObject(null, flux, { ...opts, ownershipLabels: fluxOwnership('apps') }).type).toBe('orphaned');
    expect(compareObject(null, flux, { ...opts, ownershipLabels: fluxOwnership('apps', 'other') }).type).toBe('unmanaged');
  });

  it('does not modify its inputs', () => {
    const desired = cm({ A: '1', B: '' });
    const live = { body: cm({ A: '2', C: '3' }), managedFields: [edit({ 'f:data': {} })] };
    const before = canonicalJson([desired, live]);
    compareObject(desired, live, opts);
    expect(canonicalJson([desired, live])).toBe(before);
  });

  it('reports a type change of a field as one change', () => {
    const r = compareObject(cm({ A: '1' }), { body: cm({ A: { nested: true } }) }, opts);
    expect(r.changes).toEqual([{ pointer: '/data/A', path: 'data.A', op: 'changed', desired: '1', live: { nested: true }, reason: 'value' }]);
  });

  it('escapes pointer segments and brackets odd keys in paths', () => {
    const r = compareObject(cm({ 'a/b~c': 'x' }), { body: cm({ 'a/b~c': 'y' }) }, opts);
    expect(r.changes[0]).toMatchObject({ pointer: '/data/a~1b~0c', path: 'data[a/b~c]' });
  });

  it('compiles options once per options object', () => {
    expect(compileCompareOptions(opts)).toBe(compileCompareOptions(opts));
  });

  it('classifies managers: applier first, configured lists, then built-ins; unknown is not human', () => {
    const c = compileCompareOptions({ applierManagers: ['kubectl-client-side-apply'], humanManagers: ['ops-bot*'], controllerManagers: ['kubectl-patch'] });
    expect(['kubectl-client-side-apply', 'ops-bot-7', 'kubectl-patch', 'kubectl-edit', 'Mozilla/5.0 (X11)', 'kube-controller-manager', 'my-operator'].map(c.classify)).toEqual([
      'applier', 'human', 'controller', 'human', 'human', 'controller', 'unknown',
    ]);
  });

  it('falls back to positional comparison for keyed lists with duplicate keys', () => {
    const dep = (env: Obj[]): Obj => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'n' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i:1', env }] } } } });
    const r = compareObject(dep([{ name: 'A', value: '1' }, { name: 'A', value: '2' }]), { body: dep([{ name: 'A', value: '2' }, { name: 'A', value: '1' }]) }, opts);
    expect(r.changes.map((c) => c.pointer)).toEqual(['/spec/template/spec/containers/0/env/0/value', '/spec/template/spec/containers/0/env/1/value']);
  });

  describe('ignore rules', () => {
    const desired = cm({ A: '1', B: '2' });
    const live = { body: cm({ A: 'x', B: 'y', C: 'z' }), managedFields: [edit({ 'f:data': { 'f:A': {}, 'f:C': {} } }), edit({ 'f:data': { 'f:B': {} } }, 'kubectl-patch')] };

    it('match by kind/name glob and pointer prefix', () => {
      const r = compareObject(desired, live, { ...opts, ignore: [{ kind: 'Config*', name: 'c?g', pointer: '/data' }] });
      expect(r.type).toBe('in-sync');
      expect(r.normalizedLive).toEqual(r.normalizedDesired);
    });

    it('do nothing when a selector does not match', () => {
      const r = compareObject(desired, live, { ...opts, ignore: [{ kind: 'Secret', pointer: '/data' }, { namespace: 'other', manager: 'kubectl-*' }] });
      expect(r.changes.map((c) => c.pointer).sort()).toEqual(['/data/A', '/data/B', '/data/C']);
    });

    it('ignore the fields a manager owns, anywhere or under a pointer', () => {
      expect(compareObject(desired, live, { ...opts, ignore: [{ manager: 'kubectl-patch' }] }).changes.map((c) => c.pointer)).toEqual(['/data/A', '/data/C']);
      expect(compareObject(desired, live, { ...opts, ignore: [{ pointer: '/data/C', manager: 'kubectl-edit' }] }).changes.map((c) => c.pointer)).toEqual(['/data/A', '/data/B']);
      expect(compareObject(desired, live, { ...opts, ignore: [{ pointer: '/metadata', manager: 'kubectl-edit' }] }).changes).toHaveLength(3);
    });
  });

  describe('live-only fields and their owners', () => {
    const desired = cm({ A: '1' });
    const body = cm({ A: '1', B: '2' });
    const type = (managedFields: ManagedFieldsEntry[], lastApplied?: Obj, o: CompareOptions = opts) =>
      compareObject(desired, { body, managedFields, ...(lastApplied ? { lastApplied } : {}) }, o).changes.map((c) => [c.reason, c.manager]);

    it('applier via Apply → applier-removed; via Update → not drift without last-applied', () => {
      expect(type([edit({ 'f:data': { 'f:B': {} } }, 'kustomize-controller', 'Apply')])).toEqual([['applier-removed', 'kustomize-controller']]);
      expect(type([edit({ 'f:data': { 'f:B': {} } }, 'kustomize-controller', 'Update')])).toEqual([]);
    });

    it('last-applied speaks for the applier unless only a human wrote it', () => {
      const la = cm({ A: '1', B: '2' });
      const annotation = { 'f:metadata': { 'f:annotations': { 'f:kubectl.kubernetes.io/last-applied-configuration': {} } } };
      expect(type([], la)).toEqual([['applier-removed', 'kustomize-controller']]);
      expect(type([edit(annotation, 'argocd-application-controller')], la)).toEqual([['applier-removed', 'argocd-application-controller']]);
      expect(type([edit(annotation, 'kubectl-client-side-apply')], la)).toEqual([]);
    });

    it('human → hand-added; controller, unknown or nobody → not drift', () => {
      expect(type([edit({ 'f:data': { 'f:B': {} } }, 'kubectl-patch')])).toEqual([['hand-added', 'kubectl-patch']]);
      expect(type([edit({ 'f:data': { 'f:B': {} } }, 'kube-controller-manager')])).toEqual([]);
      expect(type([edit({ 'f:data': { 'f:B': {} } }, 'some-operator')])).toEqual([]);
      expect(type([])).toEqual([]);
      expect(type([edit({ 'f:data': { 'f:B': {} } }, 'some-operator')], undefined, { ...opts, humanManagers: ['some-*'] })).toEqual([['hand-added', 'some-operator']]);
    });
  });

  it('gives the same answer on repeated comparisons of a realistic Deployment (reused compiled options)', () => {
    const dep = (replicas: number, extra: Obj = {}): Obj => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '3' } },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'web', image: 'web:1', ports: [{ containerPort: 8080, name: 'http' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], resources: { requests: { cpu: '100m', memory: '128Mi' } }, ...extra },
            ],
          },
        },
      },
    });
    const desired = dep(2);
    const liveBody = dep(2, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    const live = { body: liveBody, managedFields: [edit({ 'f:spec': { 'f:replicas': {} } }, 'kustomize-controller', 'Apply')] };
    // Repeated comparisons reuse the compiled options and give the same answer (speed is measured in bench/drift).
    const first = compareObject(desired, live, opts);
    for (let i = 0; i < 200; i++) expect(compareObject(desired, live, opts).type).toBe(first.type);
    expect(first.type).toBe('in-sync');
  });
});

describe('last-applied lookups through keyed lists', () => {
  it('finds a container port by merge key even when last-applied omits the defaulted protocol', () => {
    const svc = (ports: Obj[]): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { ports } });
    const desired = svc([{ name: 'http', port: 80 }]);
    const live = svc([{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }, { name: 'admin', port: 9000, protocol: 'TCP', targetPort: 9000 }]);
    const lastApplied = svc([{ name: 'http', port: 80 }, { name: 'admin', port: 9000 }]);
    const r = compareObject(desired, { body: live, lastApplied }, { applierManagers: ['argocd-controller'] });
    expect(r.changes.map((c) => [c.pointer, c.reason, c.path])).toEqual([['/spec/ports/1', 'applier-removed', 'spec.ports[9000/TCP]']]);
  });
});
