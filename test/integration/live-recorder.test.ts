import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { freshDatabase, TestDatabase } from '../support/db';
import type { SimCluster, SimClusterOptions } from '../../api/src/cluster/sim';
import type { LiveRecorderService } from '../../api/src/cluster/live-recorder.service';
import { chainHash } from '../../api/src/core/chain';
import { liveRevisionRecord } from '../../api/src/cluster/live-writer';
import { configMap, currentNames, deployment, eventually, gaps, liveRecorder, revisions, startSimCluster } from '../unit/cluster/support';

let db: TestDatabase;
let ds: DataSource;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  ds = db.dataSource;
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

let seq = 0;
/** A simulator, a cluster config pointing at it (unique name per test), and a recorder service. */
async function setup(o: { kinds?: string[]; sim?: SimClusterOptions; options?: Record<string, unknown>; cluster?: Record<string, unknown>; environments?: unknown[] } = {}) {
  const { sim, kubeconfig } = await startSimCluster(o.sim);
  const name = `sim-${++seq}`;
  const { service } = liveRecorder(ds, {
    clusters: [{ name, kubeconfig, kinds: o.kinds ?? ['ConfigMap', 'apps/Deployment', 'Secret'], ...o.cluster }],
    ...(o.environments ? { repositories: [{ name: 'infra', path: '/nonexistent' }], environments: o.environments } : {}),
  }, { options: o.options });
  cleanup.push(() => sim.stop());
  cleanup.push(() => service.stopWatching());
  return { sim, name, service, kubeconfig };
}

async function watching(service: LiveRecorderService, sim: SimCluster, kinds: number): Promise<void> {
  await service.startWatching();
  await sim.waitForWatches(kinds, 20_000);
}

describe('live recorder against the simulated API server', () => {
  it('records the initial list (paged) as created revisions with attribution, and keeps live_current', async () => {
    const { sim, name, service } = await setup({ options: { pageSize: 7 } });
    for (let i = 0; i < 25; i++) sim.apply(configMap(`cm-${String(i).padStart(2, '0')}`, { i: String(i) }), { manager: 'kustomize-controller', operation: 'Apply', time: '2026-11-20T10:00:00Z' });
    sim.apply(deployment('web'), { manager: 'kubectl-client-side-apply', time: '2026-11-21T09:00:00Z' });
    await watching(service, sim, 3);
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toHaveLength(25));
    const revs = await revisions(ds, name);
    const cms = revs.filter((r) => r.kind === 'ConfigMap');
    expect(cms.every((r) => r.change === 'created' && r.source === 'list')).toBe(true);
    expect(cms.find((r) => r.name === 'cm-03')).toMatchObject({ manager: 'kustomize-controller', operation: 'Apply' });
    const web = revs.find((r) => r.kind === 'Deployment')!;
    expect(web).toMatchObject({ name: 'web', namespace: 'default', manager: 'kubectl-client-side-apply', operation: 'Update', change: 'created' });
    // Normalized: no status, no server bookkeeping.
    expect(web.body!.status).toBeUndefined();
    expect(web.body!.metadata.resourceVersion).toBeUndefined();
    expect(web.body!.metadata.managedFields).toBeUndefined();
    // Paging: more than one list page for the ConfigMaps.
    expect(sim.requests.filter((r) => r.verb === 'list' && r.resource === 'configmaps').length).toBeGreaterThanOrEqual(4);
    const changed = await ds.query(`SELECT changed_at FROM live_revisions r JOIN objects o ON o.id = r.object_id WHERE o.name = 'web' AND o.kind = 'Deployment'`);
    expect(new Date(changed[0].changed_at).toISOString()).toBe('2026-11-21T09:00:00.000Z');
  });

  it('records watch changes (created, configured, deleted) and nothing for status-only changes', async () => {
    const { sim, name, service } = await setup();
    sim.apply(deployment('api'));
    await watching(service, sim, 3);
    await eventually(async () => expect(await currentNames(ds, name, 'Deployment')).toEqual(['api']));

    sim.apply(configMap('settings', { color: 'blue' }), { manager: 'helm' });
    sim.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' }, { data: { color: 'green' } }, { manager: 'kubectl-edit' });
    sim.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'api' }, { status: { replicas: 2, readyReplicas: 2 } }, { manager: 'kube-controller-manager', subresource: 'status' });
    sim.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'api' }, { spec: { replicas: 5 } }, { manager: 'kubectl-scale' });
    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' });

    await eventually(async () => {
      // Each kind is its own stream: order holds within a kind.
      const revs = (await revisions(ds, name)).filter((r) => r.source === 'watch');
      const line = (r: (typeof revs)[number]) => `${r.change} ${r.kind}/${r.name} ${r.manager ?? '-'}`;
      expect(revs.filter((r) => r.kind === 'ConfigMap').map(line)).toEqual([
        'created ConfigMap/settings helm',
        'configured ConfigMap/settings kubectl-edit',
        'deleted ConfigMap/settings -',
      ]);
      expect(revs.filter((r) => r.kind === 'Deployment').map(line)).toEqual(['configured Deployment/api kubectl-scale']);
    });
    expect(await currentNames(ds, name, 'ConfigMap')).toEqual([]);
    const configured = (await revisions(ds, name)).find((r) => r.change === 'configured' && r.kind === 'ConfigMap')!;
    expect(configured.body!.data).toEqual({ color: 'green' });
  });

  it('records a delete-and-recreate as deleted then created, with the new uid', async () => {
    const { sim, name, service } = await setup();
    sim.apply(configMap('flip', { v: '1' }));
    await watching(service, sim, 3);
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['flip']));
    const oldUid = sim.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'flip' })!.metadata.uid;
    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'flip' });
    sim.apply(configMap('flip', { v: '1' }));
    const newUid = sim.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'flip' })!.metadata.uid;
    await eventually(async () => {
      const revs = (await revisions(ds, name)).filter((r) => r.name === 'flip');
      expect(revs.map((r) => [r.change, r.uid])).toEqual([
        ['created', oldUid],
        ['deleted', oldUid],
        ['created', newUid],
      ]);
    });

    // The same while nobody watched: the relist sees a new uid for the same name.
    await service.stopWatching();
    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'flip' });
    sim.apply(configMap('flip', { v: '1' }));
    const third = sim.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'flip' })!.metadata.uid;
    const [s] = await service.snapshot();
    expect(s).toMatchObject({ created: 1, deleted: 1, configured: 0 });
    const revs = (await revisions(ds, name)).filter((r) => r.name === 'flip');
    expect(revs.slice(3).map((r) => [r.change, r.uid, r.source])).toEqual([
      ['deleted', newUid, 'list'],
      ['created', third, 'list'],
    ]);
  });

  it('watches the desired state\'s kinds plus configured kinds, minus noise, and records only the environments\' namespaces', async () => {
    const clusterName = `sim-${seq + 1}`;
    // The desired state of an environment on this cluster (as the Git indexer leaves it).
    for (const [group, kind, ns, n] of [['apps', 'Deployment', 'shop-a', 'cart'], ['networking.k8s.io', 'Ingress', 'shop-a', 'cart'], ['', 'Pod', 'shop-a', 'debug']]) {
      const o = await ds.query(
        `INSERT INTO objects ("group", kind, namespace, name) VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT objects_identity_uq DO UPDATE SET name = EXCLUDED.name RETURNING id`,
        [group, kind, ns, n],
      );
      await ds.query(`INSERT INTO desired_current (environment, object_id, document_hash, path, commit_sha) VALUES ('shop-prod', $1, $2, 'x.yaml', 'abc')`, [o[0].id, '0'.repeat(64)]);
    }
    const { sim, name, service } = await setup({
      kinds: ['Namespace'],
      environments: [{ name: 'shop-prod', repository: 'infra', paths: ['clusters/prod/**'], cluster: clusterName, namespaces: ['shop-*'] }],
    });
    expect(name).toBe(clusterName);
    for (const ns of ['shop-a', 'other']) {
      sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      sim.apply(deployment('cart', 'cart:1', 1, ns));
      sim.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'cart', namespace: ns }, spec: { rules: [{ host: `${ns}.example.com` }] } });
      sim.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    }
    const [s] = await service.snapshot();
    expect(s).toMatchObject({ kinds: 3, status: 'ok' });
    const kinds = await ds.query(`SELECT k."group", k.kind FROM cluster_kinds k JOIN clusters c ON c.id = k.cluster_id WHERE c.name = $1 ORDER BY 1, 2`, [name]);
    expect(kinds.map((k: { group: string; kind: string }) => `${k.group}/${k.kind}`)).toEqual(['/Namespace', 'apps/Deployment', 'networking.k8s.io/Ingress']);
    const revs = await revisions(ds, name);
    expect(revs.filter((r) => r.kind !== 'Namespace').map((r) => `${r.kind} ${r.namespace}/${r.name}`).sort()).toEqual(['Deployment shop-a/cart', 'Ingress shop-a/cart']);
    // Cluster-scoped kinds are always recorded.
    expect(revs.filter((r) => r.kind === 'Namespace').map((r) => r.name).sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system', 'other', 'shop-a']);
  });

  it('a relist of an unchanged cluster writes no revision rows; the rows form a hash chain', async () => {
    const { sim, name, service, kubeconfig } = await setup();
    for (let i = 0; i < 30; i++) sim.apply(configMap(`c${i}`, { i: String(i) }));
    sim.apply(deployment('web'));
    const [first] = await service.snapshot();
    expect(first).toMatchObject({ cluster: name, status: 'ok', kinds: 3, created: 31, configured: 0, deleted: 0, gaps: 0 });
    const count = async () => Number((await ds.query(`SELECT count(*) AS n FROM live_revisions r JOIN clusters c ON c.id = r.cluster_id WHERE c.name = $1`, [name]))[0].n);
    const before = await count();
    const [again] = await service.snapshot();
    expect(again).toMatchObject({ created: 0, configured: 0, deleted: 0, objects: first!.objects });
    expect(await count()).toBe(before);
    // Also with a fresh service (state loaded from live_current, nothing cached).
    const { service: other } = liveRecorder(ds, { clusters: [{ name, kubeconfig, kinds: ['ConfigMap', 'apps/Deployment', 'Secret'] }] });
    await other.snapshot();
    expect(await count()).toBe(before);

    const rows = await ds.query(
      `SELECT r.*, o."group", o.kind, o.namespace, o.name FROM live_revisions r JOIN clusters c ON c.id = r.cluster_id JOIN objects o ON o.id = r.object_id WHERE c.name = $1 ORDER BY r.id`,
      [name],
    );
    let prev: string | null = null;
    for (const r of rows) {
      expect(r.prev_hash).toBe(prev);
      const record = liveRevisionRecord(name, {
        key: `${r.group}/${r.kind}/${r.namespace}/${r.name}`,
        observedAt: new Date(r.observed_at),
        changedAt: new Date(r.changed_at),
        resourceVersion: r.resource_version,
        uid: r.uid,
        documentHash: r.document_hash,
        metaHash: r.meta_hash,
        manager: r.manager,
        operation: r.operation,
        change: r.change,
        source: r.source,
      });
      expect(r.hash).toBe(chainHash(prev, record));
      prev = r.hash;
    }
    expect((await ds.query(`SELECT chain_head FROM clusters WHERE name = $1`, [name]))[0].chain_head).toBe(prev);
    expect(await gaps(ds, name)).toEqual([]);
  });
});
