import { randomUUID } from 'node:crypto';
import { applyDefaults, normalize } from './defaults';
import { flatten, fromFieldsV1, removePath, SEP, updateManagedFields, type FlattenScope } from './fields';
import { EventRing, type StoreEvent } from './history';
import { jsonPatch, mergePatch, strategicMerge } from './patch';
import { apiVersionOf, crdServing, storageKey, type ResourceRegistry, type ResourceType } from './resources';
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  forbidden,
  invalid,
  notFound,
  unsupportedMediaType,
  type GroupResource,
} from './status';
import { clone, isPlainObject, type FieldsOperation, type KubeObject, type ManagedFieldsEntry, type WriteContext } from './types';

/** Receives every committed change of one resource, synchronously, in resourceVersion order. */
export interface EventSink {
  deliver(ev: StoreEvent): void;
}

/** The objects of one group/resource (all versions share it), its watch history and its watchers. */
export class Bucket {
  readonly objects = new Map<string, KubeObject>();
  /** Keys in etcd order, rebuilt lazily after a create or delete. */
  private sorted: string[] | null = null;
  readonly history: EventRing;
  /** A watch from a resourceVersion below this has lost events (they fell off the ring). */
  floorRv = 0;
  readonly sinks = new Set<EventSink>();

  constructor(historyLimit: number) {
    this.history = new EventRing(historyLimit);
  }

  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.objects.keys()].sort();
    return this.sorted;
  }

  invalidateOrder(): void {
    this.sorted = null;
  }
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

export interface StoreOptions {
  /** Deterministic uids (a restarted demo rebuilds the same cluster); random when absent. */
  uid?: (group: string, kind: string, namespace: string, name: string) => string;
  historyLimit: number;
  defaulting: boolean;
  userName: string;
}

export interface WriteOptions {
  subresource?: 'status' | 'scale';
  /** Compare metadata.resourceVersion of the body with the stored one (PUT semantics). */
  checkResourceVersion?: boolean;
  operation?: FieldsOperation;
}

const objectKey = (ns: string, name: string) => (ns ? `${ns}/${name}` : name);
const gr = (rt: ResourceType): GroupResource => ({ group: rt.group, resource: rt.plural });

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The storage engine of the simulated cluster: objects by resource, one global resourceVersion,
 * per-resource event rings for watch resumption, and the write rules of the API server (defaults,
 * generation, managedFields, finalizers, preconditions). HTTP and the test driver both write through here.
 */
export class SimStore {
  rv = 0;
  /** The "etcd compaction" point: continue tokens older than this answer 410. */
  compactedRv = 0;
  private buckets = new Map<string, Bucket>();
  private ipCounter = 10;
  private flatCache = new WeakMap<KubeObject, { key: string; map: Map<string, string> }>();

  constructor(
    readonly registry: ResourceRegistry,
    private readonly opts: StoreOptions,
  ) {}

  bucket(rt: Pick<ResourceType, 'group' | 'plural'>): Bucket {
    const key = storageKey(rt.group, rt.plural);
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(this.opts.historyLimit);
      b.floorRv = this.compactedRv;
      this.buckets.set(key, b);
    }
    return b;
  }

  /** The oldest resourceVersion a watch on this resource can start from. */
  watchFloor(rt: ResourceType): number {
    return Math.max(this.bucket(rt).floorRv, this.compactedRv);
  }

  get(rt: ResourceType, ns: string, name: string): KubeObject | undefined {
    return this.bucket(rt).objects.get(objectKey(rt.namespaced ? ns : '', name));
  }

  /** Stored objects in etcd key order (namespace, then name), optionally in one namespace. */
  list(rt: ResourceType, ns?: string): KubeObject[] {
    const b = this.bucket(rt);
    const out: KubeObject[] = [];
    if (ns && rt.namespaced) {
      const prefix = `${ns}/`;
      for (const k of b.sortedKeys()) if (k.startsWith(prefix)) out.push(b.objects.get(k)!);
    } else {
      for (const k of b.sortedKeys()) out.push(b.objects.get(k)!);
    }
    return out;
  }

  /** The object as served at rt's version (custom resources are stored at the version they were written in). */
  view(obj: KubeObject, rt: ResourceType): KubeObject {
    const av = apiVersionOf(rt);
    return obj.apiVersion === av ? obj : { ...obj, apiVersion: av };
  }

  /** Forgets all watch history: watches and continue tokens from before now answer 410. */
  compact(): void {
    this.compactedRv = this.rv;
    for (const b of this.buckets.values()) {
      b.history.clear();
      b.floorRv = this.rv;
    }
  }

  // ---------------------------------------------------------------- writes

  create(rt: ResourceType, urlNs: string, body: KubeObject, ctx: WriteContext, operation: FieldsOperation = 'Update', appliedPaths?: Set<string>): KubeObject {
    if (!isPlainObject(body)) throw badRequest('the body of the request is not a JSON object');
    this.checkTypeMeta(rt, body);
    const next: KubeObject = clone(body);
    next.apiVersion = body.apiVersion ?? apiVersionOf(rt);
    next.kind = rt.kind;
    const meta: KubeObject = (next.metadata = isPlainObject(next.metadata) ? next.metadata : {});
    if (!meta.name && meta.generateName) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
      meta.name = `${meta.generateName}${suffix}`;
    }
    const ns = this.resolveNamespace(rt, urlNs, meta);
    this.validateName(rt, String(meta.name ?? ''));
    if (rt.namespaced) this.requireNamespace(ns, rt, meta.name);
    const bucket = this.bucket(rt);
    const key = objectKey(ns, meta.name);
    if (bucket.objects.has(key)) throw alreadyExists(gr(rt), meta.name);

    meta.uid = this.opts.uid ? this.opts.uid(rt.group, rt.kind, ns, String(meta.name)) : randomUUID();
    meta.creationTimestamp = ctx.time;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    delete meta.managedFields;
    if (rt.generation) meta.generation = 1;
    else delete meta.generation;
    if (rt.status) delete next.status;
    if (rt.group === 'apiextensions.k8s.io' && rt.kind === 'CustomResourceDefinition') this.prepareCrd(next);
    normalize(rt, next);
    if (this.opts.defaulting) applyDefaults(rt, next, { allocateClusterIP: () => this.allocateClusterIP() });

    const scope = this.scope(rt, undefined);
    meta.managedFields = updateManagedFields([], null, this.flat(next, scope), {
      manager: ctx.manager,
      operation,
      apiVersion: next.apiVersion,
      time: ctx.time,
      appliedPaths,
    }).entries;
    if (ctx.dryRun) return { ...next, metadata: { ...meta, resourceVersion: String(this.rv) } };
    const stored = this.commit(rt, key, 'ADDED', next);
    if (rt.group === 'apiextensions.k8s.io' && rt.kind === 'CustomResourceDefinition') this.registry.registerCrd(crdServing(stored));
    return stored;
  }

  /** PUT: the body is the whole new object (status ignored when the kind has a status subresource). */
  update(rt: ResourceType, ns: string, name: string, body: KubeObject, ctx: WriteContext, opts: WriteOptions = {}, appliedPaths?: Set<string>): KubeObject {
    if (!isPlainObject(body)) throw badRequest('the body of the request is not a JSON object');
    const prev = this.get(rt, ns, name);
    if (!prev) throw notFound(gr(rt), name);
    this.checkTypeMeta(rt, body);
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && meta.namespace && meta.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (opts.checkResourceVersion !== false && meta.resourceVersion && meta.resourceVersion !== prev.metadata.resourceVersion) {
      throw conflict(gr(rt), name);
    }
    let next: KubeObject;
    if (opts.subresource === 'status') {
      next = clone(prev);
      if (body.status === undefined) delete next.status;
      else next.status = clone(body.status);
    } else {
      next = clone(body);
      next.apiVersion = body.apiVersion ?? prev.apiVersion;
      next.kind = rt.kind;
      const m: KubeObject = (next.metadata = isPlainObject(next.metadata) ? next.metadata : {});
      for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generateName']) {
        if (prev.metadata[k] === undefined) delete m[k];
        else m[k] = prev.metadata[k];
      }
      if (rt.status) {
        if (prev.status === undefined) delete next.status;
        else next.status = clone(prev.status);
      }
    }
    normalize(rt, next);
    if (this.opts.defaulting) applyDefaults(rt, next, { previous: prev, allocateClusterIP: () => this.allocateClusterIP() });
    return this.finishUpdate(rt, prev, next, ctx, opts, appliedPaths);
  }

  /** PATCH of the main resource or of /status. Apply patches go to apply(). */
  patch(rt: ResourceType, ns: string, name: string, type: PatchType, patch: unknown, ctx: WriteContext, subresource?: 'status'): KubeObject {
    const prev = this.get(rt, ns, name);
    if (!prev) throw notFound(gr(rt), name);
    const patched = this.patchDocument(rt, prev, type, patch);
    if (!isPlainObject(patched)) throw badRequest('the patch did not produce an object');
    const rv = (isPlainObject(patch) && isPlainObject(patch.metadata) && patch.metadata.resourceVersion) || undefined;
    const body = { ...patched, metadata: { ...(patched.metadata ?? {}), resourceVersion: rv ?? prev.metadata.resourceVersion } };
    return this.update(rt, ns, name, body, ctx, { subresource, checkResourceVersion: true });
  }

  /** Applies a non-apply patch to a document (an object or a Scale). */
  patchDocument(rt: ResourceType, doc: KubeObject, type: PatchType, patch: unknown): KubeObject {
    switch (type) {
      case 'merge':
        if (!isPlainObject(patch)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        return mergePatch(doc, patch) as KubeObject;
      case 'json':
        return jsonPatch(doc, patch);
      case 'strategic':
        if (rt.custom) {
          throw unsupportedMediaType('application/strategic-merge-patch+json', ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
        }
        if (!isPlainObject(patch)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        return strategicMerge(doc, patch, { keyedLists: true }) as KubeObject;
      default:
        throw badRequest(`unsupported patch type ${type}`);
    }
  }

  /**
   * Server-side apply, simplified: create, or merge the configuration into the live object (keyed lists for
   * built-in kinds), drop the fields this manager applied before but no longer applies (unless another
   * manager owns them), and record the manager's fields as exactly the applied ones. Conflicts are not
   * detected: every apply behaves as if forced.
   */
  apply(rt: ResourceType, ns: string, name: string, config: unknown, ctx: WriteContext, subresource?: 'status'): KubeObject {
    if (!isPlainObject(config)) throw badRequest('the apply configuration is not an object');
    if (!config.apiVersion || !config.kind) {
      throw invalid(rt.kind, rt.group, name, [{ field: 'apiVersion', reason: 'FieldValueRequired', message: 'Required value: apiVersion and kind must be set' }]);
    }
    this.checkTypeMeta(rt, config);
    const cfgMeta = isPlainObject(config.metadata) ? config.metadata : {};
    if (cfgMeta.name !== undefined && cfgMeta.name !== name) {
      throw badRequest(`the name of the object (${cfgMeta.name}) does not match the name on the URL (${name})`);
    }
    const prev = this.get(rt, ns, name);
    const scope = this.scope(rt, subresource);
    const applied = new Set(flatten(config, scope).keys());
    if (!prev) {
      if (subresource) throw notFound(gr(rt), name);
      return this.create(rt, ns, { ...config, metadata: { ...cfgMeta, name } }, ctx, 'Apply', applied);
    }
    const { resourceVersion, ...cfgRest } = cfgMeta;
    let merged = strategicMerge(clone(prev), { ...config, metadata: cfgRest }, { keyedLists: !rt.custom }) as KubeObject;
    // Fields this manager applied last time and not now go, unless someone else also owns them.
    const entries: ManagedFieldsEntry[] = prev.metadata.managedFields ?? [];
    const mine = entries.find((e) => e.manager === ctx.manager && e.operation === 'Apply' && (e.subresource ?? '') === (subresource ?? ''));
    if (mine) {
      const others = new Set<string>();
      for (const e of entries) if (e !== mine && (e.subresource ?? '') === (subresource ?? '')) for (const p of fromFieldsV1(e.fieldsV1)) others.add(p);
      const gone = [...fromFieldsV1(mine.fieldsV1)].filter((p) => !applied.has(p)).sort((a, b) => b.length - a.length);
      for (const p of gone) {
        if (others.has(p)) continue;
        if (p.endsWith(`${SEP}.`)) {
          const container = p.slice(0, -2);
          const last = container.slice(container.lastIndexOf(SEP) + 1);
          if (last.startsWith('k:') && ![...others].some((o) => o.startsWith(container + SEP))) removePath(merged, container);
        } else {
          removePath(merged, p);
        }
      }
    }
    merged.metadata.resourceVersion = resourceVersion ?? prev.metadata.resourceVersion;
    if (subresource === 'status') merged = { ...clone(prev), status: merged.status };
    return this.update(rt, ns, name, merged, ctx, { subresource, checkResourceVersion: true, operation: 'Apply' }, applied);
  }

  /** Writes spec.replicas through the scale subresource; answers the new object. */
  setReplicas(rt: ResourceType, ns: string, name: string, replicas: number, expectedRv: string | undefined, ctx: WriteContext): KubeObject {
    const prev = this.get(rt, ns, name);
    if (!prev) throw notFound(gr(rt), name);
    if (expectedRv && expectedRv !== prev.metadata.resourceVersion) throw conflict(gr(rt), name);
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
    }
    const next = clone(prev);
    setPath(next, rt.scale!.specReplicasPath, replicas);
    return this.finishUpdate(rt, prev, next, ctx, { subresource: 'scale' });
  }

  /**
   * DELETE: with finalizers the object only gets a deletionTimestamp; a Namespace takes its contents with it;
   * a CustomResourceDefinition takes its custom resources and stops being served.
   */
  delete(rt: ResourceType, ns: string, name: string, ctx: WriteContext, preconditions?: { uid?: string; resourceVersion?: string }): { object: KubeObject; gone: boolean } {
    const prev = this.get(rt, ns, name);
    if (!prev) throw notFound(gr(rt), name);
    if (preconditions?.uid && preconditions.uid !== prev.metadata.uid) {
      throw conflict(gr(rt), name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${prev.metadata.uid}`);
    }
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== prev.metadata.resourceVersion) {
      throw conflict(gr(rt), name, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${prev.metadata.resourceVersion}`);
    }
    if (ctx.dryRun) return { object: prev, gone: true };
    const finalizers: unknown[] = Array.isArray(prev.metadata.finalizers) ? prev.metadata.finalizers : [];
    if (finalizers.length > 0) {
      if (prev.metadata.deletionTimestamp) return { object: prev, gone: false };
      const next = clone(prev);
      next.metadata.deletionTimestamp = ctx.time;
      next.metadata.deletionGracePeriodSeconds = 0;
      return { object: this.commit(rt, prev.metadata.namespace ? objectKey(prev.metadata.namespace, name) : name, 'MODIFIED', next, prev), gone: false };
    }
    return { object: this.remove(rt, prev, ctx), gone: true };
  }

  private remove(rt: ResourceType, prev: KubeObject, ctx: WriteContext): KubeObject {
    const name = prev.metadata.name;
    if (rt.group === '' && rt.kind === 'Namespace') {
      for (const other of this.registry.all()) {
        if (!other.namespaced) continue;
        const b = this.bucket(other);
        for (const obj of this.list(other, name)) {
          if (b.objects.get(objectKey(name, obj.metadata.name)) === obj) this.commit(other, objectKey(name, obj.metadata.name), 'DELETED', clone(obj), obj);
        }
      }
    }
    if (rt.group === 'apiextensions.k8s.io' && rt.kind === 'CustomResourceDefinition') {
      const serving = crdServing(prev);
      const crType = this.registry.lookup(serving.group, serving.versions.find((v) => v.served)?.name ?? '', serving.plural);
      if (crType) for (const obj of this.list(crType)) this.commit(crType, objectKey(obj.metadata.namespace ?? '', obj.metadata.name), 'DELETED', clone(obj), obj);
      this.registry.unregisterCrd(serving.name);
    }
    return this.commit(rt, objectKey(rt.namespaced ? prev.metadata.namespace : '', name), 'DELETED', clone(prev), prev);
  }

  // ---------------------------------------------------------------- internals

  /** Common tail of every update: validation, no-op detection, generation, managedFields, finalizers, commit. */
  private finishUpdate(rt: ResourceType, prev: KubeObject, next: KubeObject, ctx: WriteContext, opts: WriteOptions, appliedPaths?: Set<string>): KubeObject {
    const name = prev.metadata.name;
    if (rt.group === 'apiextensions.k8s.io' && rt.kind === 'CustomResourceDefinition') this.prepareCrd(next, prev);
    const scope = this.scope(rt, opts.subresource);
    const before = this.flat(prev, scope);
    const after = this.flat(next, scope);
    const { entries, changed } = updateManagedFields(prev.metadata.managedFields ?? [], before, after, {
      manager: ctx.manager,
      operation: opts.operation ?? 'Update',
      apiVersion: next.apiVersion ?? prev.apiVersion,
      time: ctx.time,
      subresource: opts.subresource,
      appliedPaths,
    });
    // Everything a write may change is in the flattened part (the rest is copied from prev), so no changed
    // path means no change; a write that only changes ownership still counts, as on a real server.
    if (changed.size === 0 && sameOwnership(prev.metadata.managedFields ?? [], entries)) return prev;
    if (rt.generation) {
      let specChanged = false;
      for (const p of changed) {
        if (!p.startsWith('f:metadata') && !p.startsWith('f:status')) {
          specChanged = true;
          break;
        }
      }
      next.metadata.generation = (prev.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    } else {
      delete next.metadata.generation;
    }
    next.metadata.managedFields = entries;
    if (ctx.dryRun) return { ...next, metadata: { ...next.metadata, resourceVersion: prev.metadata.resourceVersion } };
    const key = objectKey(rt.namespaced ? prev.metadata.namespace : '', name);
    const finalizers = Array.isArray(next.metadata.finalizers) ? next.metadata.finalizers : [];
    if (prev.metadata.deletionTimestamp && finalizers.length === 0) {
      this.commit(rt, key, 'MODIFIED', next, prev);
      return this.remove(rt, this.bucket(rt).objects.get(key)!, ctx);
    }
    const stored = this.commit(rt, key, 'MODIFIED', next, prev);
    if (rt.group === 'apiextensions.k8s.io' && rt.kind === 'CustomResourceDefinition') this.registry.registerCrd(crdServing(stored));
    return stored;
  }

  /** Stores a change under a new resourceVersion, records it and hands it to the watchers. */
  private commit(rt: ResourceType, key: string, type: StoreEvent['type'], next: KubeObject, prev?: KubeObject): KubeObject {
    const rv = ++this.rv;
    next.metadata = { ...next.metadata, resourceVersion: String(rv) };
    const b = this.bucket(rt);
    if (type === 'DELETED') {
      b.objects.delete(key);
      b.invalidateOrder();
    } else {
      if (type === 'ADDED') b.invalidateOrder();
      b.objects.set(key, next);
    }
    const ev: StoreEvent = { rv, type, object: next, prev };
    const evicted = b.history.push(ev);
    if (evicted) b.floorRv = evicted.rv;
    for (const sink of b.sinks) sink.deliver(ev);
    return next;
  }

  /** flatten(), remembered per stored object (stored objects never change). */
  private flat(obj: KubeObject, scope: FlattenScope): Map<string, string> {
    const key = `${scope.part}|${scope.keyedLists}`;
    const cached = this.flatCache.get(obj);
    if (cached && cached.key === key) return cached.map;
    const map = flatten(obj, scope);
    this.flatCache.set(obj, { key, map });
    return map;
  }

  private scope(rt: ResourceType, subresource: string | undefined): FlattenScope {
    if (subresource === 'status') return { part: 'status', keyedLists: !rt.custom };
    return { part: rt.status ? 'main' : 'all', keyedLists: !rt.custom };
  }

  private checkTypeMeta(rt: ResourceType, body: KubeObject): void {
    if (body.kind !== undefined && body.kind !== rt.kind) {
      throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${rt.kind})`);
    }
    if (body.apiVersion !== undefined) {
      const slash = String(body.apiVersion).indexOf('/');
      const group = slash < 0 ? '' : String(body.apiVersion).slice(0, slash);
      if (group !== rt.group) {
        throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(rt)})`);
      }
    }
  }

  private resolveNamespace(rt: ResourceType, urlNs: string, meta: KubeObject): string {
    if (!rt.namespaced) {
      delete meta.namespace;
      return '';
    }
    if (urlNs && meta.namespace && meta.namespace !== urlNs) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const ns = String(urlNs || meta.namespace || '');
    if (!ns) {
      throw invalid(rt.kind, rt.group, String(meta.name ?? ''), [{ field: 'metadata.namespace', reason: 'FieldValueRequired', message: 'Required value' }]);
    }
    meta.namespace = ns;
    return ns;
  }

  private validateName(rt: ResourceType, name: string): void {
    if (!name) {
      throw invalid(rt.kind, rt.group, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }]);
    }
    const label = rt.group === '' && (rt.kind === 'Namespace' || rt.kind === 'Service');
    const ok = label ? DNS_LABEL.test(name) && name.length <= 63 : DNS_SUBDOMAIN.test(name) && name.length <= 253;
    const rbac = rt.group === 'rbac.authorization.k8s.io' && !name.includes('/') && !name.includes('%');
    if (!ok && !rbac && !rt.custom) {
      const what = label
        ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
      throw invalid(rt.kind, rt.group, name, [{ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${what}` }]);
    }
  }

  private requireNamespace(ns: string, rt: ResourceType, name: string): void {
    const nsType = this.registry.lookup('', 'v1', 'namespaces')!;
    const namespace = this.get(nsType, '', ns);
    if (!namespace) throw notFound({ group: '', resource: 'namespaces' }, ns);
    if (namespace.metadata.deletionTimestamp) {
      throw failure(403, 'Forbidden', `${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, {
        name,
        group: rt.group || undefined,
        kind: rt.plural,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /** Validates a CRD's names and fills the status a real apiextensions server sets once it is established. */
  private prepareCrd(next: KubeObject, prev?: KubeObject): void {
    const s = crdServing(next);
    const name = String(next.metadata?.name ?? '');
    const causes: Array<{ field: string; reason: string; message: string }> = [];
    if (!s.group) causes.push({ field: 'spec.group', reason: 'FieldValueRequired', message: 'Required value' });
    if (!s.plural) causes.push({ field: 'spec.names.plural', reason: 'FieldValueRequired', message: 'Required value' });
    if (!s.kind) causes.push({ field: 'spec.names.kind', reason: 'FieldValueRequired', message: 'Required value' });
    if (s.versions.length === 0) causes.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: must have exactly one version marked as storage version' });
    if (name && s.plural && s.group && name !== `${s.plural}.${s.group}`) {
      causes.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group` });
    }
    if (causes.length) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, causes);
    const storage = s.versions.find((v) => v.storage)?.name ?? s.versions[0]!.name;
    const stored: string[] = Array.isArray(prev?.status?.storedVersions) ? [...prev!.status.storedVersions] : [];
    if (!stored.includes(storage)) stored.push(storage);
    const names: KubeObject = { plural: s.plural, singular: s.singular, kind: s.kind, listKind: s.listKind };
    if (s.shortNames.length) names.shortNames = s.shortNames;
    if (s.categories.length) names.categories = s.categories;
    const time = prev?.status?.conditions?.[0]?.lastTransitionTime ?? next.metadata?.creationTimestamp ?? prev?.metadata?.creationTimestamp;
    next.status = {
      acceptedNames: names,
      conditions: [
        { type: 'NamesAccepted', status: 'True', lastTransitionTime: time, reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', lastTransitionTime: time, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: stored,
    };
  }

  private allocateClusterIP(): string {
    const n = this.ipCounter++;
    return `10.96.${(n >> 8) & 255}.${n & 255}`;
  }

  /** A Forbidden error for a verb on a resource (used by the HTTP layer's forbid list). */
  forbidden(rt: ResourceType, verb: string, ns: string | undefined, name?: string) {
    return forbidden(gr(rt), verb, this.opts.userName, ns, name);
  }
}

function sameOwnership(a: ManagedFieldsEntry[], b: ManagedFieldsEntry[]): boolean {
  if (a.length !== b.length) return false;
  const key = (e: ManagedFieldsEntry) => `${e.manager}|${e.operation}|${e.subresource ?? ''}|${JSON.stringify(e.fieldsV1)}`;
  const sa = new Set(a.map(key));
  return b.every((e) => sa.has(key(e)));
}

/** Reads a ".spec.replicas"-style path. */
export function getPath(obj: KubeObject, path: string): unknown {
  let cur: any = obj;
  for (const part of path.split('.').filter(Boolean)) cur = cur?.[part];
  return cur;
}

function setPath(obj: KubeObject, path: string, value: unknown): void {
  const parts = path.split('.').filter(Boolean);
  let cur: any = obj;
  for (const part of parts.slice(0, -1)) cur = cur[part] = isPlainObject(cur[part]) ? cur[part] : {};
  cur[parts[parts.length - 1]!] = value;
}
