import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import type { SimCluster } from '../../api/src/cluster/sim';
import { clusterRecorderOptions } from '../../api/src/cluster/cluster.options';
import { configMap, deployment, eventually, FAST, startSimCluster } from '../unit/cluster/support';

let db: TestDatabase;
let sim: SimCluster;
let server: TestServer;

const json = async (path: string) => {
  const r = await server.get(path);
  return { status: r.status, body: (await r.json()) as any };
};

beforeAll(async () => {
  db = await freshDatabase({ connect: false });
  const s = await startSimCluster();
  sim = s.sim;
  sim.apply(deployment('web', 'nginx:1.25'), { manager: 'kustomize-controller', operation: 'Apply' });
  for (let i = 0; i < 5; i++) sim.apply(configMap(`cm-${i}`, { i: String(i) }), { manager: 'helm' });
  sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  sim.apply(configMap('in-shop', {}, 'shop'));
  server = await startTestServer({
    databaseUrl: db.url,
    config: { clusters: [{ name: 'prod', kubeconfig: s.kubeconfig, kinds: ['apps/Deployment', 'ConfigMap', 'Namespace'] }] },
    features: [clusterRecorderOptions(FAST)],
    workers: true,
  });
});
afterAll(async () => {
  await server?.close();
  await sim?.stop();
  await db?.drop();
});

describe('cluster API', () => {
  it('GET /api/v1/clusters: connected, kinds watched with counts, last event, lag, no open gaps', async () => {
    const c = await eventually(async () => {
      const { status, body } = await json('/api/v1/clusters');
      expect(status).toBe(200);
      expect(body).toHaveLength(1);
      expect(body[0]).toMatchObject({ name: 'prod', configured: true, connected: true, openGaps: [] });
      expect(body[0].kinds.map((k: any) => `${k.group}/${k.kind} ${k.status} ${k.objects}`)).toEqual(['/ConfigMap watching 6', '/Namespace watching 5', 'apps/Deployment watching 1']);
      return body[0];
    });
    expect(c.server).toBe(sim.url);
    expect(c.leader).toMatch(/\/\d+\//);
    expect(c.objects).toBe(12);
    expect(c.lagSeconds).toBeGreaterThanOrEqual(0);

    sim.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'cm-0' }, { data: { i: 'zero' } });
    await eventually(async () => expect((await json('/api/v1/clusters')).body[0].lastEventAt).not.toBeNull());
  });

  it('GET /api/v1/objects: filters, keyset paging, latest attribution', async () => {
    await eventually(async () => expect((await json('/api/v1/objects?cluster=prod&kind=ConfigMap&namespace=default')).body.items).toHaveLength(5));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const page: { status: number; body: any } = await json(`/api/v1/objects?cluster=prod&kind=ConfigMap&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((o: any) => `${o.namespace}/${o.name}`));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(['default/cm-0', 'default/cm-1', 'default/cm-2', 'default/cm-3', 'default/cm-4', 'shop/in-shop']);
    const web = (await json('/api/v1/objects?kind=Deployment&name=w*')).body.items;
    expect(web).toHaveLength(1);
    expect(web[0]).toMatchObject({ cluster: 'prod', group: 'apps', kind: 'Deployment', namespace: 'default', name: 'web', lastChange: { change: 'created', manager: 'kustomize-controller', operation: 'Apply' } });
    const ns = (await json('/api/v1/objects?kind=Namespace&namespace=')).body.items;
    expect(ns.map((o: any) => o.name)).toContain('shop');
    expect((await json('/api/v1/objects?cluster=nope')).status).toBe(404);
    expect((await json('/api/v1/objects?cursor=garbage')).status).toBe(400);
    expect((await json('/api/v1/objects?limit=0')).status).toBe(400);
  });

  it('GET /api/v1/objects/:id/history: revisions newest first with manager, operation, time and a YAML diff', async () => {
    sim.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' }, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } }, { manager: 'kubectl-edit' });
    const id = (await json('/api/v1/objects?kind=Deployment&name=web')).body.items[0].objectId;
    const h = await eventually(async () => {
      const r = await json(`/api/v1/objects/${id}/history`);
      expect(r.status).toBe(200);
      expect(r.body.revisions).toHaveLength(2);
      return r.body;
    });
    expect(h).toMatchObject({ objectId: id, group: 'apps', kind: 'Deployment', namespace: 'default', name: 'web', nextCursor: null });
    const [latest, first] = h.revisions;
    expect(latest).toMatchObject({ cluster: 'prod', change: 'configured', source: 'watch', manager: 'kubectl-edit', operation: 'Update' });
    expect(latest.diff).toContain('-        - image: nginx:1.25');
    expect(latest.diff).toContain('+        - image: nginx:1.27');
    expect(first).toMatchObject({ change: 'created', source: 'list', manager: 'kustomize-controller', operation: 'Apply' });
    expect(first.diff).toContain('+kind: Deployment');
    expect(Date.parse(latest.changedAt)).toBeGreaterThan(0);

    // Paging keeps the diff against the revision on the previous page.
    const p1 = (await json(`/api/v1/objects/${id}/history?limit=1`)).body;
    expect(p1.revisions[0].diff).toBe(latest.diff);
    const p2 = (await json(`/api/v1/objects/${id}/history?limit=1&cursor=${p1.nextCursor}`)).body;
    expect(p2.revisions[0].id).toBe(first.id);

    sim.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' });
    await eventually(async () => {
      const r = (await json(`/api/v1/objects/${id}/history`)).body;
      expect(r.revisions[0].change).toBe('deleted');
      expect(r.revisions[0].diff).toContain('-kind: Deployment');
    });
    expect((await json('/api/v1/objects/99999999/history')).status).toBe(404);
    expect((await json('/api/v1/objects/abc/history')).status).toBe(400);
  });

  it('is in the OpenAPI document with typed responses', async () => {
    const doc = (await json('/api/docs-json')).body;
    for (const p of ['/api/v1/clusters', '/api/v1/objects', '/api/v1/objects/{id}/history']) expect(doc.paths[p]?.get).toBeTruthy();
    expect(doc.components.schemas.ClusterStatusDto.properties.openGaps).toBeTruthy();
    expect(doc.components.schemas.LiveRevisionDto.properties.diff.type).toBe('string');
  });
});
