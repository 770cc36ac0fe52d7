import { describe, expect, it } from 'vitest';
import { compareObject, type CompareOptions, type ManagedFieldsEntry } from '../../../api/src/core/drift';
import {
  defaultImagePullPolicy,
  isDefaultIpFamilyPolicy,
  isDefaultPodToleration,
  semanticEqual,
} from '../../../api/src/core/drift/normalizers';

type Obj = Record<string, unknown>;
const opts: CompareOptions = { applierManagers: ['kustomize-controller'], trace: true };

/** Everything a human owns: any live-only non-default field becomes drift, so only normalizers can excuse it. */
const humanOwnsAll: ManagedFieldsEntry[] = [{ manager: 'kubectl-edit', operation: 'Update', fieldsV1: { 'f:spec': {}, 'f:metadata': {}, 'f:data': {}, 'f:rules': {}, 'f:type': {} } }];

function run(desired: Obj, live: Obj) {
  return compareObject(desired, { body: live, managedFields: humanOwnsAll }, opts);
}

const deployment = (podSpec: Obj, spec: Obj = {}): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'web' } }, ...spec, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } },
});
const container = (extra: Obj = {}): Obj => ({ name: 'web', image: 'web:1.0', ...extra });

describe('defaultImagePullPolicy', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['docker.io/library/nginx:1.27', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:2.0', 'IfNotPresent'],
    ['app@sha256:abc', 'IfNotPresent'],
    ['app:latest@sha256:abc', 'Always'],
  ])('%s → %s', (image, policy) => expect(defaultImagePullPolicy(image)).toBe(policy));
});

describe('small predicates', () => {
  it('ipFamilyPolicy is SingleStack, or dual-stack only when two families were allocated', () => {
    expect(isDefaultIpFamilyPolicy('SingleStack', {})).toBe(true);
    expect(isDefaultIpFamilyPolicy('PreferDualStack', { ipFamilies: ['IPv4'] })).toBe(false);
    expect(isDefaultIpFamilyPolicy('PreferDualStack', { ipFamilies: ['IPv4', 'IPv6'] })).toBe(true);
  });
  it('recognises the tolerations DefaultTolerationSeconds adds', () => {
    expect(isDefaultPodToleration({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 })).toBe(true);
    expect(isDefaultPodToleration({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 })).toBe(false);
  });
  it('semanticEqual ignores key order, nulls and empty containers', () => {
    expect(semanticEqual({ a: 1, b: { c: [] }, d: null }, { a: 1 })).toBe(true);
    expect(semanticEqual([{ a: 1 }], [{ a: 2 }])).toBe(false);
  });
});

/**
 * One case per normalizer: the live side has what the API server would add
 * (and a human "owns" everything, so without the normalizer it would be drift),
 * then a counter-example that must stay drift.
 */
const cases: { name: string; desired: Obj; live: Obj; drift: Obj }[] = [
  {
    name: 'imagePullPolicy',
    desired: deployment({ containers: [container()] }),
    live: deployment({ containers: [container({ imagePullPolicy: 'IfNotPresent' })] }),
    drift: deployment({ containers: [container({ imagePullPolicy: 'Never' })] }),
  },
  {
    name: 'containerDefaults',
    desired: deployment({ containers: [container()] }),
    live: deployment({ containers: [container({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' })] }),
    drift: deployment({ containers: [container({ terminationMessagePolicy: 'FallbackToLogsOnError' })] }),
  },
  {
    name: 'probeDefaults',
    desired: deployment({ containers: [container({ readinessProbe: { httpGet: { port: 80 } } })] }),
    live: deployment({
      containers: [container({ readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 } })],
    }),
    drift: deployment({ containers: [container({ readinessProbe: { httpGet: { port: 80 }, periodSeconds: 60 } })] }),
  },
  {
    name: 'protocolTCP',
    desired: deployment({ containers: [container({ ports: [{ containerPort: 80 }] })] }),
    live: deployment({ containers: [container({ ports: [{ containerPort: 80, protocol: 'TCP' }] })] }),
    drift: deployment({ containers: [container({ ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }] })] }),
  },
  {
    name: 'hostNetworkHostPort',
    desired: deployment({ hostNetwork: true, containers: [container({ ports: [{ containerPort: 80 }] })] }),
    live: deployment({ hostNetwork: true, containers: [container({ ports: [{ containerPort: 80, hostPort: 80 }] })] }),
    drift: deployment({ containers: [container({ ports: [{ containerPort: 80, hostPort: 80 }] })] }),
  },
  {
    name: 'podSpecDefaults',
    desired: deployment({ containers: [container()] }),
    live: deployment({ containers: [container()], dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' }),
    drift: deployment({ containers: [container()], dnsPolicy: 'Default' }),
  },
  {
    name: 'serviceAccountAlias',
    desired: deployment({ serviceAccountName: 'app', containers: [container()] }),
    live: deployment({ serviceAccountName: 'app', serviceAccount: 'app', containers: [container()] }),
    drift: deployment({ serviceAccountName: 'app', serviceAccount: 'other', containers: [container()] }),
  },
  {
    name: 'volumeSourceDefaults',
    desired: deployment({ containers: [container()], volumes: [{ name: 'c', configMap: { name: 'c' } }] }),
    live: deployment({ containers: [container()], volumes: [{ name: 'c', configMap: { name: 'c', defaultMode: 420 } }] }),
    drift: deployment({ containers: [container()], volumes: [{ name: 'c', configMap: { name: 'c', defaultMode: 256 } }] }),
  },
  {
    name: 'fieldRefDefaults',
    desired: deployment({ containers: [container({ env: [{ name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }] })] }),
    live: deployment({ containers: [container({ env: [{ name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace', apiVersion: 'v1' } } }] })] }),
    drift: deployment({ containers: [container({ env: [{ name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace', apiVersion: 'v2' } } }] })] }),
  },
  {
    name: 'deploymentDefaults',
    desired: deployment({ containers: [container()] }),
    live: deployment({ containers: [container()] }, { replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }),
    drift: deployment({ containers: [container()] }, { revisionHistoryLimit: 3 }),
  },
  {
    name: 'keyedListOrder',
    desired: deployment({ containers: [container({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] })] }),
    live: deployment({ containers: [container({ env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] })] }),
    drift: deployment({ containers: [container({ env: [{ name: 'B', value: '2' }, { name: 'A', value: '3' }] })] }),
  },
  {
    name: 'quantity',
    desired: deployment({ containers: [container({ resources: { limits: { memory: '0.5Gi' } } })] }),
    live: deployment({ containers: [container({ resources: { limits: { memory: '512Mi' } } })] }),
    drift: deployment({ containers: [container({ resources: { limits: { memory: '512M' } } })] }),
  },
  {
    name: 'zeroEqualsAbsent',
    desired: deployment({ hostIPC: false, containers: [container({ workingDir: '' })] }, { minReadySeconds: 0 }),
    live: deployment({ containers: [container()] }),
    drift: deployment({ hostIPC: true, containers: [container()] }),
  },
  {
    name: 'ignoreRule',
    desired: deployment({ containers: [container()] }),
    live: deployment({ containers: [container()] }, { paused: true }),
    drift: deployment({ containers: [container()] }, { paused: true, minReadySeconds: 5 }),
  },
];

describe.each(cases)('normalizer $name', ({ name, desired, live, drift }) => {
  const withRule: CompareOptions = { ...opts, ignore: [{ kind: 'Deployment', pointer: '/spec/paused' }] };
  it('treats the API server form as in sync', () => {
    const r = compareObject(desired, { body: live, managedFields: humanOwnsAll }, name === 'ignoreRule' ? withRule : opts);
    expect(r.changes).toEqual([]);
    expect(r.normalizers).toContain(name);
  });
  it('still reports a real difference', () => {
    const r = compareObject(desired, { body: drift, managedFields: humanOwnsAll }, name === 'ignoreRule' ? withRule : opts);
    expect(r.type).toBe('modified');
  });
});

describe('normalizers on other kinds', () => {
  it('serviceTargetPort: targetPort equal to port is the default, another number is not', () => {
    const svc = (port: Obj): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { ports: [port] } });
    expect(run(svc({ port: 80 }), svc({ port: 80, targetPort: 80, protocol: 'TCP' })).normalizers).toContain('serviceTargetPort');
    expect(run(svc({ port: 80 }), svc({ port: 80, targetPort: 8080 })).changes.map((c) => c.pointer)).toEqual(['/spec/ports/0/targetPort']);
  });

  it('serverAssigned: a clusterIP only live has is not drift, but one Git sets and live lacks is', () => {
    const svc = (spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec });
    expect(run(svc({}), svc({ clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'] })).type).toBe('in-sync');
    expect(run(svc({ clusterIP: 'None' }), svc({})).changes.map((c) => c.pointer)).toEqual(['/spec/clusterIP']);
  });

  it('secretDefaults and setOrder', () => {
    const secret = (extra: Obj): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, ...extra });
    expect(run(secret({}), secret({ type: 'Opaque' })).normalizers).toContain('secretDefaults');
    expect(run(secret({}), secret({ type: 'kubernetes.io/tls' })).type).toBe('modified');
    const role = (verbs: string[]): Obj => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'n' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs }] });
    expect(run(role(['get', 'list']), role(['list', 'get'])).normalizers).toContain('setOrder');
    expect(run(role(['get', 'list']), role(['list', 'get', 'delete'])).type).toBe('modified');
  });

  it('jobDefaults: completions 1 is a default only when Git sets no parallelism', () => {
    const job = (spec: Obj): Obj => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'n' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [container()] } }, ...spec } });
    expect(run(job({}), job({ completions: 1, parallelism: 1, backoffLimit: 6 })).type).toBe('in-sync');
    expect(run(job({ parallelism: 3 }), job({ parallelism: 3, completions: 1 })).type).toBe('modified');
  });

  it('emptyEqualsAbsent and nullEqualsAbsent apply to custom resources; zeroEqualsAbsent does not', () => {
    const cr = (spec: Obj): Obj => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n' }, spec });
    expect(run(cr({ a: {}, b: [], c: null, d: 1 }), cr({ d: 1 })).type).toBe('in-sync');
    expect(run(cr({ enabled: false }), cr({})).changes.map((c) => c.pointer)).toEqual(['/spec/enabled']);
  });
});
