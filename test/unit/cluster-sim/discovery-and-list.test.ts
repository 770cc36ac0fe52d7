import * as k8s from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../../api/src/cluster/sim';
import { configMap, startSim, statusOf } from './support';

let sim: SimCluster;
let kc: k8s.KubeConfig;

beforeEach(async () => {
  ({ sim, kc } = await startSim());
});
afterEach(async () => {
  await sim.stop();
});

describe('discovery', () => {
  it('lists the built-in groups, kinds, short names and subresources', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+/);

    const core = await kc.makeApiClient(k8s.CoreApi).getAPIVersions();
    expect(core.versions).toEqual(['v1']);

    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    const names = groups.groups.map((g) => g.name);
    for (const g of ['apps', 'batch', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'autoscaling', 'coordination.k8s.io', 'apiextensions.k8s.io']) {
      expect(names).toContain(g);
    }
    expect(groups.groups.find((g) => g.name === 'autoscaling')?.preferredVersion?.groupVersion).toBe('autoscaling/v2');

    const coreResources = await kc.makeApiClient(k8s.CoreV1Api).getAPIResources();
    const cm = coreResources.resources.find((r) => r.name === 'configmaps');
    expect(cm).toMatchObject({ kind: 'ConfigMap', namespaced: true, singularName: 'configmap', shortNames: ['cm'] });
    expect(cm?.verbs).toEqual(expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']));
    expect(coreResources.resources.find((r) => r.name === 'namespaces')?.namespaced).toBe(false);
    for (const kind of ['Namespace', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Pod', 'Event', 'Endpoints']) {
      expect(coreResources.resources.map((r) => r.kind)).toContain(kind);
    }

    const apps = await kc.makeApiClient(k8s.AppsV1Api).getAPIResources();
    expect(apps.resources.find((r) => r.name === 'deployments')?.shortNames).toEqual(['deploy']);
    expect(apps.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(apps.resources.map((r) => r.kind)).toEqual(expect.arrayContaining(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision']));
  });

  it('answers an unknown path with a NotFound Status', async () => {
    const res = await fetch(`${sim.url}/apis/nope.example.com/v1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
  });

  it('serves a CustomResourceDefinition created over the API, and forgets it with its objects when it is deleted', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await expect(objects.list('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'default')).rejects.toThrow(/HTTP-Code: 404/);

    await objects.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'helmreleases.helm.toolkit.fluxcd.io' },
      spec: {
        group: 'helm.toolkit.fluxcd.io',
        scope: 'Namespaced',
        names: { kind: 'HelmRelease', listKind: 'HelmReleaseList', plural: 'helmreleases', singular: 'helmrelease', shortNames: ['hr'] },
        versions: [{ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, subresources: { status: {} } }],
      },
    } as k8s.KubernetesObject);

    const crd = sim.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'helmreleases.helm.toolkit.fluxcd.io' });
    expect(crd?.status?.conditions?.find((c: any) => c.type === 'Established')?.status).toBe('True');

    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.find((g) => g.name === 'helm.toolkit.fluxcd.io')?.preferredVersion?.version).toBe('v2');

    await objects.create({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'podinfo', namespace: 'default' }, spec: { interval: '5m' } } as k8s.KubernetesObject);
    const list = await objects.list('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'default');
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['podinfo']);
    expect(list.items[0]!.metadata?.generation).toBe(1);

    await objects.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'helmreleases.helm.toolkit.fluxcd.io' } });
    expect((await fetch(`${sim.url}/apis/helm.toolkit.fluxcd.io/v2`)).status).toBe(404);
    expect(sim.registry.byKind('helm.toolkit.fluxcd.io/v2', 'HelmRelease')).toBeUndefined();
  });

  it('registerCrd() makes a kind servable to client-node at once', async () => {
    sim.registerCrd({ group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization', versions: ['v1'], shortNames: ['ks'], status: true });
    sim.apply({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'default' }, spec: { path: './apps', prune: true } });

    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const list = await objects.list('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'default');
    expect(list.items).toHaveLength(1);
    // Custom resource lists keep apiVersion and kind on their items, as the real (unstructured) server does.
    expect(list.items[0]).toMatchObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', spec: { path: './apps', prune: true } });

    const res = await fetch(`${sim.url}/apis/kustomize.toolkit.fluxcd.io/v1`);
    const doc = (await res.json()) as any;
    expect(doc.resources.find((r: any) => r.name === 'kustomizations')).toMatchObject({ kind: 'Kustomization', namespaced: true, shortNames: ['ks'] });
    expect(doc.resources.map((r: any) => r.name)).toContain('kustomizations/status');
  });
});

describe('list', () => {
  it('pages 250 objects with limit and continue, over a consistent snapshot', async () => {
    sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
    for (let i = 0; i < 250; i++) sim.apply(configMap(`cm-${String(i).padStart(3, '0')}`, { i: String(i) }, 'paging'));
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);

    const names: string[] = [];
    const pageSizes: number[] = [];
    const remaining: Array<number | undefined> = [];
    let cont: string | undefined;
    let firstRv: string | undefined;
    do {
      const page = await objects.list('v1', 'ConfigMap', 'paging', undefined, undefined, undefined, undefined, undefined, 100, cont);
      firstRv ??= page.metadata?.resourceVersion;
      expect(page.metadata?.resourceVersion).toBe(firstRv);
      pageSizes.push(page.items.length);
      remaining.push(page.metadata?.remainingItemCount);
      names.push(...page.items.map((i) => i.metadata!.name!));
      cont = page.metadata?._continue;
      // Changes made between pages do not show up in the remaining pages of this list.
      if (cont && pageSizes.length === 1) sim.apply(configMap('cm-999-late', {}, 'paging'));
    } while (cont);

    expect(pageSizes).toEqual([100, 100, 50]);
    expect(remaining).toEqual([150, 50, undefined]);
    expect(names).toHaveLength(250);
    expect(new Set(names).size).toBe(250);
    expect(names).toEqual([...names].sort());
    expect(names).not.toContain('cm-999-late');
  });

  it('answers 410 Expired with an inconsistent continue token when the snapshot was compacted', async () => {
    for (let i = 0; i < 10; i++) sim.apply(configMap(`c${i}`));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const first = await core.listNamespacedConfigMap({ namespace: 'default', limit: 4 });
    sim.apply(configMap('c0', { changed: 'yes' }));
    sim.compact();
    const err = await core.listNamespacedConfigMap({ namespace: 'default', limit: 4, _continue: first.metadata!._continue }).catch((e) => e);
    expect(err.code).toBe(410);
    const status = statusOf(err);
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(status.message).toMatch(/continue parameter is too old/);
    // The token in the answer continues, inconsistently, from where the client was.
    const rest = await core.listNamespacedConfigMap({ namespace: 'default', limit: 100, _continue: status.metadata.continue });
    expect(rest.items.map((i) => i.metadata?.name)).toEqual(['c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
  });

  it('filters by label selector and by metadata.name / metadata.namespace field selectors, in one or all namespaces', async () => {
    sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    sim.apply(configMap('a', {}, 'default', { tier: 'web', env: 'prod' }));
    sim.apply(configMap('b', {}, 'default', { tier: 'db', env: 'prod' }));
    sim.apply(configMap('c', {}, 'shop', { tier: 'web', env: 'dev' }));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const names = (l: k8s.V1ConfigMapList) => l.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`);

    expect(names(await core.listConfigMapForAllNamespaces({ labelSelector: 'tier=web' }))).toEqual(['default/a', 'shop/c']);
    expect(names(await core.listConfigMapForAllNamespaces({ labelSelector: 'tier=web,env!=dev' }))).toEqual(['default/a']);
    expect(names(await core.listConfigMapForAllNamespaces({ labelSelector: 'tier in (db,cache)' }))).toEqual(['default/b']);
    expect(names(await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'tier' }))).toEqual(['default/a', 'default/b']);
    expect(names(await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=c' }))).toEqual(['shop/c']);
    expect(names(await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=shop' }))).toEqual(['shop/c']);
    const bad = await core.listConfigMapForAllNamespaces({ fieldSelector: 'spec.nope=x' }).catch((e) => e);
    expect(bad.code).toBe(400);
    expect(statusOf(bad).message).toBe('field label not supported: spec.nope');
  });

  it('leaves apiVersion and kind off built-in list items, as typed lists do', async () => {
    sim.apply(configMap('x'));
    const res = await fetch(`${sim.url}/api/v1/namespaces/default/configmaps`);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: sim.resourceVersion } });
    expect(body.items[0].kind).toBeUndefined();
    expect(body.items[0].metadata.name).toBe('x');
  });
});
