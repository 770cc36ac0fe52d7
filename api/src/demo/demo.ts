import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { dump, load } from 'js-yaml';
import { parseConfig, LoadedConfig, ConfigEnv } from '../config/load';
import { SimCluster } from '../cluster/sim';
import { LiveState, LiveObserver } from '../cluster/live-state';
import { LiveWriter } from '../cluster/live-writer';
import { RevisionPartitions } from '../cluster/partitions';
import type { ApiResource } from '../cluster/discovery';
import { namespaceScope } from '../cluster/scope';
import { ObjectIds } from '../store/objects';
import type { SensitiveRules } from '../core/redact';
import { buildScenario, DemoScenario, DEMO_APPLIER, DEMO_ENVIRONMENTS, demoNamespace } from './scenario';
import { writeDemoRepo } from './repo';

export const DEMO_REPOSITORY = 'shop-infra';
export const DEMO_CLUSTER = 'demo';

/** The kinds the demo's manifests use, as discovery describes them. */
const RESOURCES: Record<string, ApiResource> = {
  'v1/Namespace': { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, verbs: ['get', 'list', 'watch'] },
  'v1/ConfigMap': { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, verbs: ['get', 'list', 'watch'] },
  'v1/Service': { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, verbs: ['get', 'list', 'watch'] },
  'apps/v1/Deployment': { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: ['get', 'list', 'watch'] },
};

export interface DemoHandle {
  dir: string;
  loaded: LoadedConfig;
  sim: SimCluster;
  scenario: DemoScenario;
  stop(): Promise<void>;
}

/**
 * Prepare the demo in `<dataDir>/demo`: the generated repository (once; its
 * 30 days end at the anchor recorded on first start, so restarts keep the same
 * history), a simulated cluster serving the Kubernetes API on 127.0.0.1, and a
 * configuration pointing Driftline at both.
 */
export async function prepareDemo(o: { dataDir: string; env?: ConfigEnv; simPort?: number; anchor?: Date }): Promise<DemoHandle> {
  const dir = join(o.dataDir, 'demo');
  mkdirSync(dir, { recursive: true });
  const statePath = join(dir, 'demo.json');
  let anchor: Date;
  if (existsSync(statePath)) anchor = new Date((JSON.parse(readFileSync(statePath, 'utf8')) as { anchor: string }).anchor);
  else {
    anchor = o.anchor ?? new Date();
    writeFileSync(statePath, JSON.stringify({ anchor: anchor.toISOString() }) + '\n');
  }
  const scenario = buildScenario(anchor);
  const repoDir = join(dir, 'repo');
  if (!existsSync(join(repoDir, '.git'))) await writeDemoRepo(repoDir, scenario.commits);
  // Uids derived from the anchor and identity: a restart rebuilds the same cluster, so the watcher's first list records nothing.
  const uid = (group: string, kind: string, ns: string, name: string) => {
    const h = createHash('sha256').update(`${anchor.toISOString()}/${group}/${kind}/${ns}/${name}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  };
  const sim = new SimCluster({ uid });
  await sim.start(o.simPort ?? 0);
  const kubeconfig = sim.writeKubeconfig(join(dir, 'kubeconfig'), DEMO_CLUSTER);
  const config = {
    dataDir: o.dataDir,
    repositories: [{ name: DEMO_REPOSITORY, path: repoDir, branch: 'main', pollInterval: '30s' }],
    clusters: [{ name: DEMO_CLUSTER, kubeconfig, context: DEMO_CLUSTER }],
    environments: DEMO_ENVIRONMENTS.map((env) => ({
      name: env,
      repository: DEMO_REPOSITORY,
      paths: [`clusters/${env}/**`],
      cluster: DEMO_CLUSTER,
      namespaces: [demoNamespace(env)],
      applier: DEMO_APPLIER,
    })),
  };
  const env = { ...(o.env ?? {}) };
  delete env.DATABASE_URL;
  delete env.DRIFTLINE_CONFIG;
  const loaded = parseConfig(dump(config), '(demo)', env, dir);
  loaded.source = null;
  return { dir, loaded, sim, scenario, stop: () => sim.stop() };
}

function refOf(obj: Record<string, any>) {
  return { apiVersion: obj.apiVersion as string, kind: obj.kind as string, namespace: obj.metadata?.namespace as string | undefined, name: obj.metadata?.name as string };
}

/**
 * Play the scenario's cluster history into the simulated cluster. With a
 * database, each change is also recorded as observed at its time — the same
 * observation path the watcher uses (LiveObserver → LiveWriter), given the
 * historical time instead of "now" — so the timeline has 30 days of live
 * history. Without one (a restart of an already seeded demo) the simulator is
 * only brought to its final state; the watcher's first list then finds nothing new.
 */
export async function playClusterHistory(
  h: DemoHandle,
  record: { ds: DataSource; logger: Logger; installKey: Buffer; sensitive?: SensitiveRules } | null,
): Promise<{ actions: number; recorded: number }> {
  let writer: LiveWriter | null = null;
  let observer: LiveObserver | null = null;
  if (record) {
    const rows = await record.ds.query(`INSERT INTO clusters (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`, [DEMO_CLUSTER]);
    const clusterId = Number(rows[0].id);
    const objectIds = new ObjectIds();
    const state = await LiveState.load(record.ds, clusterId, objectIds);
    writer = new LiveWriter({ ds: record.ds, clusterId, cluster: DEMO_CLUSTER, objectIds, partitions: new RevisionPartitions(record.ds), logger: record.logger, leaderId: null, notify: () => undefined, flushIntervalMs: 100, maxBatch: 2000 });
    writer.start();
    observer = new LiveObserver(state, writer, { key: record.installKey, sensitive: record.sensitive }, namespaceScope(DEMO_CLUSTER, h.loaded.config.environments));
  }
  let recorded = 0;
  for (const a of h.scenario.live) {
    if (a.type === 'apply') {
      const obj = load(a.manifest) as Record<string, any>;
      const r = RESOURCES[`${obj.apiVersion}/${obj.kind}`]!;
      h.sim.apply(obj, { manager: a.manager, operation: a.operation, time: a.at });
      const live = h.sim.get(refOf(obj));
      if (observer && live) recorded += observer.upsert(r, live as Record<string, unknown>, 'watch', a.at).length;
    } else {
      const ref = { apiVersion: a.apiVersion, kind: a.kind, namespace: a.namespace, name: a.name };
      const before = h.sim.get(ref);
      if (!before) continue;
      h.sim.delete(ref, { manager: a.manager, time: a.at });
      if (observer && observer.remove(RESOURCES[`${a.apiVersion}/${a.kind}`]!, before as Record<string, unknown>, 'watch', a.at)) recorded++;
    }
  }
  if (writer) {
    await writer.drain();
    await writer.stop();
  }
  return { actions: h.scenario.live.length, recorded };
}
