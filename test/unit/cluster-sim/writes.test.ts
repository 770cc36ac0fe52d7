import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../../api/src/cluster/sim';
import { configMap, deployment, startSim, statusOf } from './support';

let sim: SimCluster;
let kc: k8s.KubeConfig;

afterEach(async () => {
  await sim.stop();
});

/** A settable simulated clock. */
function clock(start: string) {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (s: number) => (t += s * 1000) };
}

const webRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' };

describe('managedFields', () => {
  it('records each manager, its operation and time, and moves ownership of a field to whoever changed it last', async () => {
    const c = clock('2025-03-01T14:00:00Z');
    ({ sim, kc } = await startSim({ now: c.now }));
    sim.apply(deployment('web', 'nginx:1.25', 2), { manager: 'kustomize-controller', operation: 'Apply', time: '2025-03-01T13:00:00Z' });
    c.advance(60);

    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const patched = await objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } } as k8s.KubernetesObject,
      undefined,
      undefined,
      'sre-hotfix',
      undefined,
      k8s.PatchStrategy.StrategicMergePatch,
    );
    const mf = (patched.metadata?.managedFields ?? []).map((e) => ({ manager: e.manager, operation: e.operation, time: new Date(e.time as unknown as string).toISOString(), fieldsType: e.fieldsType }));
    expect(mf).toEqual([
      { manager: 'kustomize-controller', operation: 'Apply', time: '2025-03-01T13:00:00.000Z', fieldsType: 'FieldsV1' },
      { manager: 'sre-hotfix', operation: 'Update', time: '2025-03-01T14:01:00.000Z', fieldsType: 'FieldsV1' },
    ]);

    const raw = sim.get(webRef)!;
    const [applier, hotfix] = raw.metadata.managedFields;
    const container = 'k:{"name":"web"}';
    expect(hotfix.fieldsV1).toEqual({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { [container]: { 'f:image': {} } } } } } });
    expect(applier.fieldsV1['f:spec']['f:replicas']).toEqual({});
    expect(applier.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'][container]['f:image']).toBeUndefined();
    expect(applier.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'][container]['f:name']).toEqual({});
    // Server-side apply owns only what it applied, not the defaults the server added.
    expect(applier.fieldsV1['f:spec']['f:revisionHistoryLimit']).toBeUndefined();
    expect(raw.spec.revisionHistoryLimit).toBe(10);
  });

  it('takes the manager from ?fieldManager= and otherwise from the User-Agent, like the API server', async () => {
    ({ sim, kc } = await startSim());
    const post = (query: string, ua: string, name: string) =>
      fetch(`${sim.url}/api/v1/namespaces/default/configmaps${query}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': ua },
        body: JSON.stringify(configMap(name, { a: '1' })),
      });
    expect((await post('?fieldManager=argocd-controller', 'argocd-application-controller/v2.9', 'x')).status).toBe(201);
    expect((await post('', 'helm/v3.14.0 (linux/amd64)', 'y')).status).toBe(201);
    const managers = (name: string) => sim.get({ apiVersion: 'v1', kind: 'ConfigMap', name })!.metadata.managedFields.map((e: any) => `${e.manager}:${e.operation}`);
    expect(managers('x')).toEqual(['argocd-controller:Update']);
    expect(managers('y')).toEqual(['helm:Update']);
  });

  it('server-side apply removes the fields a manager stops applying, and keeps fields another manager owns', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('cfg', { a: '1', b: '2' }), { manager: 'flux', operation: 'Apply' });
    sim.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg' }, { data: { c: '3' } }, { manager: 'kubectl-edit' });
    sim.apply(configMap('cfg', { a: '1' }), { manager: 'flux', operation: 'Apply' });
    expect(sim.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg' })!.data).toEqual({ a: '1', c: '3' });
  });
});

describe('writes', () => {
  it('bumps generation on spec changes only, and resourceVersion on every change', async () => {
    ({ sim, kc } = await startSim());
    const created = sim.apply(deployment('web'));
    expect(created.metadata).toMatchObject({ generation: 1, uid: expect.stringMatching(/^[0-9a-f-]{36}$/), creationTimestamp: expect.stringMatching(/Z$/) });
    const labelled = sim.patch(webRef, { metadata: { labels: { team: 'a' } } });
    expect(labelled.metadata.generation).toBe(1);
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const scaled = sim.patch(webRef, { spec: { replicas: 5 } });
    expect(scaled.metadata.generation).toBe(2);
    // A write that changes nothing is not a change.
    const same = sim.patch(webRef, { spec: { replicas: 5 } });
    expect(same.metadata.resourceVersion).toBe(scaled.metadata.resourceVersion);
  });

  it('applies strategic merge patches by container name, with $patch: delete, and JSON patches', async () => {
    ({ sim, kc } = await startSim());
    const d = deployment('web');
    (d.spec.template.spec.containers as any[]).push({ name: 'sidecar', image: 'envoy:1', env: [{ name: 'A', value: '1' }] });
    sim.apply(d);
    const url = `${sim.url}/apis/apps/v1/namespaces/default/deployments/web`;
    const patch = async (type: string, body: unknown) => {
      const res = await fetch(url, { method: 'PATCH', headers: { 'Content-Type': type }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };

    let r = await patch('application/strategic-merge-patch+json', {
      spec: { template: { spec: { containers: [{ name: 'sidecar', env: [{ name: 'B', value: '2' }] }, { name: 'web', $patch: 'delete' }] } } },
    });
    expect(r.status).toBe(200);
    expect(r.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['sidecar']);
    expect(r.body.spec.template.spec.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(r.body.spec.template.spec.containers[0].image).toBe('envoy:1');

    r = await patch('application/json-patch+json', [{ op: 'replace', path: '/spec/replicas', value: 7 }]);
    expect(r.body.spec.replicas).toBe(7);
    r = await patch('application/json-patch+json', [{ op: 'test', path: '/spec/replicas', value: 1 }]);
    expect(r.status).toBe(422);
    r = await patch('application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'only', image: 'busybox' }] } } } });
    expect(r.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['only']);
    r = await patch('text/plain', {});
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe('UnsupportedMediaType');
  });

  it('answers errors with apimachinery Status objects', async () => {
    ({ sim, kc } = await startSim());
    const core = kc.makeApiClient(k8s.CoreV1Api);

    const missing = await core.readNamespacedConfigMap({ name: 'nope', namespace: 'default' }).catch((e) => e);
    expect(missing.code).toBe(404);
    expect(statusOf(missing)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'configmaps' },
      code: 404,
    });

    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') as k8s.V1Deployment });
    const dup = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') as k8s.V1Deployment }).catch((e) => e);
    expect(dup.code).toBe(409);
    expect(statusOf(dup)).toMatchObject({ reason: 'AlreadyExists', message: 'deployments.apps "web" already exists', details: { name: 'web', group: 'apps', kind: 'deployments' }, code: 409 });

    const current = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    sim.patch(webRef, { spec: { replicas: 3 } });
    const stale = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: current }).catch((e) => e);
    expect(stale.code).toBe(409);
    expect(statusOf(stale)).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    });

    const unnamed = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: {} } }).catch((e) => e);
    expect(unnamed.code).toBe(422);
    expect(statusOf(unnamed)).toMatchObject({
      reason: 'Invalid',
      message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
      details: { kind: 'ConfigMap', causes: [{ reason: 'FieldValueRequired', field: 'metadata.name' }] },
      code: 422,
    });

    const noNamespace = await core.createNamespacedConfigMap({ namespace: 'ghost', body: configMap('x', {}, 'ghost') }).catch((e) => e);
    expect(noNamespace.code).toBe(404);
    expect(statusOf(noNamespace).message).toBe('namespaces "ghost" not found');
  });

  it('answers 403 Forbidden for a forbidden kind until it is allowed again', async () => {
    ({ sim, kc } = await startSim());
    sim.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { password: 'aHVudGVyMg==' } });
    sim.forbid('', 'Secret');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const err = await core.listSecretForAllNamespaces().catch((e) => e);
    expect(err.code).toBe(403);
    expect(statusOf(err)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets is forbidden: User "system:serviceaccount:driftline:driftline" cannot list resource "secrets" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { kind: 'secrets' },
      code: 403,
    });
    const watch = await fetch(`${sim.url}/api/v1/namespaces/default/secrets?watch=true`);
    expect(watch.status).toBe(403);
    expect(((await watch.json()) as any).message).toMatch(/cannot watch resource "secrets" in API group "" in the namespace "default"/);
    // Other kinds are unaffected.
    await expect(core.listConfigMapForAllNamespaces()).resolves.toBeDefined();

    sim.allow('', 'secrets');
    const list = await core.listSecretForAllNamespaces();
    // Secrets are stored and served as given: redaction is Driftline's job.
    expect(list.items[0]!.data).toEqual({ password: 'aHVudGVyMg==' });
  });

  it('serves the scale subresource of Deployments, recording the writer against the scale subresource', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(deployment('web', 'nginx:1.25', 2));
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'default' });
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=web' } });
    await apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { ...scale, spec: { replicas: 4 } }, fieldManager: 'hpa-controller' });
    const d = sim.get(webRef)!;
    expect(d.spec.replicas).toBe(4);
    expect(d.metadata.generation).toBe(2);
    expect(d.metadata.managedFields.find((e: any) => e.manager === 'hpa-controller')).toMatchObject({ operation: 'Update', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
  });

  it('keeps status out of main-resource writes and writes it through /status', async () => {
    ({ sim, kc } = await startSim());
    sim.apply({ ...deployment('web'), status: { replicas: 2, readyReplicas: 2 } }, { manager: 'kube-controller-manager' });
    const d = sim.get(webRef)!;
    expect(d.status).toEqual({ replicas: 2, readyReplicas: 2 });
    expect(d.metadata.managedFields.find((e: any) => e.subresource === 'status')?.manager).toBe('kube-controller-manager');
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: { ...(d as k8s.V1Deployment), status: { replicas: 99 } } });
    expect(replaced.status?.replicas).toBe(2);
  });

  it('holds an object with finalizers until they are removed, and deleting a namespace deletes its contents', async () => {
    ({ sim, kc } = await startSim());
    sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    sim.apply({ ...configMap('held', {}, 'shop'), metadata: { name: 'held', namespace: 'shop', finalizers: ['example.com/keep'] } });
    sim.apply(configMap('plain', {}, 'shop'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'held' };
    const res = await fetch(`${sim.url}/api/v1/namespaces/shop/configmaps/held`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    expect(sim.get(ref)?.metadata.deletionTimestamp).toBeDefined();
    sim.patch(ref, { metadata: { finalizers: null } });
    expect(sim.get(ref)).toBeUndefined();

    sim.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' });
    expect(sim.list('v1', 'ConfigMap', { namespace: 'shop' })).toEqual([]);
  });

  it('goes down (connection refused or 503) and comes back on the same port', async () => {
    ({ sim, kc } = await startSim());
    const url = sim.url;
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await sim.goDown('refuse');
    await expect(core.listNamespace()).rejects.toThrow(/ECONNREFUSED|fetch failed/);
    await sim.comeBack();
    expect(sim.url).toBe(url);
    expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).toContain('default');
    await sim.goDown('unavailable');
    expect((await fetch(`${url}/api/v1/namespaces`)).status).toBe(503);
    await sim.comeBack();
    expect((await fetch(`${url}/api/v1/namespaces`)).status).toBe(200);
  });

  it('adds latency to every answer when asked', async () => {
    ({ sim, kc } = await startSim());
    sim.setLatency(150);
    const t0 = Date.now();
    await fetch(`${sim.url}/api/v1/namespaces`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    sim.setLatency(0);
  });
});
