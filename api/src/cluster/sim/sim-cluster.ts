/**
 * SimCluster: an in-process Kubernetes API server (node:http, JSON only) for tests, benchmarks and the demo.
 * Unmodified `@kubernetes/client-node` (KubeConfig, makeInformer/ListWatch, Watch, KubernetesObjectApi,
 * CoreV1Api…) and `kubectl` talk to it as to a real cluster.
 *
 * Protocol coverage
 * - Discovery: /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version> (APIResourceList with
 *   shortNames, categories, verbs, /status and /scale subresources). Aggregated discovery (Accept
 *   apidiscovery.k8s.io/v2) is answered with the plain forms; kubectl falls back to them.
 *   OpenAPI: /openapi/v3 answers 404 and /openapi/v2 an empty document. kubectl (1.32) needs no extra flags:
 *   with a 404 on both, apply/create/edit/replace fail in client-side validation ("failed to download
 *   openapi", only --validate=false gets past it); with an empty v2 document kubectl finds no schema, skips
 *   validation, and computes strategic merge patches from its compiled-in types. Use `--server` with
 *   `--insecure-skip-tls-verify` or the kubeconfig from kubeconfigYaml(); give each test its own --cache-dir
 *   (kubectl caches discovery, and CRDs come and go).
 * - Built-in kinds of core/v1, apps/v1, batch/v1, networking.k8s.io/v1, rbac.authorization.k8s.io/v1,
 *   autoscaling/v2, coordination.k8s.io/v1, policy/v1, apiextensions.k8s.io/v1; CRDs (created over HTTP, by
 *   apply(), or by registerCrd()) make their kinds servable and visible in discovery, and deleting the CRD
 *   deletes its custom resources.
 * - Verbs: get, list (labelSelector with the full grammar; fieldSelector on metadata.name, metadata.namespace
 *   and a few per-kind labels; limit/continue with real-format continue tokens over a snapshot), watch
 *   (watch=true|1, resourceVersion resume from a bounded per-resource event ring, 410 Expired ERROR event
 *   when too old, allowWatchBookmarks, sendInitialEvents, timeoutSeconds, selector transitions turn MODIFIED
 *   into ADDED/DELETED like the watch cache), create (generateName, 409 AlreadyExists, 422 Invalid),
 *   update (409 Conflict on a stale resourceVersion), patch (merge, JSON, strategic with the directives kubectl
 *   sends, apply-patch+yaml), delete (finalizers → deletionTimestamp; namespaces cascade), deletecollection,
 *   /status and /scale subresources, dryRun=All.
 * - Server side metadata: global integer resourceVersion, uid, creationTimestamp, generation (bumped on
 *   changes outside metadata and status), managedFields (FieldsV1 computed from what each write changed or
 *   applied; manager from ?fieldManager=, else the User-Agent's first token as the real server does).
 * - Defaults the real server adds (Deployment strategy, pod template, container defaults, Service clusterIP,
 *   Namespace label and finalizer, Secret stringData → data, …): a subset, switchable off.
 * - Errors are apimachinery Status objects (404, 409, 403, 410, 415, 422, 401, 503, 504).
 *
 * Known deviations from a real API server
 * - No controllers: nothing creates ReplicaSets or Pods, no status is computed, no garbage collection by
 *   ownerReferences, namespaces are removed at once with their contents (no Terminating phase).
 * - No OpenAPI schemas: unknown fields are kept, fieldValidation is ignored, custom resources are not
 *   validated or pruned, every list in a custom resource is atomic.
 * - Server-side apply never reports conflicts (it behaves as with force=true); ownership is approximate (no
 *   schema-driven map/struct distinction beyond a fixed list of map fields).
 * - A list with resourceVersion=N and resourceVersionMatch=Exact is served from the current state; a continue
 *   token whose snapshot was evicted (more than 16 paginated lists at once) continues from the current state.
 * - Answers are JSON only (no protobuf, no CBOR, no Table: kubectl get prints NAME and AGE only). Protobuf
 *   request bodies are decoded only for what kubectl's create generators send (namespace, configmap, secret,
 *   serviceaccount, deployment); other kubectl create subcommands get 415 (use kubectl create -f).
 * - One token user, not checked unless requireToken (kubectl sends no bearer token over plain http);
 *   everything is allowed unless forbid() says otherwise.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeProtobufObject, PROTOBUF_CONTENT_TYPE } from './protobuf';
import { SimStatusError, badRequest, expired, internalError, invalid, methodNotAllowed, notFound, pathNotFound, serviceUnavailable, success, tooLargeResourceVersion, unauthorized, unsupportedMediaType, type StatusObject } from './status';
import { apiVersionOf, discoveryResources, ResourceRegistry, type ResourceType } from './resources';
import { combine, parseFieldSelector, parseLabelSelector } from './selectors';
import { getPath, PATCH_CONTENT_TYPES, SimStore, type PatchType } from './store';
import { clone, formatTime, isPlainObject, type FieldsOperation, type KubeObject, type WriteContext } from './types';
import { WatchStream } from './watch';

export interface SimClusterOptions {
  /** The simulated clock: creationTimestamp, managedFields times, deletionTimestamp. Default: the real clock. */
  now?: () => Date;
  /** How often a watch that asked for bookmarks gets one. Default 5000. */
  bookmarkIntervalMs?: number;
  /** Events kept per resource for watch resumption (the watch cache size). Default 10000. */
  historyLimit?: number;
  /** Bearer token written into the kubeconfig. Default "sim-token". */
  token?: string;
  /**
   * Answer 401 to requests without `Authorization: Bearer <token>`. Default false: kubectl (client-go) does not
   * send a bearer token over plain http, so a checking server would lock kubectl out.
   */
  requireToken?: boolean;
  /** The user named in 403 messages. Default "system:serviceaccount:driftline:driftline". */
  userName?: string;
  /** Fill the defaults a real API server adds. Default true. */
  defaulting?: boolean;
  /** Namespaces that exist from the start. Default default, kube-system, kube-public, kube-node-lease. */
  namespaces?: string[];
  /** Field manager of driver writes that name none. Default "sim-driver". */
  defaultManager?: string;
  /** Kubernetes version reported by /version. Default "v1.32.0". */
  version?: string;
  /** Deterministic uids for created objects (e.g. derived from identity), so a rebuilt cluster has the same uids. Default random. */
  uid?: (group: string, kind: string, namespace: string, name: string) => string;
}

/** Names one object for the driver methods. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface DriverWriteOptions {
  /** Field manager recorded in managedFields. Default: the defaultManager option. */
  manager?: string;
  /** Update (create or replace the whole object) or Apply (server-side apply). Default Update. */
  operation?: FieldsOperation;
  /** When the write happens (managedFields time, creationTimestamp). Default: now(). */
  time?: Date | string;
}

export interface DriverPatchOptions extends DriverWriteOptions {
  type?: PatchType;
  subresource?: 'status';
}

/** One request as the server saw it. */
export interface RequestRecord {
  method: string;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, discovery, other. */
  verb: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  status: number;
  fieldManager?: string;
  userAgent?: string;
  contentType?: string;
}

export type DownMode = 'refuse' | 'unavailable';

interface ParsedPath {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  legacyWatch: boolean;
}

interface ListSnapshot {
  rv: number;
  items: KubeObject[];
  keys: string[];
}

const SNAPSHOT_LIMIT = 16;
const REQUEST_LOG_LIMIT = 10_000;
const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export class SimCluster {
  readonly registry = new ResourceRegistry();
  readonly store: SimStore;
  private readonly now: () => Date;
  private readonly bookmarkIntervalMs: number;
  private readonly token: string;
  private readonly requireToken: boolean;
  private readonly defaultManager: string;
  private readonly version: string;
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private watches = new Set<WatchStream>();
  private watchWaiters: Array<() => void> = [];
  private port = 0;
  private host = '127.0.0.1';
  private down: DownMode | null = null;
  private latencyMs = 0;
  private forbidden = new Map<string, Set<string> | 'all'>();
  private snapshots = new Map<string, ListSnapshot>();
  private counts = new Map<string, number>();
  /** The last requests, oldest first (bounded). */
  readonly requests: RequestRecord[] = [];

  constructor(opts: SimClusterOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 5000;
    this.token = opts.token ?? 'sim-token';
    this.requireToken = opts.requireToken ?? false;
    this.defaultManager = opts.defaultManager ?? 'sim-driver';
    this.version = opts.version ?? 'v1.32.0';
    this.store = new SimStore(this.registry, {
      historyLimit: opts.historyLimit ?? 10_000,
      defaulting: opts.defaulting ?? true,
      userName: opts.userName ?? 'system:serviceaccount:driftline:driftline',
      uid: opts.uid,
    });
    for (const ns of opts.namespaces ?? DEFAULT_NAMESPACES) {
      this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { manager: 'kube-apiserver' });
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts listening (port 0 = any free port); answers the base URL, e.g. http://127.0.0.1:41234. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.host = host;
    await this.listen(port);
    return this.url;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const w of [...this.watches]) w.close(false);
    await this.closeServer();
  }

  /** The cluster stops answering: 'refuse' closes the listening socket (connection refused), 'unavailable' answers 503. Open watches are cut. */
  async goDown(mode: DownMode = 'refuse'): Promise<void> {
    this.down = mode;
    for (const w of [...this.watches]) w.close(false);
    if (mode === 'refuse') await this.closeServer();
  }

  /** Back up, on the same port. */
  async comeBack(): Promise<void> {
    const wasRefusing = this.down === 'refuse';
    this.down = null;
    if (wasRefusing) await this.listen(this.port);
  }

  /** Delay every answer (and the start of every watch) by this much. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** A kubeconfig for this server: plain http needs insecure-skip-tls-verify for client-node 2. */
  kubeconfigYaml(contextName = 'sim'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${contextName}`,
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      `- name: ${contextName}-user`,
      '  user:',
      `    token: ${this.token}`,
      'contexts:',
      `- name: ${contextName}`,
      '  context:',
      `    cluster: ${contextName}`,
      `    user: ${contextName}-user`,
      '    namespace: default',
      `current-context: ${contextName}`,
      '',
    ].join('\n');
  }

  writeKubeconfig(path: string, contextName = 'sim'): string {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, this.kubeconfigYaml(contextName), { mode: 0o600 });
    return path;
  }

  // ---------------------------------------------------------------- faults

  /** Cuts every open watch: abruptly (connection reset mid-stream, the default) or gracefully (end of stream, like a server timeout). Answers how many. */
  dropWatches(opts: { graceful?: boolean } = {}): number {
    const all = [...this.watches];
    for (const w of all) w.close(opts.graceful ?? false);
    return all.length;
  }

  /** Forgets the event history: watches and continue tokens from before now get 410 Expired. */
  compact(): void {
    this.store.compact();
    this.snapshots.clear();
  }

  /**
   * Answers 403 for a resource (by plural, singular, kind or short name) for the given verbs
   * (default list, watch and get). Driver methods are not affected.
   */
  forbid(group: string, resource: string, verbs: string[] = ['list', 'watch', 'get']): void {
    const rt = this.registry.resolve(group, resource);
    const plural = rt?.plural ?? resource.toLowerCase();
    this.forbidden.set(`${group}/${plural}`, new Set(verbs));
  }

  allow(group: string, resource: string): void {
    const rt = this.registry.resolve(group, resource);
    this.forbidden.delete(`${group}/${rt?.plural ?? resource.toLowerCase()}`);
  }

  // ---------------------------------------------------------------- observation

  /** Requests counted so far, by "verb" and by "verb group/resource" (e.g. "list apps/deployments", "watch /configmaps"). */
  requestCount(key = 'total'): number {
    return this.counts.get(key) ?? 0;
  }

  resetCounters(): void {
    this.counts.clear();
    this.requests.length = 0;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** Resolves once at least n watches are open (for tests that must not race a watch's start). */
  async waitForWatches(n: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.watches.size < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} open watches (have ${this.watches.size})`);
      await new Promise<void>((resolve) => {
        this.watchWaiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }

  /** The current global resourceVersion. */
  get resourceVersion(): string {
    return String(this.store.rv);
  }

  // ---------------------------------------------------------------- driver

  /**
   * Creates or updates an object as `manager`, at `time`. Update replaces the whole object (like kubectl
   * replace or a controller's update); Apply is server-side apply. A `status` in the object is written with a
   * second, /status write when the kind has a status subresource, as a controller would.
   */
  apply(obj: KubeObject, opts: DriverWriteOptions = {}): KubeObject {
    const rt = this.typeOf(obj.apiVersion, obj.kind);
    const ctx = this.driverContext(opts);
    const name = String(obj.metadata?.name ?? '');
    const ns = rt.namespaced ? String(obj.metadata?.namespace ?? 'default') : '';
    let out: KubeObject;
    if ((opts.operation ?? 'Update') === 'Apply') {
      out = this.store.apply(rt, ns, name, obj, ctx);
    } else {
      const exists = name ? this.store.get(rt, ns, name) : undefined;
      const { resourceVersion, ...meta } = obj.metadata ?? {};
      out = exists ? this.store.update(rt, ns, name, { ...obj, metadata: meta }, ctx, { checkResourceVersion: false }) : this.store.create(rt, ns, obj, ctx);
    }
    if (rt.status && obj.status !== undefined) {
      out = this.store.update(rt, ns, out.metadata.name, { ...out, status: obj.status }, ctx, { subresource: 'status', checkResourceVersion: false });
    }
    return clone(out);
  }

  /** Patches an object (merge patch by default) as `manager`, at `time`. */
  patch(ref: ObjectRef, patch: unknown, opts: DriverPatchOptions = {}): KubeObject {
    const rt = this.typeOf(ref.apiVersion, ref.kind);
    const ctx = this.driverContext(opts);
    const ns = rt.namespaced ? (ref.namespace ?? 'default') : '';
    const type = opts.type ?? 'merge';
    const out = type === 'apply' ? this.store.apply(rt, ns, ref.name, patch, ctx, opts.subresource) : this.store.patch(rt, ns, ref.name, type, patch, ctx, opts.subresource);
    return clone(out);
  }

  /** Deletes an object; answers it as it was (with a deletionTimestamp when finalizers keep it). */
  delete(ref: ObjectRef, opts: Omit<DriverWriteOptions, 'operation'> = {}): KubeObject {
    const rt = this.typeOf(ref.apiVersion, ref.kind);
    const ns = rt.namespaced ? (ref.namespace ?? 'default') : '';
    return clone(this.store.delete(rt, ns, ref.name, this.driverContext(opts)).object);
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const rt = this.typeOf(ref.apiVersion, ref.kind);
    const obj = this.store.get(rt, rt.namespaced ? (ref.namespace ?? 'default') : '', ref.name);
    return obj ? clone(this.store.view(obj, rt)) : undefined;
  }

  list(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}): KubeObject[] {
    const rt = this.typeOf(apiVersion, kind);
    const match = parseLabelSelector(opts.labelSelector);
    return this.store
      .list(rt, opts.namespace)
      .filter(match)
      .map((o) => clone(this.store.view(o, rt)));
  }

  /**
   * Creates a CustomResourceDefinition (apiextensions.k8s.io/v1) for a kind and answers it; the kind is
   * served at once. Versions default to ["v1"], the first being the storage version.
   */
  registerCrd(def: {
    group: string;
    kind: string;
    versions?: string[];
    plural?: string;
    singular?: string;
    scope?: 'Namespaced' | 'Cluster';
    shortNames?: string[];
    categories?: string[];
    status?: boolean;
    scale?: boolean;
  }): KubeObject {
    const plural = def.plural ?? `${def.kind.toLowerCase()}s`;
    const versions = def.versions ?? ['v1'];
    const subresources: KubeObject = {};
    if (def.status) subresources.status = {};
    if (def.scale) subresources.scale = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' };
    return this.apply(
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.${def.group}` },
        spec: {
          group: def.group,
          scope: def.scope ?? 'Namespaced',
          names: {
            kind: def.kind,
            listKind: `${def.kind}List`,
            plural,
            singular: def.singular ?? def.kind.toLowerCase(),
            ...(def.shortNames ? { shortNames: def.shortNames } : {}),
            ...(def.categories ? { categories: def.categories } : {}),
          },
          versions: versions.map((name, i) => ({
            name,
            served: true,
            storage: i === 0,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            ...(Object.keys(subresources).length ? { subresources } : {}),
          })),
        },
      },
      { manager: this.defaultManager },
    );
  }

  private typeOf(apiVersion: string, kind: string): ResourceType {
    const rt = this.registry.byKind(String(apiVersion ?? ''), String(kind ?? ''));
    if (!rt) throw notFound({ group: '', resource: 'kinds' }, `${apiVersion}/${kind}`);
    return rt;
  }

  private driverContext(opts: DriverWriteOptions): WriteContext {
    const t = opts.time === undefined ? this.now() : typeof opts.time === 'string' ? new Date(opts.time) : opts.time;
    return { manager: opts.manager ?? this.defaultManager, time: formatTime(t) };
  }

  // ---------------------------------------------------------------- HTTP

  private listen(port: number): Promise<void> {
    const server = createServer({ keepAlive: true }, (req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
  }

  private count(rec: RequestRecord): void {
    const inc = (k: string) => this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    inc('total');
    inc(rec.verb);
    if (rec.resource !== undefined) inc(`${rec.verb} ${rec.group ?? ''}/${rec.resource}${rec.subresource ? `/${rec.subresource}` : ''}`);
    this.requests.push(rec);
    if (this.requests.length > REQUEST_LOG_LIMIT) this.requests.splice(0, this.requests.length - REQUEST_LOG_LIMIT);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const rec: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      verb: 'other',
      status: 200,
      userAgent: req.headers['user-agent'],
      fieldManager: url.searchParams.get('fieldManager') ?? undefined,
      contentType: req.headers['content-type'],
    };
    try {
      if (this.down === 'unavailable') throw serviceUnavailable();
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      const body = await readBody(req);
      if (!PUBLIC_PATHS.has(url.pathname) && this.requireToken && req.headers.authorization !== `Bearer ${this.token}`) throw unauthorized();
      await this.route(req, res, url, body, rec);
    } catch (e) {
      const status = e instanceof SimStatusError ? e.status : internalError((e as Error)?.message ?? String(e)).status;
      rec.status = status.code ?? 500;
      if (!res.headersSent) sendJson(res, rec.status, status);
      else res.destroy();
    } finally {
      // A watch is counted when it starts; its response is still streaming.
      this.count(rec);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, rec: RequestRecord): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);

    if (path === '/version') {
      rec.verb = 'discovery';
      const [, major, minor] = /^v(\d+)\.(\d+)/.exec(this.version) ?? ['', '1', '32'];
      return sendJson(res, 200, {
        major,
        minor,
        gitVersion: this.version,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2025-01-01T00:00:00Z',
        goVersion: 'go1.23.4',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      rec.verb = 'discovery';
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/openapi/v2') {
      // An empty OpenAPI v2 document: kubectl's client-side validation (on by default for apply, create, edit,
      // replace) finds no schema for any kind and skips validating, instead of failing with "failed to
      // download openapi" as it does on a 404. kubectl asks for the protobuf form.
      rec.verb = 'discovery';
      if ((req.headers.accept ?? '').includes('protobuf')) {
        const doc = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]); // Document{swagger: "2.0"}
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': doc.length });
        res.end(doc);
        return;
      }
      return sendJson(res, 200, { swagger: '2.0', info: { title: 'Kubernetes', version: this.version }, paths: {}, definitions: {} });
    }
    if (segs[0] === 'openapi') {
      // No OpenAPI v3: kubectl falls back to v2 (above) and to its compiled-in types for strategic merge patches.
      rec.verb = 'discovery';
      throw pathNotFound();
    }
    if (segs[0] !== 'api' && segs[0] !== 'apis') throw pathNotFound();

    // Discovery documents.
    if (segs[0] === 'api' && segs.length === 1) {
      rec.verb = 'discovery';
      return sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${this.host}:${this.port}` }],
      });
    }
    if (segs[0] === 'apis' && segs.length === 1) {
      rec.verb = 'discovery';
      return sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: this.registry.namedGroups().map(groupDoc) });
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      rec.verb = 'discovery';
      const g = this.registry.namedGroups().find((x) => x.name === segs[1]);
      if (!g) throw pathNotFound();
      return sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) });
    }
    const group = segs[0] === 'api' ? '' : segs[1]!;
    const version = segs[0] === 'api' ? segs[1]! : segs[2]!;
    const rest = segs.slice(segs[0] === 'api' ? 2 : 3);
    if (!this.registry.hasGroupVersion(group, version)) throw pathNotFound();
    if (rest.length === 0) {
      rec.verb = 'discovery';
      return sendJson(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources: discoveryResources(this.registry.resourcesOf(group, version)),
      });
    }

    const p = this.parseResourcePath(group, version, rest);
    const { rt } = p;
    const ns = p.namespace;
    rec.group = rt.group;
    rec.resource = rt.plural;
    rec.subresource = p.subresource;
    rec.namespace = ns;
    rec.name = p.name;
    const q = url.searchParams;
    const isWatch = p.legacyWatch || q.get('watch') === 'true' || q.get('watch') === '1';

    let verb: string;
    if (method === 'GET') verb = p.name ? 'get' : isWatch ? 'watch' : 'list';
    else if (method === 'POST' && !p.name) verb = 'create';
    else if (method === 'PUT' && p.name) verb = 'update';
    else if (method === 'PATCH' && p.name) verb = 'patch';
    else if (method === 'DELETE') verb = p.name ? 'delete' : 'deletecollection';
    else throw methodNotAllowed(method);
    rec.verb = verb;
    if (p.subresource && !['status', 'scale'].includes(p.subresource)) throw pathNotFound();
    if (p.subresource === 'status' && !rt.status) throw pathNotFound();
    if (p.subresource === 'scale' && !rt.scale) throw pathNotFound();
    if (p.subresource && !['get', 'update', 'patch'].includes(verb)) throw methodNotAllowed(method);
    if (!rt.verbs.includes(verb)) throw methodNotAllowed(method);

    const denied = this.forbidden.get(`${rt.group}/${rt.plural}`);
    if (denied && (denied === 'all' || denied.has(verb))) throw this.store.forbidden(rt, verb, ns, p.name);

    const ctx = this.requestContext(req, q);
    switch (verb) {
      case 'get': {
        const obj = this.store.get(rt, ns ?? '', p.name!);
        if (!obj) throw notFound({ group: rt.group, resource: rt.plural }, p.name!);
        return sendJson(res, 200, p.subresource === 'scale' ? scaleOf(rt, obj) : this.store.view(obj, rt));
      }
      case 'list':
        return sendJson(res, 200, this.listResponse(rt, ns, q));
      case 'watch':
        return this.startWatch(rt, ns, q, req, res, rec);
      case 'create': {
        const obj = parseBody(body, req.headers['content-type']);
        const created = this.store.create(rt, ns ?? '', obj, ctx);
        return sendJson(res, 201, this.store.view(created, rt));
      }
      case 'update': {
        const obj = parseBody(body, req.headers['content-type']);
        if (p.subresource === 'scale') {
          const replicas = Number(obj.spec?.replicas ?? 0);
          const updated = this.store.setReplicas(rt, ns ?? '', p.name!, replicas, obj.metadata?.resourceVersion, ctx);
          return sendJson(res, 200, scaleOf(rt, updated));
        }
        const updated = this.store.update(rt, ns ?? '', p.name!, obj, ctx, { subresource: p.subresource as 'status' | undefined });
        return sendJson(res, 200, this.store.view(updated, rt));
      }
      case 'patch':
        return this.patchRequest(rt, p, req, res, body, ctx, q);
      case 'delete': {
        const opts = body.length ? parseBody(body, req.headers['content-type']) : {};
        if (opts.dryRun && (opts.dryRun as unknown[]).includes('All')) ctx.dryRun = true;
        const { object, gone } = this.store.delete(rt, ns ?? '', p.name!, ctx, opts.preconditions);
        if (gone && !rt.returnsDeletedObject) return sendJson(res, 200, success({ group: rt.group, resource: rt.plural }, p.name!, object.metadata.uid));
        return sendJson(res, gone ? 200 : 202, this.store.view(object, rt));
      }
      case 'deletecollection': {
        const match = combine(parseLabelSelector(q.get('labelSelector')), parseFieldSelector(q.get('fieldSelector'), rt));
        const deleted: KubeObject[] = [];
        for (const obj of this.store.list(rt, ns).filter(match)) {
          deleted.push(this.store.delete(rt, obj.metadata.namespace ?? '', obj.metadata.name, ctx).object);
        }
        return sendJson(res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(this.store.rv) }, items: deleted.map((o) => this.listItem(o, rt)) });
      }
    }
  }

  private patchRequest(rt: ResourceType, p: ParsedPath, req: IncomingMessage, res: ServerResponse, body: Buffer, ctx: WriteContext, q: URLSearchParams): void {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const type = PATCH_CONTENT_TYPES[contentType];
    const accepted = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
    if (!type) throw unsupportedMediaType(contentType, rt.custom ? accepted : [...accepted, 'application/strategic-merge-patch+json']);
    const text = body.toString('utf8');
    let patch: unknown;
    try {
      patch = type === 'apply' ? parseYaml(text) : JSON.parse(text);
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const ns = p.namespace ?? '';
    const name = p.name!;
    if (p.subresource === 'scale') {
      const current = this.store.get(rt, ns, name);
      if (!current) throw notFound({ group: rt.group, resource: rt.plural }, name);
      const scale = scaleOf(rt, current);
      const patched =
        type === 'apply' ? (strategicScale(scale, patch) as KubeObject) : this.store.patchDocument({ ...rt, custom: false }, scale, type, patch);
      const updated = this.store.setReplicas(rt, ns, name, Number(patched.spec?.replicas ?? 0), patched.metadata?.resourceVersion, ctx);
      return sendJson(res, 200, scaleOf(rt, updated));
    }
    if (type === 'apply') {
      if (!q.get('fieldManager')) {
        throw invalid(rt.kind, rt.group, name, [{ field: 'metadata.managedFields.fieldManager', reason: 'FieldValueRequired', message: 'Required value: is required for apply patch' }]);
      }
      const existed = this.store.get(rt, ns, name) !== undefined;
      const out = this.store.apply(rt, ns, name, patch, ctx, p.subresource as 'status' | undefined);
      return sendJson(res, existed ? 200 : 201, this.store.view(out, rt));
    }
    const out = this.store.patch(rt, ns, name, type, patch, ctx, p.subresource as 'status' | undefined);
    return sendJson(res, 200, this.store.view(out, rt));
  }

  private requestContext(req: IncomingMessage, q: URLSearchParams): WriteContext {
    const ua = req.headers['user-agent'] ?? '';
    // The API server's default manager: the User-Agent up to the first '/'.
    const manager = q.get('fieldManager') || ua.split('/')[0] || 'unknown';
    return { manager, time: formatTime(this.now()), dryRun: q.getAll('dryRun').includes('All'), force: q.get('force') === 'true' };
  }

  private parseResourcePath(group: string, version: string, rest: string[]): ParsedPath {
    let legacyWatch = false;
    if (rest[0] === 'watch') {
      legacyWatch = true;
      rest = rest.slice(1);
    }
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const rt = this.registry.lookup(group, version, rest[2]!);
      if (rt && rt.namespaced) {
        if (rest.length > 5) throw pathNotFound();
        return { rt, namespace: rest[1], name: rest[3], subresource: rest[4], legacyWatch };
      }
    }
    const rt = this.registry.lookup(group, version, rest[0]!);
    if (!rt || rest.length > 3) throw pathNotFound();
    if (rt.namespaced && rest.length > 1) throw pathNotFound();
    return { rt, name: rest[1], subresource: rest[2], legacyWatch };
  }

  // ---------------------------------------------------------------- list

  private listItem(obj: KubeObject, rt: ResourceType): KubeObject {
    // Typed lists of built-in kinds leave apiVersion and kind off their items; unstructured (CR) lists keep them.
    if (rt.custom) return this.store.view(obj, rt);
    const { apiVersion, kind, ...rest } = obj;
    return rest;
  }

  private listResponse(rt: ResourceType, ns: string | undefined, q: URLSearchParams): KubeObject {
    const labelSel = q.get('labelSelector') ?? '';
    const fieldSel = q.get('fieldSelector') ?? '';
    const match = combine(parseLabelSelector(labelSel), parseFieldSelector(fieldSel, rt));
    const rvParam = q.get('resourceVersion') ?? '';
    const current = this.store.rv;
    if (rvParam !== '' && rvParam !== '0') {
      const asked = Number(rvParam);
      if (!Number.isInteger(asked) || asked < 0) throw badRequest(`invalid resource version "${rvParam}"`);
      if (asked > current) throw tooLargeResourceVersion(asked, current);
      if (q.get('resourceVersionMatch') === 'Exact' && asked < this.store.compactedRv) {
        throw expired(`The resourceVersion for the provided list is too old.`);
      }
    }
    const limitParam = Number(q.get('limit') ?? 0);
    const limit = rvParam === '0' || !Number.isFinite(limitParam) || limitParam <= 0 ? 0 : Math.floor(limitParam);
    const cont = q.get('continue') ?? '';
    const snapshotId = `${rt.group}/${rt.plural}|${ns ?? ''}|${labelSel}|${fieldSel}`;

    let items: KubeObject[];
    let keys: string[];
    let snapshotRv = current;
    let startIndex = 0;
    if (cont) {
      const token = decodeContinue(cont);
      if (token.rv !== -1 && token.rv < this.store.compactedRv) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          encodeContinue(-1, token.start),
        );
      }
      const snap = token.rv === -1 ? undefined : this.snapshots.get(`${snapshotId}|${token.rv}`);
      if (snap) {
        items = snap.items;
        keys = snap.keys;
        snapshotRv = snap.rv;
      } else {
        items = this.store.list(rt, ns).filter(match);
        keys = items.map(keyOf);
      }
      startIndex = lowerBound(keys, token.start);
    } else {
      items = this.store.list(rt, ns).filter(match);
      keys = items.map(keyOf);
    }
    let page = items;
    let next: string | undefined;
    let remaining: number | undefined;
    if (limit > 0 || startIndex > 0) {
      const end = limit > 0 ? Math.min(items.length, startIndex + limit) : items.length;
      page = items.slice(startIndex, end);
      if (end < items.length) {
        next = encodeContinue(snapshotRv, `${keys[end - 1]}\u0000`);
        if (!labelSel && !fieldSel) remaining = items.length - end;
        if (!cont) this.remember(`${snapshotId}|${snapshotRv}`, { rv: snapshotRv, items, keys });
      }
    }
    const metadata: KubeObject = { resourceVersion: String(snapshotRv) };
    if (next) metadata.continue = next;
    if (remaining !== undefined) metadata.remainingItemCount = remaining;
    return { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata, items: page.map((o) => this.listItem(o, rt)) };
  }

  private remember(id: string, snap: ListSnapshot): void {
    this.snapshots.delete(id);
    this.snapshots.set(id, snap);
    while (this.snapshots.size > SNAPSHOT_LIMIT) this.snapshots.delete(this.snapshots.keys().next().value!);
  }

  // ---------------------------------------------------------------- watch

  private startWatch(rt: ResourceType, ns: string | undefined, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, rec: RequestRecord): void {
    const match = combine(parseLabelSelector(q.get('labelSelector')), parseFieldSelector(q.get('fieldSelector'), rt));
    const rvParam = q.get('resourceVersion') ?? '';
    const timeout = q.get('timeoutSeconds');
    const w = new WatchStream(
      res,
      this.store.bucket(rt),
      {
        rt,
        namespace: ns,
        matches: match,
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        bookmarkIntervalMs: this.bookmarkIntervalMs,
        timeoutSeconds: timeout ? Number(timeout) : undefined,
        currentRv: () => this.store.rv,
      },
      (closed) => this.watches.delete(closed),
    );
    this.watches.add(w);
    for (const wake of this.watchWaiters.splice(0)) wake();
    if (rvParam === '' || rvParam === '0') {
      w.startWithState(this.store.list(rt, ns), q.get('sendInitialEvents') === 'true');
      return;
    }
    const asked = Number(rvParam);
    const floor = this.store.watchFloor(rt);
    if (!Number.isInteger(asked) || asked < floor) {
      w.fail(expired(`too old resource version: ${rvParam} (${floor})`).status as StatusObject);
      return;
    }
    w.startFrom(asked);
  }
}

// ---------------------------------------------------------------- helpers

function groupDoc(g: { name: string; versions: string[] }): KubeObject {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

function lowerBound(keys: string[], start: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Continue tokens in the API server's format: base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"key"}. */
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start }), 'utf8').toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('bad token');
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

/** The autoscaling/v1 Scale of a scalable object. */
function scaleOf(rt: ResourceType, obj: KubeObject): KubeObject {
  const scale = rt.scale!;
  const status: KubeObject = { replicas: Number(getPath(obj, scale.statusReplicasPath) ?? 0) };
  let selector: unknown;
  if (!rt.custom) selector = formatSelector(obj.spec?.selector);
  else if (scale.labelSelectorPath) selector = getPath(obj, scale.labelSelectorPath);
  if (selector) status.selector = selector;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: Number(getPath(obj, scale.specReplicasPath) ?? 0) },
    status,
  };
}

function strategicScale(scale: KubeObject, patch: unknown): KubeObject {
  const replicas = isPlainObject(patch) ? patch.spec?.replicas : undefined;
  return replicas === undefined ? scale : { ...scale, spec: { replicas } };
}

/** metav1.FormatLabelSelector: "app=web,tier in (a,b)". */
function formatSelector(sel: unknown): string {
  if (!isPlainObject(sel)) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    const values = Array.isArray(e.values) ? [...e.values].sort().join(',') : '';
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(body: Buffer, contentType: string | undefined): KubeObject {
  const ct = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (ct === PROTOBUF_CONTENT_TYPE) return decodeProtobufObject(body);
  if (ct.includes('protobuf') || ct.includes('cbor')) {
    throw unsupportedMediaType(ct, ['application/json', 'application/yaml']);
  }
  const text = body.toString('utf8');
  try {
    const parsed = ct === 'application/yaml' ? parseYaml(text) : JSON.parse(text);
    if (!isPlainObject(parsed)) throw new Error('not an object');
    return parsed;
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    'Audit-Id': randomUUID(),
  });
  res.end(text);
}
