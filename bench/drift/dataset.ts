/**
 * A year of one GitOps environment, written straight into the tables the drift
 * and timeline readers use. Shared by bench/drift and bench/timeline.
 *
 * Shape (10,000 objects by default):
 *   - apps of three objects each — Deployment (HPA-scaled, no replicas in Git),
 *     ConfigMap, Service — in namespaces team-00…team-NN; 0.5 % ConfigMaps made
 *     by hand in those namespaces (unmanaged); 2 % controller-owned objects in
 *     kube-system (outside the environment's namespaces);
 *   - Git: one import commit creating every managed object, then release
 *     commits on weekdays' working hours (image bump, sometimes the app's
 *     ConfigMap, rarely its Service; now and then a base-image bump over
 *     40–160 Deployments), a few commits removing Services; every commit
 *     reachable and first-parent;
 *   - cluster: the applier (kustomize-controller, Apply) applies each change
 *     20 s–4 min after the commit (now and then up to an hour); HPA scaling
 *     (kube-controller-manager, scale subresource) fills the rest, with a
 *     heavy-tailed rate per Deployment and a daily cycle; people edit a
 *     Deployment by hand (kubectl-edit / kubectl-patch / a browser) between
 *     two applies with a given probability, which the next apply reverts;
 *     a few Deployments are deleted by hand (missing);
 *   - documents: content-addressed, canonical JSON (the api's canonicalJson),
 *     live bodies with API-server defaults, meta documents
 *     `{ v: 1, managedFields, lastApplied }` with fieldsV1 ownership;
 *   - drift intervals derived from the same story (what the engine's
 *     `rebuild` computes: `--verify` in bench/drift checks it on a small set),
 *     and drift cursors at the newest revisions.
 * live_revisions gets monthly partitions, as the recorder keeps them.
 * Simplifications: no unreachable commits, no file_changes/blobs (no reader
 * here needs them), hash chains are per-row hashes without prev links,
 * managedFields times change per apply (not per HPA event), so meta documents
 * are shared across the HPA revisions between two applies, and interval
 * summaries are short stand-ins for the engine's.
 */
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { compiled } from '../support/db.ts';
import { prng } from '../../api/src/core/prng.ts';
import { Interner } from '../../api/src/core/interner.ts';

export const ENVIRONMENT = 'prod';
export const REPOSITORY = 'infra';
export const CLUSTER = 'prod-eu';
export const APPLIER = 'kustomize-controller';

export interface DatasetOptions {
  /** Objects in all (apps × 3 + hand-made + kube-system). */
  objects: number;
  /** Desired revisions (import commit included). */
  desired: number;
  /** Live revisions. */
  live: number;
  /** Days of history, ending at `end`. */
  days: number;
  end: Date;
  seed: number;
  /** Team namespaces. */
  namespaces: number;
  /** Probability that a Deployment is edited by hand between two applies. */
  editRate: number;
  log?: (s: string) => void;
}

export const DEFAULT_OPTIONS: Omit<DatasetOptions, 'end'> = { objects: 10_000, desired: 50_000, live: 1_000_000, days: 365, seed: 1, namespaces: 40, editRate: 0.08 };

export interface Dataset {
  start: Date;
  end: Date;
  objects: number;
  commits: number;
  desiredRevisions: number;
  liveRevisions: number;
  driftIntervals: number;
  documents: number;
  /** Open intervals at the end, by type (what driftAt(now) should count). */
  openAtEnd: Record<string, number>;
  /** Deployments that exist live at the end, with their state: for one-object re-evaluations. */
  liveDeployments: { objectId: number; app: number; version: number; replicas: number; edited: boolean }[];
  seedSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and time


const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Working hours on weekdays (UTC) get most commits. */
function commitWeight(t: number): number {
  const d = new Date(t);
  const h = d.getUTCHours() + d.getUTCMinutes() / 60;
  const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
  return weekday && h >= 8 && h < 19 ? 1 : 0.05;
}

/** Traffic (and so HPA scaling): a daily cycle peaking mid-afternoon, quieter at weekends. */
function trafficWeight(t: number): number {
  const d = new Date(t);
  const h = d.getUTCHours() + d.getUTCMinutes() / 60;
  const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
  return (weekday ? 1 : 0.6) * (0.25 + 0.75 * Math.exp(-(((h - 14) / 4.5) ** 2)));
}

function sampleTime(rng: () => number, from: number, to: number, weight: (t: number) => number): number {
  let t = from + rng() * (to - from);
  for (let i = 0; i < 30 && rng() > weight(t); i++) t = from + rng() * (to - from);
  return Math.floor(t);
}

const hex = (s: string, algo = 'sha256') => createHash(algo).update(s).digest('hex');

// ---------------------------------------------------------------------------------------------
// Objects and documents

const WORDS = ['checkout', 'payments', 'search', 'catalog', 'cart', 'orders', 'users', 'auth', 'billing', 'invoices', 'shipping', 'inventory', 'pricing', 'reviews', 'recommend', 'notify', 'email', 'sms', 'media', 'images', 'reports', 'ledger', 'fraud', 'loyalty', 'coupons', 'gateway', 'profile', 'session', 'audit', 'export'];
const ROLES = ['api', 'worker', 'web', 'consumer', 'scheduler', 'proxy', 'sync', 'indexer'];
const AUTHORS = Array.from({ length: 60 }, (_, i) => {
  const first = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena'][i % 12]!;
  const last = ['Novak', 'Schmidt', 'Okafor', 'Lindqvist', 'Moreau', 'Tanaka'][Math.floor(i / 12) % 6]!;
  return { name: `${first} ${last}`, email: `${first.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.${last.toLowerCase()}${i}@example.com` };
});
const HUMAN_EDITORS = [
  { manager: 'kubectl-edit', weight: 0.6 },
  { manager: 'kubectl-patch', weight: 0.25 },
  { manager: 'Mozilla/5.0 (X11; Linux x86_64) Lens/6.5', weight: 0.15 },
];

const KIND_DEPLOYMENT = 0;
const KIND_CONFIGMAP = 1;
const KIND_SERVICE = 2;
const KIND_HANDMADE = 3;
const KIND_SYSTEM = 4;

class World {
  readonly apps: number;
  readonly handmade: number;
  readonly system: number;
  readonly o: DatasetOptions;
  constructor(o: DatasetOptions) {
    this.o = o;
    this.handmade = Math.max(1, Math.round(o.objects * 0.005));
    this.system = Math.max(1, Math.round(o.objects * 0.02));
    this.apps = Math.floor((o.objects - this.handmade - this.system) / 3);
    if (this.apps < 10) throw new Error('too few objects');
  }
  get total(): number {
    return this.apps * 3 + this.handmade + this.system;
  }
  /** Object ids are 1-based, in insertion order: apps first (Deployment, ConfigMap, Service), then hand-made, then kube-system. */
  id(kind: number, i: number): number {
    if (kind <= KIND_SERVICE) return 3 * i + kind + 1;
    if (kind === KIND_HANDMADE) return 3 * this.apps + i + 1;
    return 3 * this.apps + this.handmade + i + 1;
  }
  kindOf(id: number): { kind: number; i: number } {
    const z = id - 1;
    if (z < 3 * this.apps) return { kind: z % 3, i: Math.floor(z / 3) };
    if (z < 3 * this.apps + this.handmade) return { kind: KIND_HANDMADE, i: z - 3 * this.apps };
    return { kind: KIND_SYSTEM, i: z - 3 * this.apps - this.handmade };
  }
  appName(a: number): string {
    return `${WORDS[a % WORDS.length]}-${ROLES[Math.floor(a / WORDS.length) % ROLES.length]}-${a}`;
  }
  namespace(a: number): string {
    return `team-${String(a % this.o.namespaces).padStart(2, '0')}`;
  }
  identity(id: number): { group: string; kind: string; namespace: string; name: string } {
    const { kind, i } = this.kindOf(id);
    if (kind === KIND_DEPLOYMENT) return { group: 'apps', kind: 'Deployment', namespace: this.namespace(i), name: this.appName(i) };
    if (kind === KIND_CONFIGMAP) return { group: '', kind: 'ConfigMap', namespace: this.namespace(i), name: this.appName(i) + '-config' };
    if (kind === KIND_SERVICE) return { group: '', kind: 'Service', namespace: this.namespace(i), name: this.appName(i) };
    if (kind === KIND_HANDMADE) return { group: '', kind: 'ConfigMap', namespace: this.namespace(i * 7), name: `debug-notes-${i}` };
    return { group: '', kind: 'ConfigMap', namespace: 'kube-system', name: `cluster-autoscaler-status-${i}` };
  }
  path(id: number): string {
    const { kind, i } = this.kindOf(id);
    const file = ['deployment.yaml', 'configmap.yaml', 'service.yaml'][kind]!;
    return `clusters/prod/${this.namespace(i)}/${this.appName(i)}/${file}`;
  }
}

type Json = Record<string, unknown>;

/** fieldsV1 of what a manifest sets (what an Apply of it owns). */
function fieldsOf(v: unknown, key = ''): Json {
  if (Array.isArray(v)) {
    const out: Json = {};
    if (!v.length || typeof v[0] !== 'object') return {};
    for (const item of v as Json[]) {
      let k: string;
      if (key === 'ports' && 'containerPort' in item) k = `k:{"containerPort":${item.containerPort},"protocol":"TCP"}`;
      else if (key === 'ports' && 'port' in item) k = `k:{"port":${item.port},"protocol":"TCP"}`;
      else if ('name' in item) k = `k:{"name":${JSON.stringify(item.name)}}`;
      else return {};
      out[k] = { '.': {}, ...fieldsOf(item) };
    }
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const [k, x] of Object.entries(v as Json)) {
      if (k === 'apiVersion' || k === 'kind') continue;
      const sub = fieldsOf(x, k);
      out[`f:${k}`] = x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x as Json).length ? { '.': {}, ...sub } : sub;
    }
    return out;
  }
  return {};
}

function deploymentManifest(w: World, a: number, v: number): Json {
  const name = w.appName(a);
  const team = w.namespace(a);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: team, labels: { app: name, 'app.kubernetes.io/instance': ENVIRONMENT, 'app.kubernetes.io/part-of': team, 'app.kubernetes.io/version': `1.${v}.0` } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' } },
        spec: {
          serviceAccountName: name,
          containers: [
            {
              name: 'app',
              image: `registry.example.com/${team}/${name}:1.${v}.0`,
              args: ['--config=/etc/app/app.properties', `--shutdown-grace=${20 + (a % 3) * 5}s`],
              ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }],
              env: [
                { name: 'LOG_LEVEL', value: 'info' },
                { name: 'JAVA_OPTS', value: `-Xmx${256 + (a % 4) * 128}m -XX:+UseG1GC` },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              envFrom: [{ configMapRef: { name: `${name}-config` } }],
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
              volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: `${name}-config` } }],
        },
      },
    },
  };
}

/** What the cluster shows for the manifest: API-server defaults, the HPA's replicas, maybe a hand edit. */
function liveDeployment(w: World, a: number, v: number, replicas: number, edited: boolean): Json {
  const o = deploymentManifest(w, a, v) as any;
  o.spec.replicas = replicas;
  o.spec.revisionHistoryLimit = 10;
  o.spec.progressDeadlineSeconds = 600;
  o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  const pod = o.spec.template.spec;
  Object.assign(pod, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30, serviceAccount: pod.serviceAccountName });
  pod.volumes[0].configMap.defaultMode = 420;
  const c = pod.containers[0];
  Object.assign(c, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
  for (const p of c.ports) p.protocol = 'TCP';
  c.env[2].valueFrom.fieldRef.apiVersion = 'v1';
  Object.assign(c.readinessProbe, { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  c.readinessProbe.httpGet.scheme = 'HTTP';
  if (edited) {
    if (a % 3 === 0) c.resources.limits.memory = '1Gi';
    else c.env[0].value = 'debug';
  }
  return o;
}

function editFields(a: number): Json {
  const container = a % 3 === 0
    ? { 'f:resources': { 'f:limits': { 'f:memory': {} } } }
    : { 'f:env': { 'k:{"name":"LOG_LEVEL"}': { 'f:value': {} } } };
  return { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': container } } } } };
}

function iso(t: number): string {
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function deploymentMeta(w: World, a: number, v: number, edited: boolean, applyAt: number): Json {
  const applier = fieldsOf(deploymentManifest(w, a, v)) as any;
  if (edited) {
    const c = applier['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"app"}'];
    if (a % 3 === 0) delete c['f:resources']['f:limits']['f:memory'];
    else delete c['f:env']['k:{"name":"LOG_LEVEL"}']['f:value'];
  }
  const managedFields: Json[] = [
    { manager: APPLIER, operation: 'Apply', apiVersion: 'apps/v1', time: iso(applyAt), fieldsType: 'FieldsV1', fieldsV1: applier },
    { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: iso(applyAt + 2000), fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } } } },
    { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: iso(applyAt + 60_000), fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' },
  ];
  if (edited) managedFields.push({ manager: HUMAN_EDITORS[a % HUMAN_EDITORS.length]!.manager, operation: 'Update', apiVersion: 'apps/v1', time: iso(applyAt + HOUR), fieldsType: 'FieldsV1', fieldsV1: editFields(a) });
  return { v: 1, managedFields, lastApplied: null };
}

function configMapManifest(w: World, a: number, v: number): Json {
  const name = w.appName(a);
  const props = [
    `server.port=8080`,
    `management.port=9090`,
    `app.name=${name}`,
    `app.config-version=${v}`,
    `db.pool.max=${10 + (v % 5) * 2}`,
    `db.pool.timeout=30s`,
    `cache.ttl=${300 + (v % 3) * 60}s`,
    `http.client.timeout=${5 + (v % 4)}s`,
    `feature.search-v2=${v % 2 === 0}`,
    `feature.new-checkout=${v % 3 === 0}`,
  ].join('\n');
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-config`, namespace: w.namespace(a), labels: { app: name, 'app.kubernetes.io/instance': ENVIRONMENT } },
    data: { 'app.properties': props + '\n', LOG_FORMAT: 'json', TZ: 'UTC', CONFIG_VERSION: String(v) },
  };
}

function serviceManifest(w: World, a: number, v: number): Json {
  const name = w.appName(a);
  const ports: Json[] = [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 'metrics' }];
  if (v % 2 === 1) ports.push({ name: 'grpc', port: 9000, targetPort: 9000 });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: w.namespace(a), labels: { app: name, 'app.kubernetes.io/instance': ENVIRONMENT } },
    spec: { selector: { app: name }, ports },
  };
}

function liveService(w: World, a: number, v: number): Json {
  const o = serviceManifest(w, a, v) as any;
  const ip = `10.96.${Math.floor(a / 250) % 256}.${(a % 250) + 2}`;
  Object.assign(o.spec, { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster' });
  for (const p of o.spec.ports) p.protocol = 'TCP';
  return o;
}

function applierMeta(manifest: Json, applyAt: number, apiVersion: string): Json {
  return { v: 1, managedFields: [{ manager: APPLIER, operation: 'Apply', apiVersion, time: iso(applyAt), fieldsType: 'FieldsV1', fieldsV1: fieldsOf(manifest) }], lastApplied: null };
}

function handmade(w: World, i: number, k: number): Json {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `debug-notes-${i}`, namespace: w.namespace(i * 7) },
    data: { notes: `incident ${1000 + i}: temporary overrides, revision ${k}\n`, 'override.properties': `log.level=debug\nsampling=${k + 1}\n` },
  };
}

function handmadeMeta(i: number, k: number, at: number): Json {
  const entries: Json[] = [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: iso(at), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:notes': {}, 'f:override.properties': {} } } }];
  if (k > 0) entries.push({ manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', time: iso(at), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:notes': {}, 'f:override.properties': {} } } });
  return { v: 1, managedFields: entries, lastApplied: null, i };
}

function systemObject(i: number, k: number): Json {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cluster-autoscaler-status-${i}`, namespace: 'kube-system', annotations: { 'cluster-autoscaler.kubernetes.io/last-updated': `2026-01-01 00:00:${String(k % 60).padStart(2, '0')}` } },
    data: { status: `Cluster-wide:\n  Health: Healthy (ready=${40 + (k % 7)} unready=0)\n  ScaleUp: NoActivity\n  ScaleDown: ${k % 2 ? 'CandidatesPresent' : 'NoCandidates'} (candidates=${k % 5})\n` },
  };
}

function systemMeta(i: number): Json {
  return { v: 1, managedFields: [{ manager: 'cluster-autoscaler', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:status': {} }, 'f:metadata': { 'f:annotations': { '.': {}, 'f:cluster-autoscaler.kubernetes.io/last-updated': {} } } } }], lastApplied: null, i };
}

// ---------------------------------------------------------------------------------------------
// The story

const MANAGERS = [APPLIER, 'kube-controller-manager', 'kubectl-edit', 'kubectl-patch', 'Mozilla/5.0 (X11; Linux x86_64) Lens/6.5', 'kubectl-create', 'cluster-autoscaler'];
const M_APPLIER = 0;
const M_KCM = 1;
const M_CREATE = 5;
const M_AUTOSCALER = 6;
const OPERATIONS = ['Apply', 'Update'];
const CHANGES = ['created', 'configured', 'deleted'];
const SOURCES = ['watch', 'list'];

/** Growable columns of live revisions (one row per element). */
class LiveRows {
  n = 0;
  obj = new Int32Array(1 << 16);
  t = new Float64Array(1 << 16);
  doc = new Int32Array(1 << 16);
  meta = new Int32Array(1 << 16);
  mgr = new Int8Array(1 << 16);
  op = new Int8Array(1 << 16);
  chg = new Int8Array(1 << 16);
  src = new Int8Array(1 << 16);
  push(obj: number, t: number, doc: number, meta: number, mgr: number, op: number, chg: number, src = 0): number {
    if (this.n === this.obj.length) {
      const grow = <T extends Int32Array | Float64Array | Int8Array>(a: T): T => {
        const b = new (a.constructor as any)(a.length * 2) as T;
        b.set(a as any);
        return b;
      };
      this.obj = grow(this.obj);
      this.t = grow(this.t);
      this.doc = grow(this.doc);
      this.meta = grow(this.meta);
      this.mgr = grow(this.mgr);
      this.op = grow(this.op);
      this.chg = grow(this.chg);
      this.src = grow(this.src);
    }
    const i = this.n++;
    this.obj[i] = obj;
    this.t[i] = t;
    this.doc[i] = doc;
    this.meta[i] = meta;
    this.mgr[i] = mgr;
    this.op[i] = op;
    this.chg[i] = chg;
    this.src[i] = src;
    return i;
  }
}

interface Commit {
  t: number;
  touches: number[];
  /** Object ids removed from Git by this commit. */
  removes: number[];
  platform: boolean;
  seq: number;
  sha: string;
  author: { name: string; email: string };
  subject: string;
  pr: number | null;
}

interface DesiredRev {
  obj: number;
  commit: number;
  /** Version, or -1 when removed. */
  v: number;
  doc: number;
}

interface Interval {
  obj: number;
  type: string;
  openedAt: number;
  closedAt: number | null;
  openedBy: Json;
  closedBy: Json | null;
  summary: string;
}

/** Triggers refer to live rows by index until ids are known (after sorting by time). */
type Trigger = { git: number } | { live: number };

export async function seed(ds: DataSource, o: DatasetOptions): Promise<Dataset> {
  const started = performance.now();
  const log = o.log ?? (() => undefined);
  const { canonicalJson } = compiled('core/canonical.js');
  const rng = prng(o.seed);
  const w = new World(o);
  const end = o.end.getTime();
  const start = end - o.days * DAY;
  // Document keys, built lazily: `kind|args` → index into the registry.
  const docs = new Interner();
  const A = w.apps;
  const dep = (a: number) => w.id(KIND_DEPLOYMENT, a);
  const cm = (a: number) => w.id(KIND_CONFIGMAP, a);
  const svc = (a: number) => w.id(KIND_SERVICE, a);

  // --- Git history -------------------------------------------------------------------------
  const removedCount = Math.max(1, Math.round(A * 0.006));
  let left = o.desired - 3 * A - removedCount;
  if (left < 0) throw new Error(`--desired must be at least ${3 * A + removedCount} for ${w.total} objects`);
  const perm = Array.from({ length: A }, (_, i) => i);
  for (let i = A - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const pickApp = () => perm[Math.floor(A * rng() ** 1.7)]!;
  const touched: number[][] = [];
  const serviceTouched = new Set<number>();
  while (left > 0) {
    const t: number[] = [];
    if (rng() < 0.004) {
      const n = Math.min(left, 40 + Math.floor(rng() * 120));
      const set = new Set<number>();
      while (set.size < n) set.add(dep(Math.floor(rng() * A)));
      t.push(...[...set].sort((x, y) => x - y));
    } else {
      const a = pickApp();
      t.push(dep(a));
      if (rng() < 0.33) t.push(cm(a));
      if (rng() < 0.02) {
        t.push(svc(a));
        serviceTouched.add(a);
      }
    }
    touched.push(t.slice(0, left));
    left -= Math.min(t.length, left);
  }
  const commits: Commit[] = [];
  commits.push({ t: start, touches: Array.from({ length: 3 * A }, (_, i) => i + 1), removes: [], platform: true, seq: 0, sha: '', author: AUTHORS[0]!, subject: 'import: prod environment', pr: null });
  for (const t of touched) commits.push({ t: sampleTime(rng, start + DAY, end - 10 * MIN, commitWeight), touches: t, removes: [], platform: t.length > 3, seq: 0, sha: '', author: AUTHORS[0]!, subject: '', pr: null });
  // Services removed from Git (still running: orphaned): a few commits in the last 30 days, of apps whose Service never changed.
  const victims: number[] = [];
  for (let i = A - 1; i >= 0 && victims.length < removedCount; i--) if (!serviceTouched.has(perm[i]!)) victims.push(svc(perm[i]!));
  for (let k = 0; k < victims.length; k += 5) commits.push({ t: sampleTime(rng, end - 30 * DAY, end - DAY, commitWeight), touches: [], removes: victims.slice(k, k + 5), platform: false, seq: 0, sha: '', author: AUTHORS[0]!, subject: '', pr: null });
  commits.sort((x, y) => x.t - y.t);
  let pr = 1200;
  const versions = new Int32Array(w.total + 1).fill(-1);
  const desiredRevs: DesiredRev[] = [];
  const desiredBy = new Map<number, number[]>(); // object → desiredRevs indexes
  commits.forEach((c, ci) => {
    c.seq = ci + 1;
    c.sha = hex(`commit:${o.seed}:${c.seq}`, 'sha1');
    c.author = AUTHORS[Math.floor(AUTHORS.length * rng() ** 1.4)]!;
    for (const id of c.touches) {
      const v = ++versions[id]!;
      const { kind, i } = w.kindOf(id);
      const doc = docs.id(kind === KIND_DEPLOYMENT ? `dd|${i}|${v}` : kind === KIND_CONFIGMAP ? `cm|${i}|${v}` : `ds|${i}|${v}`);
      desiredRevs.push({ obj: id, commit: ci, v, doc });
    }
    for (const id of c.removes) desiredRevs.push({ obj: id, commit: ci, v: -1, doc: -1 });
    for (let k = desiredRevs.length - c.touches.length - c.removes.length; k < desiredRevs.length; k++) {
      const list = desiredBy.get(desiredRevs[k]!.obj) ?? [];
      list.push(k);
      desiredBy.set(desiredRevs[k]!.obj, list);
    }
    const first = c.touches[0] ?? c.removes[0]!;
    const { i } = w.kindOf(first);
    if (ci === 0) c.subject = 'import: prod environment';
    else if (c.removes.length) c.subject = `chore(${w.namespace(i)}): remove legacy services (${c.removes.length})`;
    else if (c.platform) c.subject = `chore: bump base image on ${c.touches.length} services`;
    else c.subject = `deploy(${w.appName(i)}): release 1.${versions[first]}.0${c.touches.length > 1 ? ' with config' : ''}`;
    c.pr = ci > 0 && rng() < 0.85 ? pr++ : null;
  });
  log(`git: ${commits.length} commits, ${desiredRevs.length} desired revisions`);

  // --- Live history ------------------------------------------------------------------------
  const live = new LiveRows();
  const liveBy: number[][] = Array.from({ length: w.total + 1 }, () => []);
  const applies = new Map<number, { t: number; v: number; rev: number }[]>(); // object → applies (desired rev index)
  for (const [id, revs] of desiredBy) {
    const list: { t: number; v: number; rev: number }[] = [];
    let last = -Infinity;
    for (let k = 0; k < revs.length; k++) {
      const r = desiredRevs[revs[k]!]!;
      if (r.v < 0) continue;
      const tc = commits[r.commit]!.t;
      const delay = r.commit === 0 ? 60_000 + rng() * 840_000 : rng() < 0.03 ? 600_000 + rng() * 3_000_000 : 20_000 + rng() * 220_000;
      const ta = Math.max(Math.floor(tc + delay), last + 1000);
      const next = revs[k + 1] !== undefined ? desiredRevs[revs[k + 1]!]! : null;
      if (next && commits[next.commit]!.t <= ta) continue; // the applier only applies the newest
      if (ta >= end) continue;
      list.push({ t: ta, v: r.v, rev: revs[k]! });
      last = ta;
    }
    applies.set(id, list);
  }
  // Deployments deleted by hand (missing at the end), picked among the quiet ones.
  const missingCount = Math.max(1, Math.round(A * 0.009));
  const deletedAt = new Map<number, number>();
  for (let k = 0; k < A && deletedAt.size < missingCount; k++) {
    const id = dep(perm[A - 1 - k]!);
    const last = applies.get(id)!.at(-1)!.t;
    const from = Math.max(last + HOUR, end - 60 * DAY);
    if (from < end - 2 * HOUR) deletedAt.set(id, Math.floor(from + rng() * (end - HOUR - from)));
  }
  // Hand edits of Deployments: between an apply and the next commit of that Deployment.
  const edits = new Map<number, number[]>();
  let editCount = 0;
  for (let a = 0; a < A; a++) {
    const id = dep(a);
    const list = applies.get(id)!;
    const revs = desiredBy.get(id)!.map((k) => desiredRevs[k]!);
    const out: number[] = [];
    for (let k = 0; k < list.length; k++) {
      const ta = list[k]!.t;
      const nextCommit = revs.map((r) => commits[r.commit]!.t).find((t) => t > ta) ?? end;
      const bound = Math.min(nextCommit, deletedAt.get(id) ?? end, end);
      if (bound - ta > HOUR && rng() < o.editRate) out.push(sampleTime(rng, ta + 10 * MIN, bound - 10 * MIN, commitWeight));
    }
    edits.set(id, out);
    editCount += out.length;
  }
  // What is left of the live budget is HPA scaling, spread over Deployments with heavy-tailed rates.
  const handmadeEdits = Array.from({ length: w.handmade }, () => Math.floor(rng() * 4));
  const systemUpdates = 25;
  let fixed = deletedAt.size + editCount + w.handmade + handmadeEdits.reduce((x, y) => x + y, 0) + w.system * (1 + systemUpdates);
  for (const list of applies.values()) fixed += list.length;
  const hpaTotal = o.live - fixed;
  if (hpaTotal < 0) throw new Error(`--live must be at least ${fixed} for this history`);
  const weights = Array.from({ length: A }, () => {
    const g = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    return Math.exp(1.1 * g);
  });
  const wsum = weights.reduce((x, y) => x + y, 0);
  const hpa = weights.map((x) => Math.floor((hpaTotal * x) / wsum));
  for (let k = 0, rest = hpaTotal - hpa.reduce((x, y) => x + y, 0); rest > 0; k = (k + 1) % A, rest--) hpa[k]!++;

  const finalState = new Map<number, { app: number; version: number; replicas: number; edited: boolean }>();
  const E_APPLY = 0;
  const E_HPA = 1;
  const E_EDIT = 2;
  const E_DELETE = 3;
  for (let a = 0; a < A; a++) {
    const id = dep(a);
    const list = applies.get(id)!;
    const until = deletedAt.get(id) ?? end;
    const ev: { t: number; e: number; v?: number }[] = list.map((x) => ({ t: x.t, e: E_APPLY, v: x.v }));
    for (const t of edits.get(id)!) ev.push({ t, e: E_EDIT });
    for (let k = 0; k < hpa[a]!; k++) ev.push({ t: sampleTime(rng, list[0]!.t + MIN, until - 1000, trafficWeight), e: E_HPA });
    if (deletedAt.has(id)) ev.push({ t: until, e: E_DELETE });
    ev.sort((x, y) => x.t - y.t || x.e - y.e);
    let v = -1;
    let r = 2;
    let edited = false;
    let exists = false;
    let applyAt = 0;
    for (const x of ev) {
      let mgr = M_KCM;
      let op = 1;
      if (x.e === E_APPLY) {
        v = x.v!;
        edited = false;
        applyAt = x.t;
        mgr = M_APPLIER;
        op = 0;
      } else if (x.e === E_HPA) r = 2 + ((r - 2 + 1 + Math.floor(rng() * 3)) % 4);
      else if (x.e === E_EDIT) {
        edited = true;
        mgr = 2 + (a % 3);
      }
      if (x.e === E_DELETE) {
        liveBy[id]!.push(live.push(id, x.t, -1, -1, -1, -1, 2));
        exists = false;
        continue;
      }
      const doc = docs.id(`dl|${a}|${v}|${r}|${edited ? 1 : 0}`);
      const meta = docs.id(`dm|${a}|${v}|${edited ? 1 : 0}|${applyAt}`);
      liveBy[id]!.push(live.push(id, x.t, doc, meta, mgr, op, exists ? 1 : 0));
      exists = true;
    }
    if (exists) finalState.set(id, { app: a, version: v, replicas: r, edited });
  }
  for (let a = 0; a < A; a++) {
    for (const [id, kind] of [[cm(a), 'c'], [svc(a), 's']] as const) {
      let exists = false;
      for (const x of applies.get(id)!) {
        const doc = docs.id(kind === 'c' ? `cm|${a}|${x.v}` : `sl|${a}|${x.v}`);
        const meta = docs.id(`${kind === 'c' ? 'cmm' : 'sm'}|${a}|${x.v}|${x.t}`);
        liveBy[id]!.push(live.push(id, x.t, doc, meta, M_APPLIER, 0, exists ? 1 : 0));
        exists = true;
      }
    }
  }
  for (let i = 0; i < w.handmade; i++) {
    const id = w.id(KIND_HANDMADE, i);
    let t = sampleTime(rng, start + DAY, end - DAY, commitWeight);
    for (let k = 0; k <= handmadeEdits[i]!; k++) {
      liveBy[id]!.push(live.push(id, t, docs.id(`hm|${i}|${k}`), docs.id(`hmm|${i}|${k}|${t}`), k ? 2 : M_CREATE, 1, k ? 1 : 0));
      t = Math.min(end - 1000, t + Math.floor(rng() * 3 * DAY) + MIN);
    }
  }
  for (let i = 0; i < w.system; i++) {
    const id = w.id(KIND_SYSTEM, i);
    const meta = docs.id(`sym|${i}`);
    liveBy[id]!.push(live.push(id, start - DAY, docs.id(`sy|${i}|0`), meta, M_AUTOSCALER, 1, 0, 1));
    const times = Array.from({ length: systemUpdates }, () => sampleTime(rng, start, end - 1000, () => 1)).sort((x, y) => x - y);
    times.forEach((t, k) => liveBy[id]!.push(live.push(id, t, docs.id(`sy|${i}|${k + 1}`), meta, M_AUTOSCALER, 1, 1)));
  }
  if (live.n !== o.live) throw new Error(`internal: ${live.n} live revisions instead of ${o.live}`);
  // Ids follow observation time, as the recorder writes them.
  const order = new Uint32Array(live.n);
  for (let i = 0; i < live.n; i++) order[i] = i;
  const byTime = Array.from(order).sort((x, y) => live.t[x]! - live.t[y]! || x - y);
  const liveId = new Int32Array(live.n);
  byTime.forEach((row, k) => (liveId[row] = k + 1));
  log(`live: ${live.n} revisions (${hpaTotal} HPA, ${editCount} hand edits, ${deletedAt.size} deletions), ${docs.values.length} documents`);

  // --- Drift intervals: the engine's rules applied to this story ----------------------------
  const intervals: Interval[] = [];
  const trig = (t: Trigger): Json => {
    if ('git' in t) {
      const c = commits[desiredRevs[t.git]!.commit]!;
      return { source: 'git', commit: c.sha, author: c.author.name };
    }
    return { source: 'live', revision: String(liveId[t.live]), manager: live.mgr[t.live]! >= 0 ? MANAGERS[live.mgr[t.live]!] : null, operation: live.op[t.live]! >= 0 ? OPERATIONS[live.op[t.live]!] : null };
  };
  for (let id = 1; id <= w.total; id++) {
    const { kind, i } = w.kindOf(id);
    if (kind === KIND_SYSTEM) continue;
    const ev: { t: number; git: boolean; k: number; order: number }[] = [];
    for (const k of desiredBy.get(id) ?? []) ev.push({ t: commits[desiredRevs[k]!.commit]!.t, git: true, k, order: desiredRevs[k]!.commit });
    for (const k of liveBy[id]!) ev.push({ t: live.t[k]!, git: false, k, order: liveId[k]! });
    ev.sort((x, y) => x.t - y.t || (x.git === y.git ? x.order - y.order : x.git ? -1 : 1));
    let dv: number | null = null;
    let lv: { v: number; edited: boolean } | null = null;
    let open: Interval | null = null;
    for (const x of ev) {
      if (x.git) {
        const r = desiredRevs[x.k]!;
        dv = r.v < 0 ? null : r.v;
      } else if (live.doc[x.k]! < 0) lv = null;
      else {
        const key = docs.values[live.doc[x.k]!]!.split('|');
        lv = kind === KIND_HANDMADE ? { v: 0, edited: false } : { v: Number(key[2]), edited: key[0] === 'dl' && key[4] === '1' };
      }
      let type: string | null = null;
      let summary = '';
      if (kind === KIND_HANDMADE) {
        if (lv) [type, summary] = ['unmanaged', 'in the cluster, not in Git'];
      } else if (dv !== null && !lv) [type, summary] = ['missing', 'in Git, not in the cluster'];
      else if (dv === null && lv) [type, summary] = ['orphaned', 'removed from Git, still in the cluster with GitOps ownership'];
      else if (dv !== null && lv && (lv.v !== dv || lv.edited)) {
        type = 'modified';
        summary = kind === KIND_DEPLOYMENT ? (lv.v !== dv ? 'image changed' : i % 3 === 0 ? 'memory limit changed by hand' : 'LOG_LEVEL changed by hand') : 'configuration changed';
      }
      const t: Trigger = x.git ? { git: x.k } : { live: x.k };
      if (open && open.type !== type) {
        open.closedAt = x.t;
        open.closedBy = trig(t);
        open = null;
      }
      if (type && !open) {
        open = { obj: id, type, openedAt: x.t, closedAt: null, openedBy: trig(t), closedBy: null, summary };
        intervals.push(open);
      } else if (type && open) open.summary = summary;
    }
  }
  intervals.sort((x, y) => x.openedAt - y.openedAt || x.obj - y.obj);
  const openAtEnd: Record<string, number> = { missing: 0, modified: 0, orphaned: 0, unmanaged: 0 };
  for (const x of intervals) if (x.closedAt === null) openAtEnd[x.type]!++;
  log(`drift: ${intervals.length} intervals, open at the end ${JSON.stringify(openAtEnd)}`);

  // --- Write ------------------------------------------------------------------------------
  await ds.query(`INSERT INTO repositories (name, branch, source, head_sha, last_indexed_sha, last_indexed_at, next_seq) VALUES ($1, 'main', 'bench', $2, $2, $3, $4)`, [REPOSITORY, commits.at(-1)!.sha, new Date(end), commits.length + 1]);
  const repoId = Number((await ds.query(`SELECT id FROM repositories WHERE name = $1`, [REPOSITORY]))[0].id);
  await ds.query(`INSERT INTO clusters (name, server, connected, last_event_at, last_list_at, heartbeat_at) VALUES ($1, 'https://k8s.prod-eu.example.com', true, $2, $2, $2)`, [CLUSTER, new Date(end)]);
  const clusterId = Number((await ds.query(`SELECT id FROM clusters WHERE name = $1`, [CLUSTER]))[0].id);
  // Monthly partitions, as the recorder keeps them (RevisionPartitions).
  for (let m = new Date(Date.UTC(new Date(start - DAY).getUTCFullYear(), new Date(start - DAY).getUTCMonth(), 1)); m.getTime() <= end + 31 * DAY; m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))) {
    const next = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1));
    const name = `live_revisions_y${m.getUTCFullYear()}m${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
    await ds.query(`CREATE TABLE ${name} PARTITION OF live_revisions FOR VALUES FROM ('${m.toISOString()}') TO ('${next.toISOString()}')`);
  }

  const ids = Array.from({ length: w.total }, (_, k) => w.identity(k + 1));
  await ds.query(
    `INSERT INTO objects ("group", kind, namespace, name) SELECT g, k, n, m FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(g, k, n, m, ord) ORDER BY ord`,
    [ids.map((x) => x.group), ids.map((x) => x.kind), ids.map((x) => x.namespace), ids.map((x) => x.name)],
  );
  const maxObj = Number((await ds.query(`SELECT max(id) AS n FROM objects`))[0].n);
  if (maxObj !== w.total) throw new Error(`object ids are not 1..${w.total} (max ${maxObj}): use a fresh database`);

  // Documents: bodies built per key, in chunks; `bench_doc` maps key indexes to hashes for the bulk inserts below.
  await ds.query(`CREATE TABLE bench_doc (idx integer PRIMARY KEY, hash char(64) NOT NULL)`);
  const hashes: string[] = new Array(docs.values.length);
  const body = (key: string): Json => {
    const p = key.split('|');
    const n = p.slice(1).map(Number);
    switch (p[0]) {
      case 'dd': return deploymentManifest(w, n[0]!, n[1]!);
      case 'dl': return liveDeployment(w, n[0]!, n[1]!, n[2]!, n[3] === 1);
      case 'dm': return deploymentMeta(w, n[0]!, n[1]!, n[2] === 1, n[3]!);
      case 'cm': return configMapManifest(w, n[0]!, n[1]!);
      case 'cmm': return applierMeta(configMapManifest(w, n[0]!, n[1]!), n[2]!, 'v1');
      case 'ds': return serviceManifest(w, n[0]!, n[1]!);
      case 'sl': return liveService(w, n[0]!, n[1]!);
      case 'sm': return applierMeta(serviceManifest(w, n[0]!, n[1]!), n[2]!, 'v1');
      case 'hm': return handmade(w, n[0]!, n[1]!);
      case 'hmm': return handmadeMeta(n[0]!, n[1]!, n[2]!);
      case 'sy': return systemObject(n[0]!, n[1]!);
      case 'sym': return systemMeta(n[0]!);
      default: throw new Error(`unknown document key ${key}`);
    }
  };
  let docBytes = 0;
  for (let k = 0; k < docs.values.length; k += 5000) {
    const idx: number[] = [];
    const hs: string[] = [];
    const js: string[] = [];
    for (let j = k; j < Math.min(k + 5000, docs.values.length); j++) {
      const json = canonicalJson(body(docs.values[j]!));
      const h = hex(json);
      hashes[j] = h;
      idx.push(j);
      hs.push(h);
      js.push(json);
      docBytes += Buffer.byteLength(json);
    }
    await ds.query(
      `WITH u AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) AS u(idx, hash, body)),
            d AS (INSERT INTO documents (hash, body, size, created_at) SELECT DISTINCT ON (hash) hash, body::jsonb, octet_length(body), $4 FROM u ORDER BY hash ON CONFLICT (hash) DO NOTHING)
       INSERT INTO bench_doc (idx, hash) SELECT idx, hash FROM u`,
      [idx, hs, js, new Date(start)],
    );
  }
  log(`documents: ${docs.values.length} keys, ${(docBytes / 2 ** 20).toFixed(0)} MiB of JSON`);

  // Commits and desired revisions.
  for (let k = 0; k < commits.length; k += 20_000) {
    const cs = commits.slice(k, k + 20_000);
    await ds.query(
      `INSERT INTO commits (repository_id, sha, seq, parents, first_parent, author_name, author_email, authored_at, author_tz, committer_name, committer_email, committed_at, committer_tz, subject, message, pr_number, pr_kind, reachable, indexed_at, prev_hash, hash)
       SELECT $1, u.sha, u.seq, CASE WHEN u.parent IS NULL THEN '{}'::text[] ELSE ARRAY[u.parent] END, true, u.an, u.ae, u.at - interval '7 minutes', '+01:00', 'GitHub', 'noreply@github.com', u.at, '+00:00',
              u.subject, u.subject || E'\\n\\n' || CASE WHEN u.pr IS NULL THEN 'Direct push.' ELSE 'Reviewed-on: #' || u.pr END, u.pr, CASE WHEN u.pr IS NULL THEN NULL ELSE 'github-pr' END, true, u.at,
              NULL, encode(sha256(convert_to(u.sha, 'UTF8')), 'hex')
         FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::int[]) AS u(sha, seq, parent, an, ae, at, subject, pr)`,
      [repoId, cs.map((c) => c.sha), cs.map((c) => c.seq), cs.map((c) => (c.seq > 1 ? commits[c.seq - 2]!.sha : null)), cs.map((c) => c.author.name), cs.map((c) => c.author.email), cs.map((c) => new Date(c.t)), cs.map((c) => c.subject), cs.map((c) => c.pr)],
    );
  }
  for (let k = 0; k < desiredRevs.length; k += 20_000) {
    const rs = desiredRevs.slice(k, k + 20_000);
    await ds.query(
      `INSERT INTO desired_revisions (environment, object_id, repository_id, commit_sha, commit_seq, committed_at, document_hash, path, change, prev_hash, hash)
       SELECT $1, u.obj, $2, u.sha, u.seq, u.at, d.hash, u.path, u.change, NULL, encode(sha256(convert_to(u.sha || ':' || u.obj, 'UTF8')), 'hex')
         FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::timestamptz[], $7::int[], $8::text[], $9::text[]) WITH ORDINALITY AS u(obj, sha, seq, at, doc, path, change, ord)
         LEFT JOIN bench_doc d ON d.idx = u.doc
        ORDER BY u.ord`,
      [ENVIRONMENT, repoId, rs.map((r) => r.obj), rs.map((r) => commits[r.commit]!.sha), rs.map((r) => commits[r.commit]!.seq), rs.map((r) => new Date(commits[r.commit]!.t)), rs.map((r) => r.doc),
        rs.map((r) => w.path(r.obj)), rs.map((r) => (r.v < 0 ? 'deleted' : r.v === 0 ? 'created' : 'configured'))],
    );
  }
  await ds.query(
    `INSERT INTO desired_current (environment, object_id, document_hash, path, commit_sha)
     SELECT environment, object_id, document_hash, path, commit_sha
       FROM (SELECT DISTINCT ON (object_id) * FROM desired_revisions WHERE environment = $1 ORDER BY object_id, commit_seq DESC) s
      WHERE document_hash IS NOT NULL`,
    [ENVIRONMENT],
  );

  // Live revisions, in time order (ids follow time).
  for (let k = 0; k < byTime.length; k += 100_000) {
    const rows = byTime.slice(k, k + 100_000);
    await ds.query(
      `INSERT INTO live_revisions (cluster_id, object_id, observed_at, changed_at, resource_version, uid, document_hash, meta_hash, manager, operation, change, source, prev_hash, hash)
       SELECT $1, u.obj, to_timestamp(u.t / 1000.0), to_timestamp(u.t / 1000.0), (1000000 + $2 + u.ord)::text, md5('uid:' || u.obj)::uuid::text, d.hash, m.hash,
              ($11::text[])[u.mgr + 1], ($12::text[])[u.op + 1], ($13::text[])[u.chg + 1], ($14::text[])[u.src + 1], NULL,
              encode(sha256(convert_to(u.obj || ':' || u.t || ':' || coalesce(d.hash, ''), 'UTF8')), 'hex')
         FROM unnest($3::bigint[], $4::float8[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[]) WITH ORDINALITY AS u(obj, t, doc, meta, mgr, op, chg, src, ord)
         LEFT JOIN bench_doc d ON d.idx = u.doc LEFT JOIN bench_doc m ON m.idx = u.meta
        ORDER BY u.ord`,
      [clusterId, k, rows.map((r) => live.obj[r]), rows.map((r) => live.t[r]), rows.map((r) => live.doc[r]), rows.map((r) => live.meta[r]), rows.map((r) => live.mgr[r]), rows.map((r) => live.op[r]), rows.map((r) => live.chg[r]), rows.map((r) => live.src[r]),
        MANAGERS, OPERATIONS, CHANGES, SOURCES],
    );
    if (k % 500_000 === 0) log(`live: ${k + rows.length} written`);
  }
  const maxLive = Number((await ds.query(`SELECT max(id) AS n FROM live_revisions`))[0].n);
  if (maxLive !== live.n) throw new Error(`live revision ids are not 1..${live.n}: use a fresh database`);
  await ds.query(
    `INSERT INTO live_current (cluster_id, object_id, uid, resource_version, document_hash, meta_hash, observed_at)
     SELECT cluster_id, object_id, uid, resource_version, document_hash, meta_hash, observed_at
       FROM (SELECT DISTINCT ON (object_id) * FROM live_revisions WHERE cluster_id = $1 ORDER BY object_id, observed_at DESC, id DESC) s
      WHERE document_hash IS NOT NULL`,
    [clusterId],
  );

  for (let k = 0; k < intervals.length; k += 20_000) {
    const xs = intervals.slice(k, k + 20_000);
    await ds.query(
      `INSERT INTO drift_intervals (environment, object_id, type, opened_at, closed_at, opened_by, closed_by, summary, changes)
       SELECT $1, u.obj, u.type, u.opened, u.closed, u.ob::jsonb, u.cb::jsonb, u.summary, '[]'::jsonb
         FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS u(obj, type, opened, closed, ob, cb, summary, ord)
        ORDER BY u.ord`,
      [ENVIRONMENT, xs.map((x) => x.obj), xs.map((x) => x.type), xs.map((x) => new Date(x.openedAt)), xs.map((x) => (x.closedAt === null ? null : new Date(x.closedAt))),
        xs.map((x) => JSON.stringify(x.openedBy)), xs.map((x) => (x.closedBy ? JSON.stringify(x.closedBy) : null)), xs.map((x) => x.summary)],
    );
  }
  await ds.query(
    `INSERT INTO drift_cursors (environment, last_desired_id, last_live_id)
     VALUES ($1, (SELECT coalesce(max(id), 0) FROM desired_revisions WHERE environment = $1), (SELECT coalesce(max(id), 0) FROM live_revisions WHERE cluster_id = $2))`,
    [ENVIRONMENT, clusterId],
  );
  await ds.query(`DROP TABLE bench_doc`);
  await ds.query(`VACUUM ANALYZE`);
  // Write the loaded pages out now rather than during the measurements (needs superuser or pg_checkpoint).
  await ds.query(`CHECKPOINT`).catch(() => log('CHECKPOINT not allowed: the first measurements may pay for it'));
  const documents = Number((await ds.query(`SELECT count(*) AS n FROM documents`))[0].n);
  const liveDeployments = [...finalState].map(([objectId, s]) => ({ objectId, ...s }));
  return {
    start: new Date(start),
    end: new Date(end),
    objects: w.total,
    commits: commits.length,
    desiredRevisions: desiredRevs.length,
    liveRevisions: live.n,
    driftIntervals: intervals.length,
    documents,
    openAtEnd,
    liveDeployments,
    seedSeconds: (performance.now() - started) / 1000,
  };
}

/** The bench's driftline.yaml: one environment over the team namespaces. */
export function configYaml(o: { databaseUrl: string; dataDir: string }): string {
  return [
    `database: { url: "${o.databaseUrl}" }`,
    `dataDir: "${o.dataDir}"`,
    `repositories: [{ name: ${REPOSITORY}, path: /nonexistent/infra }]`,
    `clusters: [{ name: ${CLUSTER}, kubeconfig: /dev/null }]`,
    `environments:`,
    `  - { name: ${ENVIRONMENT}, repository: ${REPOSITORY}, paths: ["clusters/prod/**"], cluster: ${CLUSTER}, namespaces: ["team-*"], applier: ${APPLIER} }`,
    '',
  ].join('\n');
}

/**
 * One more live revision for a Deployment (the HPA scaling it), written the way
 * the recorder writes it (document, revision, live_current): what a one-object
 * re-evaluation then picks up. `d` is updated to the new state.
 */
export async function scaleDeployment(ds: DataSource, o: DatasetOptions, d: Dataset['liveDeployments'][number], at: Date): Promise<void> {
  const { canonicalJson } = compiled('core/canonical.js');
  const w = new World(o);
  d.replicas = d.replicas >= 5 ? 2 : d.replicas + 1;
  const json = canonicalJson(liveDeployment(w, d.app, d.version, d.replicas, d.edited));
  const h = hex(json);
  await ds.transaction(async (m) => {
    await m.query(`INSERT INTO documents (hash, body, size) VALUES ($1, $2::jsonb, $3) ON CONFLICT (hash) DO NOTHING`, [h, json, Buffer.byteLength(json)]);
    const lc = (await m.query(`SELECT cluster_id, uid, meta_hash FROM live_current WHERE object_id = $1`, [d.objectId]))[0];
    await m.query(
      `INSERT INTO live_revisions (cluster_id, object_id, observed_at, changed_at, uid, document_hash, meta_hash, manager, operation, change, source, hash)
       VALUES ($1, $2, $3, $3, $4, $5, $6, 'kube-controller-manager', 'Update', 'configured', 'watch', $7)`,
      [lc.cluster_id, d.objectId, at, lc.uid, h, lc.meta_hash, hex(`${d.objectId}:${at.toISOString()}:${h}`)],
    );
    await m.query(`UPDATE live_current SET document_hash = $3, observed_at = $4 WHERE cluster_id = $1 AND object_id = $2`, [lc.cluster_id, d.objectId, h, at]);
  });
}
