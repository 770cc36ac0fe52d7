import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { freshDatabase, TestDatabase } from '../support/db';
import type { SimCluster, SimClusterOptions } from '../../api/src/cluster/sim';
import type { ClusterRecorderServiceOptions } from '../../api/src/cluster/cluster.options';
import { configMap, currentNames, deployment, eventually, gaps, liveRecorder, revisions, startProxy, startSimCluster } from '../unit/cluster/support';

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
async function setup(o: { kinds?: string[]; sim?: SimClusterOptions; options?: ClusterRecorderServiceOptions; kubeconfig?: (sim: SimCluster) => Promise<string> } = {}) {
  const started = await startSimCluster(o.sim);
  const sim = started.sim;
  const kubeconfig = o.kubeconfig ? await o.kubeconfig(sim) : started.kubeconfig;
  const name = `fault-${++seq}`;
  const { service } = liveRecorder(ds, { clusters: [{ name, kubeconfig, kinds: o.kinds ?? ['ConfigMap', 'apps/Deployment'] }] }, { options: o.options });
  cleanup.push(() => sim.stop());
  cleanup.push(() => service.stopWatching());
  return { sim, name, service };
}

const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name });
const listCount = (sim: SimCluster, resource: string) => sim.requests.filter((r) => r.verb === 'list' && r.resource === resource).length;
/** A managedFields time after every write the driver made at "now" (second precision, like the API server). */
const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
const deletedRows = async (name: string) => (await revisions(ds, name)).filter((r) => r.change === 'deleted');

describe('live recorder under faults', () => {
  it('bookmarks move the resourceVersion on, so a reconnect after compaction resumes without a relist', async () => {
    const { sim, name, service } = await setup({ kinds: ['ConfigMap'], sim: { bookmarkIntervalMs: 100 } });
    sim.apply(configMap('quiet'));
    await service.startWatching();
    await sim.waitForWatches(1);
    const listsBefore = listCount(sim, 'configmaps');
    // Other kinds move the cluster's resourceVersion; only bookmarks tell the ConfigMap watch about it.
    for (let i = 0; i < 20; i++) sim.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s${i}`, namespace: 'default' }, stringData: { k: String(i) } });
    const target = Number(sim.resourceVersion);
    await eventually(async () => {
      const rows = await ds.query(`SELECT k.resource_version FROM cluster_kinds k JOIN clusters c ON c.id = k.cluster_id WHERE c.name = $1 AND k.kind = 'ConfigMap'`, [name]);
      expect(Number(rows[0]?.resource_version)).toBeGreaterThanOrEqual(target);
    });
    sim.compact();
    sim.dropWatches({ graceful: true });
    sim.apply(configMap('after-bookmark', { x: '1' }));
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['after-bookmark', 'quiet']));
    expect(listCount(sim, 'configmaps')).toBe(listsBefore);
    const revs = await revisions(ds, name);
    expect(revs.map((r) => `${r.change} ${r.name} ${r.source}`)).toEqual(['created quiet list', 'created after-bookmark watch']);
  });

  it('an ERROR 410 mid-watch relists and reconciles: changes made meanwhile are all recorded', async () => {
    let proxy!: Awaited<ReturnType<typeof startProxy>>;
    const { sim, name, service } = await setup({
      kinds: ['ConfigMap'],
      kubeconfig: async (s) => {
        proxy = await startProxy(s);
        cleanup.push(() => proxy.close());
        return proxy.kubeconfig;
      },
    });
    for (const n of ['keep', 'change', 'remove']) sim.apply(configMap(n, { v: '1' }));
    await service.startWatching();
    await sim.waitForWatches(1);
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toHaveLength(3));
    const listsBefore = listCount(sim, 'configmaps');

    // The watch cache moved on while changes happened: the stream gets ERROR 410, the history is gone.
    sim.patch(cmRef('change'), { data: { v: '2' } }, { manager: 'kubectl-edit', time: soon });
    sim.delete(cmRef('remove'));
    sim.apply(configMap('new', { v: '1' }));
    sim.compact();
    expect(proxy.expireWatches()).toBe(1);

    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['change', 'keep', 'new']));
    expect(listCount(sim, 'configmaps')).toBeGreaterThan(listsBefore);
    const later = (await revisions(ds, name)).slice(3);
    // Either the stream delivered them before the ERROR, or the relist found them; none is lost, none twice.
    expect(later.map((r) => `${r.change} ${r.name}`).sort()).toEqual(['configured change', 'created new', 'deleted remove']);
    const changed = await ds.query(
      `SELECT r.changed_at, r.observed_at FROM live_revisions r JOIN objects o ON o.id = r.object_id JOIN clusters c ON c.id = r.cluster_id WHERE c.name = $1 AND o.name = 'change' AND r.change = 'configured'`,
      [name],
    );
    expect(new Date(changed[0].changed_at).toISOString()).toBe(soon);
    // A 410 is not an outage.
    expect(await gaps(ds, name)).toEqual([]);
    await sim.waitForWatches(1);
  });

  it('a dropped watch whose resourceVersion was compacted away gets 410 on reconnect, relists, and loses nothing', async () => {
    const { sim, name, service } = await setup({ kinds: ['ConfigMap'] });
    sim.apply(configMap('a', { v: '1' }));
    await service.startWatching();
    await sim.waitForWatches(1);
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['a']));
    sim.dropWatches();
    sim.patch(cmRef('a'), { data: { v: '2' } });
    sim.apply(configMap('b'));
    sim.compact();
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['a', 'b']));
    const revs = await revisions(ds, name);
    expect(revs.map((r) => `${r.change} ${r.name} ${r.source}`)).toEqual(['created a list', 'configured a relist', 'created b relist']);
    // The dropped stream is recorded as a (short) gap, closed again.
    await eventually(async () => {
      const g = await gaps(ds, name);
      expect(g).toHaveLength(1);
      expect(g[0]!.reason).toMatch(/^stream dropped/);
      expect(g[0]!.ended_at).not.toBeNull();
    });
  });

  it('when writing falls behind, the watch pauses and resumes from its resourceVersion: nothing lost, no gap', async () => {
    const { sim, name, service } = await setup({ kinds: ['ConfigMap'], options: { highWater: 3, maxPending: 6, flushIntervalMs: 300 } });
    await service.startWatching();
    await sim.waitForWatches(1);
    const watchesBefore = sim.requests.filter((r) => r.verb === 'watch').length;
    for (let i = 0; i < 60; i++) sim.apply(configMap(`burst-${String(i).padStart(2, '0')}`, { i: String(i) }));
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toHaveLength(60));
    expect((await revisions(ds, name)).map((r) => `${r.change} ${r.source}`)).toEqual(Array(60).fill('created watch'));
    expect(sim.requests.filter((r) => r.verb === 'watch').length).toBeGreaterThan(watchesBefore + 1);
    expect(sim.requests.filter((r) => r.verb === 'list').length).toBe(1);
    expect(await gaps(ds, name)).toEqual([]);
  });

  it('restarts a paged list whose continue token expired', async () => {
    let compacted = 0;
    let simRef!: SimCluster;
    const { sim, name, service } = await setup({
      kinds: ['ConfigMap'],
      options: { pageSize: 4 },
      kubeconfig: async (s) => {
        simRef = s;
        const proxy = await startProxy(s, (req) => {
          // Compact once, just before the second page is served: its continue token is now too old.
          if (req.url?.includes('continue=') && req.url.includes('/configmaps') && compacted === 0) {
            compacted++;
            simRef.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'moves-the-rv' } });
            simRef.compact();
          }
        });
        cleanup.push(() => proxy.close());
        return proxy.kubeconfig;
      },
    });
    for (let i = 0; i < 10; i++) sim.apply(configMap(`p${i}`));
    const [s] = await service.snapshot();
    expect(compacted).toBe(1);
    expect(s).toMatchObject({ status: 'ok', objects: 10, created: 10, deleted: 0, gaps: 0 });
    expect(await currentNames(ds, name, 'ConfigMap')).toHaveLength(10);
    // The first list page was asked for twice (the restart), each object recorded once.
    expect(sim.requests.filter((r) => r.verb === 'list' && r.resource === 'configmaps').length).toBe(2 + 3);
    expect(await revisions(ds, name)).toHaveLength(10);
  });

  it('honours 429 Retry-After on a list', async () => {
    let refused = 0;
    const { sim, name, service } = await setup({
      kinds: ['ConfigMap'],
      kubeconfig: async (s) => {
        const proxy = await startProxy(s, (req, res) => {
          if (req.url?.startsWith('/api/v1/configmaps') && !req.url.includes('watch') && refused === 0) {
            refused++;
            res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '1' });
            res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'slow down' }));
            return true;
          }
        });
        cleanup.push(() => proxy.close());
        return proxy.kubeconfig;
      },
    });
    sim.apply(configMap('x'));
    const t0 = Date.now();
    await service.startWatching();
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['x']));
    // Backoff alone would retry after ~50 ms; the server asked for 1 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const g = await gaps(ds, name);
    expect(g[0]!.reason).toContain('slow down');
  });

  it('a 403 on one kind records a gap for it; the other kinds keep working; the gap closes when allowed again', async () => {
    const { sim, name, service } = await setup({ kinds: ['ConfigMap', 'Secret'] });
    sim.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, stringData: { password: 'x' } });
    sim.forbid('', 'secrets');
    await service.startWatching();
    await sim.waitForWatches(1);
    sim.apply(configMap('still-seen'));
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['still-seen']));
    await eventually(async () => {
      const g = await gaps(ds, name);
      expect(g).toHaveLength(1);
      expect(g[0]).toMatchObject({ group: '', kind: 'Secret', ended_at: null });
      expect(g[0]!.reason).toMatch(/list failed: .*403.*forbidden/);
    });
    expect(await currentNames(ds, name, 'Secret')).toEqual([]);
    const status = await ds.query(`SELECT k.kind, k.status, k.last_error FROM cluster_kinds k JOIN clusters c ON c.id = k.cluster_id WHERE c.name = $1 ORDER BY k.kind`, [name]);
    expect(status.map((s: { kind: string; status: string }) => `${s.kind} ${s.status}`)).toEqual(['ConfigMap watching', 'Secret error']);

    sim.allow('', 'secrets');
    await eventually(async () => expect(await currentNames(ds, name, 'Secret')).toEqual(['db']));
    await eventually(async () => expect((await gaps(ds, name))[0]!.ended_at).not.toBeNull());
    expect(await deletedRows(name)).toEqual([]);
  });

  it('server down for a while: gaps, no deletions during the outage, changes made during it recorded after', async () => {
    const { sim, name, service } = await setup();
    sim.apply(configMap('cfg', { v: '1' }));
    sim.apply(deployment('web'));
    sim.apply(deployment('old'));
    await service.startWatching();
    await sim.waitForWatches(2);
    await eventually(async () => expect(await currentNames(ds, name, 'Deployment')).toEqual(['old', 'web']));

    await sim.goDown('refuse');
    sim.patch(cmRef('cfg'), { data: { v: '2' } }, { manager: 'kubectl-edit', time: soon });
    sim.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'old' });
    sim.apply(configMap('born-in-outage'));
    await eventually(async () => {
      const g = await gaps(ds, name);
      expect(g.map((x) => x.kind).sort()).toEqual(['ConfigMap', 'Deployment']);
      expect(g.every((x) => x.ended_at === null)).toBe(true);
    });
    // Retries keep failing for a while: still nothing recorded as deleted, the state is as last seen.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await deletedRows(name)).toEqual([]);
    expect(await currentNames(ds, name, 'Deployment')).toEqual(['old', 'web']);
    const clusterRow = await ds.query(`SELECT connected, last_error FROM clusters WHERE name = $1`, [name]);
    expect(clusterRow[0].connected).toBe(false);
    expect(clusterRow[0].last_error).toMatch(/ECONNREFUSED/);

    sim.compact(); // the outage outlived the watch history: the reconnect must relist
    await sim.comeBack();
    await eventually(async () => expect(await currentNames(ds, name, 'Deployment')).toEqual(['web']));
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['born-in-outage', 'cfg']));
    const after = (await revisions(ds, name)).slice(3);
    expect(after.map((r) => `${r.change} ${r.kind}/${r.name} ${r.source}`).sort()).toEqual([
      'configured ConfigMap/cfg relist',
      'created ConfigMap/born-in-outage relist',
      'deleted Deployment/old relist',
    ]);
    // Observed at relist time; changed_at from managedFields.
    const rows = await ds.query(
      `SELECT r.changed_at, r.observed_at, r.manager FROM live_revisions r JOIN objects o ON o.id = r.object_id JOIN clusters c ON c.id = r.cluster_id
        WHERE c.name = $1 AND o.name = 'cfg' AND r.change = 'configured'`,
      [name],
    );
    expect(rows[0].manager).toBe('kubectl-edit');
    expect(new Date(rows[0].changed_at).toISOString()).toBe(soon);
    expect(new Date(rows[0].observed_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    await eventually(async () => {
      const g = await gaps(ds, name);
      expect(g.every((x) => x.ended_at !== null && x.ended_at >= x.started_at)).toBe(true);
    });
    await eventually(async () => expect((await ds.query(`SELECT connected FROM clusters WHERE name = $1`, [name]))[0].connected).toBe(true));
  });

  it('server down and back within the watch history: the watch resumes and delivers what happened', async () => {
    const { sim, name, service } = await setup({ kinds: ['ConfigMap'] });
    sim.apply(configMap('cfg', { v: '1' }));
    await service.startWatching();
    await sim.waitForWatches(1);
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual(['cfg']));
    await sim.goDown('unavailable');
    sim.patch(cmRef('cfg'), { data: { v: '2' } });
    sim.delete(cmRef('cfg'));
    await eventually(async () => expect((await gaps(ds, name)).length).toBe(1));
    await new Promise((r) => setTimeout(r, 500));
    expect(await deletedRows(name)).toEqual([]);
    await sim.comeBack();
    await eventually(async () => expect(await currentNames(ds, name, 'ConfigMap')).toEqual([]));
    expect((await revisions(ds, name)).map((r) => `${r.change} ${r.source}`)).toEqual(['created list', 'configured watch', 'deleted watch']);
    // The cut stream opened the gap; the retries got 503 until the server came back.
    expect((await gaps(ds, name))[0]!.reason).toMatch(/^stream dropped/);
    expect((await gaps(ds, name))[0]!.ended_at).not.toBeNull();
  });
});
