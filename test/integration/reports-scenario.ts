/**
 * The audit scenario the report tests share: a Git repository with known
 * commits, a cluster recorded through the product's own live writer (so live
 * revisions carry the real hash chain) with known deploy delays, exactly two
 * manual `kubectl edit` changes, one recording gap, and drift intervals from
 * the drift engine.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { load } from 'js-yaml';
import type { DataSource } from 'typeorm';
import { sha256Hex } from '../../api/src/core/canonical';
import { identityKey } from '../../api/src/core/identity';
import type { ManagedFieldsEntry } from '../../api/src/core/normalize-live';
import { LiveWriter } from '../../api/src/cluster/live-writer';
import { metaDocumentJson, observeLiveObject } from '../../api/src/cluster/live-object';
import type { ApiResource } from '../../api/src/cluster/discovery';
import { RevisionPartitions } from '../../api/src/cluster/partitions';
import { ObjectIds } from '../../api/src/store/objects';
import { DriftRepository } from '../../api/src/drift/drift.repository';
import { DriftEngineService } from '../../api/src/drift/drift-engine.service';
import { ReportsRepository } from '../../api/src/reports/reports.repository';
import { ReportsService } from '../../api/src/reports/reports.service';
import type { RuntimeInfo } from '../../api/src/runtime-info';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { gitIndexer, TEST_KEY } from '../support/git-index';

const silent = pino({ level: 'silent' });

export const ALICE = { name: 'Alice Admin', email: 'alice@example.com' };
export const BOB = { name: 'Bob Builder', email: 'bob@example.com' };

const RESOURCES: Record<string, ApiResource> = {
  Deployment: { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: ['list', 'watch'] },
  ConfigMap: { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, verbs: ['list', 'watch'] },
  Service: { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, verbs: ['list', 'watch'] },
};

export const deployment = (image: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: ${image}
          resources: { limits: { memory: 512Mi, cpu: 500m } }
`;

export const configMap = (level: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: api-config, namespace: shop }
data:
  LOG_LEVEL: ${level}
  TIMEOUT: "30s"
`;

const service = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

/** What the cluster shows once the applier applied a manifest: API-server defaults, quantities in other forms. */
function applied(manifest: string): Record<string, any> {
  const o = load(manifest) as Record<string, any>;
  if (o.kind === 'Deployment') {
    o.spec.revisionHistoryLimit = 10;
    o.spec.progressDeadlineSeconds = 600;
    o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
    const c = o.spec.template.spec.containers[0];
    c.imagePullPolicy = 'IfNotPresent';
    c.terminationMessagePath = '/dev/termination-log';
    c.terminationMessagePolicy = 'File';
    c.resources.limits = { memory: '0.5Gi', cpu: '0.5' };
    o.spec.template.spec.restartPolicy = 'Always';
    o.spec.template.spec.dnsPolicy = 'ClusterFirst';
    o.status = { replicas: o.spec.replicas };
  }
  return o;
}

const applierFields = (kind: string, at: Date): ManagedFieldsEntry => ({
  manager: 'kustomize-controller',
  operation: 'Apply',
  apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
  time: at.toISOString(),
  fieldsType: 'FieldsV1',
  fieldsV1: kind === 'Deployment'
    ? { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:resources': {} } } } } } }
    : kind === 'ConfigMap' ? { 'f:data': { 'f:LOG_LEVEL': {}, 'f:TIMEOUT': {} } } : { 'f:spec': { 'f:ports': {}, 'f:selector': {} } },
});

/** A cluster recorded through the product's LiveWriter: hash-chained rows exactly as the watcher writes them. */
export class RecordedCluster {
  private readonly current = new Map<string, { uid: string; rv: number }>();
  private rv = 100;
  private constructor(
    private readonly writer: LiveWriter,
    readonly clusterId: number,
  ) {}

  static async create(ds: DataSource, name: string): Promise<RecordedCluster> {
    const rows = await ds.query(`INSERT INTO clusters (name, connected) VALUES ($1, true) RETURNING id`, [name]);
    const clusterId = Number(rows[0].id);
    const writer = new LiveWriter({
      ds, clusterId, cluster: name, objectIds: new ObjectIds(), partitions: new RevisionPartitions(ds), logger: silent, leaderId: null, notify: () => undefined,
    });
    return new RecordedCluster(writer, clusterId);
  }

  /** Record `raw` as observed at `at`, attributed by its managedFields. */
  async observe(raw: Record<string, any>, at: Date, managedFields: ManagedFieldsEntry[]): Promise<void> {
    const resource = RESOURCES[raw.kind]!;
    const key = identityKey({ group: resource.group, kind: raw.kind, namespace: raw.metadata.namespace, name: raw.metadata.name });
    const prev = this.current.get(key);
    const uid = prev?.uid ?? `uid-${key}`;
    const withMeta = { ...raw, metadata: { ...raw.metadata, uid, resourceVersion: String(++this.rv), managedFields } };
    const o = observeLiveObject(withMeta, resource, { key: TEST_KEY })!;
    const meta = metaDocumentJson(o);
    const metaHash = sha256Hex(meta);
    this.writer.add(
      {
        identity: o.identity, key, change: prev ? 'configured' : 'created', source: 'watch', observedAt: at, changedAt: o.changedAt ?? at,
        resourceVersion: o.resourceVersion, uid: o.uid, documentHash: o.documentHash, metaHash, manager: o.manager, operation: o.operation,
      },
      [[o.documentHash, o.bodyJson], [metaHash, meta]],
    );
    this.current.set(key, { uid, rv: this.rv });
    await this.writer.drain();
  }

  /** The applier applied `manifest` at `at`. */
  apply(manifest: string, at: Date): Promise<void> {
    const o = applied(manifest);
    return this.observe(o, at, [applierFields(o.kind, at)]);
  }

  async gap(group: string, kind: string, from: Date, to: Date, reason: string): Promise<void> {
    this.writer.openGap(group, kind, from, reason);
    this.writer.closeGap(group, kind, to);
    await this.writer.drain();
  }
}

const plus = (d: Date, s: number) => new Date(d.getTime() + s * 1000);
const DAY = 86_400;

/**
 * Day 0 of the scenario: midnight UTC twelve days ago. The live writer records
 * how far behind it is in an integer of milliseconds, so observations must be
 * recent (less than ~24 days old); the scenario is therefore relative to today.
 */
export const BASE = new Date(Math.floor(Date.now() / (DAY * 1000)) * DAY * 1000 - 12 * DAY * 1000);
/** A time of the scenario: day `d` (fractional days allowed) after BASE. */
export const at = (d: number, seconds = 0) => plus(BASE, d * DAY + seconds);

export interface Scenario {
  repo: GitRepoBuilder;
  configInput: Record<string, unknown>;
  config: ReturnType<typeof gitIndexer>['config'];
  cluster: RecordedCluster;
  shas: Record<string, string>;
  manualEdits: { web: Date; config: Date };
  service(dataDir?: string): ReportsService;
  /** driftline.yaml for CLI runs. */
  writeConfig(dir: string): string;
}

/** The report window: day 0 through day 9 (dates, so the end is the last instant of day 9). */
export const WINDOW = { from: BASE.toISOString().slice(0, 10), to: at(9).toISOString().slice(0, 10) };

/**
 * Day -5: web is created (before the window). Then, in the window:
 * - A (Alice) day 0 09:00 adds api-config; applied 30 s later.
 * - B (Bob, PR #12) day 1 10:00 bumps web to 1.26; applied 120 s later.
 * - kubectl edit #1 day 2 08:00 on web (image hotfix + DEBUG env); the applier reverts it 10 min later.
 * - C (Alice) day 4 12:00 changes api-config TIMEOUT; applied 45 s later.
 * - D (Bob) day 5 09:00 scales web to 3, superseded 30 s later by E (Bob, image 1.27 and 3 replicas), applied 60 s after D.
 * - kubectl edit #2 day 6 15:00 on api-config (LOG_LEVEL=debug); F (Alice) adopts it in Git one hour later.
 * - G (Bob) day 7 11:00 adds a Service (subject starts with "=": formula injection); never applied.
 * - A gap recording ConfigMaps on day 8 from 00:00 to 02:00.
 */
export async function buildScenario(ds: DataSource): Promise<Scenario> {
  const repo = await GitRepoBuilder.create();
  const shas: Record<string, string> = {};
  const commit = async (name: string, files: Record<string, string | null>, message: string, author: { name: string; email: string }, at: Date) => {
    shas[name] = await repo.commit({ files, message, author, date: at.toISOString() });
  };
  const june = at(-5, 10 * 3600);
  await commit('init', { 'clusters/prod/web.yaml': deployment('nginx:1.25', 2) }, 'add web', ALICE, june);
  const tA = at(0, 9 * 3600);
  await commit('A', { 'clusters/prod/api-config.yaml': configMap('info') }, 'add api config', ALICE, tA);
  const tB = at(1, 10 * 3600);
  await commit('B', { 'clusters/prod/web.yaml': deployment('nginx:1.26', 2) }, 'bump web to 1.26 (#12)', BOB, tB);
  const tC = at(4, 12 * 3600);
  await commit('C', { 'clusters/prod/api-config.yaml': configMap('info').replace('"30s"', '"45s"') }, 'longer api timeout', ALICE, tC);
  const tD = at(5, 9 * 3600);
  await commit('D', { 'clusters/prod/web.yaml': deployment('nginx:1.26', 3) }, 'scale web to 3', BOB, tD);
  const tE = plus(tD, 30);
  await commit('E', { 'clusters/prod/web.yaml': deployment('nginx:1.27', 3) }, 'web 1.27', BOB, tE);
  const tEdit2 = at(6, 15 * 3600);
  const tF = plus(tEdit2, 3600);
  const adopted = configMap('debug').replace('"30s"', '"45s"');
  await commit('F', { 'clusters/prod/api-config.yaml': adopted }, 'adopt debug logging from the incident', ALICE, tF);
  const tG = at(7, 11 * 3600);
  await commit('G', { 'clusters/prod/web-service.yaml': service }, '=HYPERLINK("http://evil.example","add web service")', BOB, tG);

  const configInput = {
    repositories: [{ name: 'infra', path: repo.dir }],
    clusters: [{ name: 'prod-eu', kubeconfig: '/dev/null' }],
    environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'], cluster: 'prod-eu', namespaces: ['shop'] }],
  };
  const ix = gitIndexer(ds, configInput);
  await ix.index();

  const cluster = await RecordedCluster.create(ds, 'prod-eu');
  await cluster.apply(deployment('nginx:1.25', 2), plus(june, 60));
  await cluster.apply(configMap('info'), plus(tA, 30));
  await cluster.apply(deployment('nginx:1.26', 2), plus(tB, 120));
  // kubectl edit #1: image hotfix and a DEBUG env var by hand.
  const tEdit1 = at(2, 8 * 3600);
  const hot = applied(deployment('nginx:1.26', 2));
  hot.spec.template.spec.containers[0].image = 'nginx:1.26-hotfix';
  hot.spec.template.spec.containers[0].env = [{ name: 'DEBUG', value: '1' }];
  await cluster.observe(hot, tEdit1, [
    applierFields('Deployment', plus(tB, 120)),
    { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'apps/v1', time: tEdit1.toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {}, 'f:env': { '.': {}, 'k:{"name":"DEBUG"}': { '.': {}, 'f:name': {}, 'f:value': {} } } } } } } } } },
  ]);
  await cluster.apply(deployment('nginx:1.26', 2), plus(tEdit1, 600));
  await cluster.apply(configMap('info').replace('"30s"', '"45s"'), plus(tC, 45));
  await cluster.apply(deployment('nginx:1.27', 3), plus(tD, 60));
  // kubectl edit #2: LOG_LEVEL=debug by hand; Git adopts it an hour later (F), so nothing is applied then.
  const cm = applied(adopted);
  await cluster.observe(cm, tEdit2, [
    applierFields('ConfigMap', plus(tC, 45)),
    { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', time: tEdit2.toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:LOG_LEVEL': {} } } },
  ]);
  await cluster.gap('', 'ConfigMap', at(8), at(8, 7200), 'watch failed: 403 forbidden');

  const engine = new DriftEngineService(ds, new DriftRepository(ds), ix.config, silent);
  await engine.catchUp();

  const runtime: RuntimeInfo = { version: 'test', mode: 'configured', database: 'postgres', config: ix.config, configSource: null, features: [], workers: false };
  return {
    repo,
    configInput,
    config: ix.config,
    cluster,
    shas,
    manualEdits: { web: tEdit1, config: tEdit2 },
    service: (dataDir?: string) => new ReportsService(ds, new ReportsRepository(ds), dataDir ? { ...ix.config, dataDir } : ix.config, silent, runtime),
    writeConfig(dir: string) {
      const path = join(dir, 'driftline.yaml');
      writeFileSync(path, JSON.stringify(configInput));
      return path;
    },
  };
}

export function tempDir(prefix = 'driftline-report-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
