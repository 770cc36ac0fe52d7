import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../../api/src/cluster/sim';
import { configMap, eventually, startSim } from './support';

let sim: SimCluster;
let kc: k8s.KubeConfig;
type CmInformer = k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap>;
const informers: CmInformer[] = [];
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const inf of informers.splice(0)) await inf.stop();
  for (const a of aborts.splice(0)) a.abort();
  await sim.stop();
});

interface Seen {
  events: string[];
  errors: unknown[];
}

/** An informer on ConfigMaps in "default" that records what it reports; optionally restarts after errors, as Driftline does. */
function configMapInformer(restartOnError: boolean): { informer: CmInformer; seen: Seen } {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const seen: Seen = { events: [], errors: [] };
  informer.on('add', (o) => seen.events.push(`add ${o.metadata?.name} ${JSON.stringify(o.data ?? {})}`));
  informer.on('update', (o) => seen.events.push(`update ${o.metadata?.name} ${JSON.stringify(o.data ?? {})}`));
  informer.on('delete', (o) => seen.events.push(`delete ${o.metadata?.name}`));
  informer.on('error', (err) => {
    seen.errors.push(err);
    if (restartOnError) setTimeout(() => void informer.start(), 20);
  });
  informers.push(informer);
  return { informer, seen };
}

async function rawWatch(path: string, query: Record<string, string | number | boolean | undefined>): Promise<{ events: Array<{ type: string; object: any }>; done: Promise<unknown> }> {
  const events: Array<{ type: string; object: any }> = [];
  let finish!: (err: unknown) => void;
  const done = new Promise((r) => (finish = r));
  const ctl = await new k8s.Watch(kc).watch(path, query, (type, object) => events.push({ type, object }), (err) => finish(err ?? null));
  aborts.push(ctl);
  return { events, done };
}

describe('watch', () => {
  it('an informer sees objects added, updated and deleted', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('before', { a: '1' }));
    const { informer, seen } = configMapInformer(false);
    await informer.start();
    await sim.waitForWatches(1);

    sim.apply(configMap('web', { color: 'blue' }));
    sim.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'web' }, { data: { color: 'green' } });
    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'before' });

    await eventually(() =>
      expect(seen.events).toEqual(['add before {"a":"1"}', 'add web {"color":"blue"}', 'update web {"color":"green"}', 'delete before']),
    );
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['web']);
    expect(seen.errors).toEqual([]);
  });

  it('a watch from a resourceVersion older than the compaction point gets an ERROR 410 Expired event and ends', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('a'));
    const old = sim.resourceVersion;
    sim.apply(configMap('b'));
    sim.compact();

    const w = await rawWatch('/api/v1/namespaces/default/configmaps', { resourceVersion: old });
    await w.done;
    expect(w.events).toHaveLength(1);
    expect(w.events[0]!.type).toBe('ERROR');
    expect(w.events[0]!.object).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(w.events[0]!.object.message).toMatch(/^too old resource version/);
  });

  it('a watch resumed from a recent resourceVersion replays what happened after it', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('a', { v: '1' }));
    const from = sim.resourceVersion;
    sim.apply(configMap('a', { v: '2' }));
    sim.apply(configMap('b'));
    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a' });

    const w = await rawWatch('/api/v1/namespaces/default/configmaps', { resourceVersion: from });
    await eventually(() => expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a', 'ADDED b', 'DELETED a']));
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(w.events[0]!.object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { v: '2' } });
  });

  it('sends BOOKMARK events carrying only the resourceVersion when asked, and none otherwise', async () => {
    ({ sim, kc } = await startSim({ bookmarkIntervalMs: 50 }));
    sim.apply(configMap('a'));
    const rv = sim.resourceVersion;
    const withBookmarks = await rawWatch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv, allowWatchBookmarks: true });
    const without = await rawWatch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv });

    await eventually(() => expect(withBookmarks.events.filter((e) => e.type === 'BOOKMARK').length).toBeGreaterThanOrEqual(2));
    const bookmark = withBookmarks.events.find((e) => e.type === 'BOOKMARK')!.object;
    expect(bookmark).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: rv } });
    sim.apply(configMap('b'));
    await eventually(() => expect(withBookmarks.events.filter((e) => e.type === 'BOOKMARK').at(-1)!.object.metadata.resourceVersion).toBe(sim.resourceVersion));
    expect(without.events.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('after dropWatches() a restarted informer resumes from its resourceVersion and misses nothing made meanwhile', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('keep', { v: '1' }));
    sim.apply(configMap('gone'));
    const { informer, seen } = configMapInformer(true);
    await informer.start();
    await sim.waitForWatches(1);
    await eventually(() => expect(seen.events).toHaveLength(2));

    // Take the cluster away so the changes below happen while the informer is disconnected.
    await sim.goDown('refuse');
    sim.apply(configMap('keep', { v: '2' }));
    sim.apply(configMap('new'));
    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'gone' });
    await eventually(() => expect(seen.errors.length).toBeGreaterThan(0));
    const listsBefore = sim.requestCount('list /configmaps');
    await sim.comeBack();

    await eventually(() => expect(seen.events.slice(2)).toEqual(['update keep {"v":"2"}', 'add new {}', 'delete gone']));
    expect(informer.list().map((o) => o.metadata?.name).sort()).toEqual(['keep', 'new']);
    // It resumed by watch replay, not by listing again.
    expect(sim.requestCount('list /configmaps')).toBe(listsBefore);

    // An abrupt drop of the stream itself, with changes made before the informer reconnects.
    await sim.waitForWatches(1);
    const errors = seen.errors.length;
    sim.dropWatches();
    sim.apply(configMap('after-drop'));
    await eventually(() => expect(seen.errors.length).toBeGreaterThan(errors));
    await eventually(() => expect(seen.events.at(-1)).toBe('add after-drop {}'));
    sim.apply(configMap('after-reconnect'));
    await eventually(() => expect(seen.events.at(-1)).toBe('add after-reconnect {}'));
  });

  it('a gracefully ended watch is reopened by the informer on its own', async () => {
    ({ sim, kc } = await startSim());
    const { informer, seen } = configMapInformer(false);
    await informer.start();
    await sim.waitForWatches(1);
    expect(sim.dropWatches({ graceful: true })).toBe(1);
    sim.apply(configMap('x'));
    await eventually(() => expect(seen.events).toEqual(['add x {}']));
    expect(seen.errors).toEqual([]);
    expect(sim.requestCount('watch /configmaps')).toBeGreaterThanOrEqual(2);
  });

  it('an informer whose resourceVersion was compacted away relists and reports the difference', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('a'));
    const { informer, seen } = configMapInformer(true);
    await informer.start();
    await sim.waitForWatches(1);
    await sim.goDown('refuse');
    sim.apply(configMap('b'));
    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a' });
    sim.compact();
    await eventually(() => expect(seen.errors.length).toBeGreaterThan(0));
    await sim.comeBack();
    await eventually(() => expect(informer.list().map((o) => o.metadata?.name)).toEqual(['b']));
    expect(seen.events).toEqual(['add a {}', 'delete a', 'add b {}']);
    expect(sim.requestCount('list /configmaps')).toBe(2);
  });

  it('a watch with a label selector sees an object leave and enter the selection as DELETED and ADDED', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('a', {}, 'default', { tier: 'web' }));
    const w = await rawWatch('/api/v1/namespaces/default/configmaps', { resourceVersion: sim.resourceVersion, labelSelector: 'tier=web' });
    await sim.waitForWatches(1);
    sim.apply(configMap('a', {}, 'default', { tier: 'db' }));
    sim.apply(configMap('a', {}, 'default', { tier: 'web' }));
    sim.apply(configMap('other', {}, 'default', { tier: 'db' }));
    await eventually(() => expect(w.events.map((e) => `${e.type} ${e.object.metadata.labels.tier}`)).toEqual(['DELETED web', 'ADDED web']));
  });

  it('a watch without a resourceVersion starts with the current objects as ADDED, and timeoutSeconds ends it', async () => {
    ({ sim, kc } = await startSim());
    sim.apply(configMap('a'));
    sim.apply(configMap('b'));
    const w = await rawWatch('/api/v1/namespaces/default/configmaps', { timeoutSeconds: 1 });
    await eventually(() => expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b']));
    expect(await w.done).toBeNull();
  });

  it('delivers a burst of 5,000 changes to an informer in order', async () => {
    ({ sim, kc } = await startSim());
    const { informer, seen } = configMapInformer(false);
    await informer.start();
    await sim.waitForWatches(1);
    for (let i = 0; i < 1000; i++) sim.apply(configMap(`c${i}`, { v: '0' }));
    for (let round = 1; round <= 4; round++) for (let i = 0; i < 1000; i++) sim.apply(configMap(`c${i}`, { v: String(round) }));
    await eventually(() => expect(seen.events).toHaveLength(5000), 15_000);
    expect(seen.events[4999]).toBe('update c999 {"v":"4"}');
    expect(informer.list().every((o) => o.data?.v === '4')).toBe(true);
  });
});
