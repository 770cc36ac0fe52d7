import { clone, isObj, type Obj } from './resource';

/**
 * Strategic merge patch the way kustomize applies it (kyaml's merge, not
 * kubectl's): maps merge key by key, `null` deletes, lists of built-in types
 * merge by their patch merge key (patch elements first, in patch order, then
 * the untouched ones), every other list is replaced. Directives: `$patch:
 * delete|replace` on a map, `{$patch: replace}` / `{$patch: delete}` as a list
 * element, `$patch: delete` on a keyed element. Like kustomize,
 * `$setElementOrder`, `$deleteFromPrimitiveList` and `$retainKeys` are not
 * interpreted (kustomize copies them through as plain fields).
 */

interface SchemaNode {
  fields?: Record<string, SchemaNode>;
  /** A list merged by this key. */
  key?: string;
  /**
   * A list whose elements are identified by several keys (ports: containerPort
   * + protocol). kustomize merges these differently: matching elements stay
   * where they are, new ones go first, and a patch element that shares the
   * first key with an existing element but differs in another key is dropped.
   */
  keys?: string[];
  /** A list of scalars merged as a set (finalizers). */
  set?: true;
  /** Schema of the elements of a keyed list. */
  item?: SchemaNode;
}

const keyed = (key: string, item?: SchemaNode): SchemaNode => (item ? { key, item } : { key });
const multiKeyed = (...keys: string[]): SchemaNode => ({ keys });

const OBJECT_META: SchemaNode = { fields: { finalizers: { set: true }, ownerReferences: keyed('uid') } };
const CONTAINER: SchemaNode = {
  fields: {
    ports: multiKeyed('containerPort', 'protocol'),
    env: keyed('name'),
    volumeMounts: keyed('mountPath'),
    volumeDevices: keyed('devicePath'),
  },
};
const POD_SPEC: SchemaNode = {
  fields: {
    volumes: keyed('name'),
    containers: keyed('name', CONTAINER),
    initContainers: keyed('name', CONTAINER),
    ephemeralContainers: keyed('name', CONTAINER),
    imagePullSecrets: keyed('name'),
    hostAliases: keyed('ip'),
    topologySpreadConstraints: multiKeyed('topologyKey', 'whenUnsatisfiable'),
  },
};
const POD_TEMPLATE: SchemaNode = { fields: { metadata: OBJECT_META, spec: POD_SPEC } };
const WITH_TEMPLATE: SchemaNode = { fields: { metadata: OBJECT_META, spec: { fields: { template: POD_TEMPLATE } } } };
const METADATA_ONLY: SchemaNode = { fields: { metadata: OBJECT_META } };

const KIND_SCHEMAS: Record<string, SchemaNode> = {
  Pod: { fields: { metadata: OBJECT_META, spec: POD_SPEC } },
  PodTemplate: { fields: { metadata: OBJECT_META, template: POD_TEMPLATE } },
  Deployment: WITH_TEMPLATE,
  ReplicaSet: WITH_TEMPLATE,
  DaemonSet: WITH_TEMPLATE,
  StatefulSet: WITH_TEMPLATE,
  Job: WITH_TEMPLATE,
  ReplicationController: WITH_TEMPLATE,
  CronJob: {
    fields: {
      metadata: OBJECT_META,
      spec: { fields: { jobTemplate: { fields: { metadata: OBJECT_META, spec: { fields: { template: POD_TEMPLATE } } } } } },
    },
  },
  Service: { fields: { metadata: OBJECT_META, spec: { fields: { ports: multiKeyed('port', 'protocol') } } } },
  ServiceAccount: { fields: { metadata: OBJECT_META, secrets: keyed('name') } },
  MutatingWebhookConfiguration: { fields: { metadata: OBJECT_META, webhooks: keyed('name') } },
  ValidatingWebhookConfiguration: { fields: { metadata: OBJECT_META, webhooks: keyed('name') } },
};

/** API groups whose types kustomize has a schema for; custom resources have none (every list is replaced). */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'extensions',
  'policy',
  'autoscaling',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'node.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
]);

function schemaFor(group: string, kind: string): SchemaNode | undefined {
  if (!BUILTIN_GROUPS.has(group)) return undefined;
  return KIND_SCHEMAS[kind] ?? METADATA_ONLY;
}

const DELETE = Symbol('delete');

/** Applies `patch` to `target` in place (target is the resource body). */
export function applyStrategicMerge(target: Obj, patch: Obj, group: string, kind: string): void {
  const schema = schemaFor(group, kind);
  const out = mergeValue(target, patch, schema);
  if (out === DELETE) {
    for (const k of Object.keys(target)) delete target[k];
    return;
  }
  // mergeValue merged maps in place, so `out` is `target` unless the whole object was replaced.
  if (out !== target && isObj(out)) {
    for (const k of Object.keys(target)) delete target[k];
    Object.assign(target, out);
  }
}

function mergeValue(dest: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  if (patch === null) return DELETE;
  if (isObj(patch)) return mergeMap(dest, patch, schema);
  if (Array.isArray(patch)) {
    if (schema?.key !== undefined) return mergeKeyedList(dest, patch, schema.key, schema.item);
    if (schema?.keys !== undefined) return mergeMultiKeyList(dest, patch, schema.keys);
    if (schema?.set) return mergeSet(dest, patch);
    // Replaced lists are taken verbatim, directives included (as kustomize does).
    return clone(patch);
  }
  return patch;
}

function mergeMap(dest: unknown, patch: Obj, schema: SchemaNode | undefined): unknown {
  const directive = patch.$patch;
  if (directive === 'delete') return DELETE;
  if (directive === 'replace') return stripped(patch);
  const out: Obj = isObj(dest) ? dest : {};
  for (const key of Object.keys(patch)) {
    if (key === '$patch') continue;
    const merged = mergeValue(out[key], patch[key], schema?.fields?.[key]);
    if (merged === DELETE) delete out[key];
    else out[key] = merged;
  }
  return out;
}

/** A patch fragment added where nothing existed: drop directives and nulls. */
function stripped(patch: Obj): Obj {
  const out = mergeMap(undefined, { ...patch, $patch: undefined }, undefined);
  return isObj(out) ? out : {};
}

function keyOf(el: unknown, key: string): string | undefined {
  if (!isObj(el)) return undefined;
  const v = el[key];
  if (v === undefined || v === null || typeof v === 'object') return undefined;
  return String(v);
}

function isDirectiveOnly(el: unknown, directive: string): boolean {
  return isObj(el) && el.$patch === directive && Object.keys(el).length === 1;
}

function mergeKeyedList(dest: unknown, patch: unknown[], key: string, item: SchemaNode | undefined): unknown {
  if (patch.some((el) => isDirectiveOnly(el, 'delete'))) return DELETE;
  if (patch.some((el) => isDirectiveOnly(el, 'replace'))) {
    return patch.filter((el) => !isDirectiveOnly(el, 'replace')).map((el) => (isObj(el) ? stripped(el) : clone(el)));
  }
  const existing = Array.isArray(dest) ? dest : [];
  const byKey = new Map<string, unknown>();
  for (const el of existing) {
    const k = keyOf(el, key);
    if (k !== undefined && !byKey.has(k)) byKey.set(k, el);
  }
  const touched = new Set<string>();
  const out: unknown[] = [];
  for (const p of patch) {
    const k = keyOf(p, key);
    if (k === undefined || !isObj(p)) {
      out.push(isObj(p) ? stripped(p) : clone(p));
      continue;
    }
    touched.add(k);
    const d = byKey.get(k);
    if (p.$patch === 'delete') continue;
    if (p.$patch === 'replace') {
      // kustomize keeps an existing element as it is, and adds a new one without the directive.
      out.push(d !== undefined ? d : stripped(p));
      continue;
    }
    const merged = mergeMap(d === undefined ? undefined : d, p, item);
    if (merged !== DELETE) out.push(merged);
  }
  for (const el of existing) {
    const k = keyOf(el, key);
    if (k !== undefined && touched.has(k)) continue;
    out.push(el);
  }
  return out;
}

function tupleOf(el: unknown, keys: string[]): string[] | undefined {
  if (!isObj(el)) return undefined;
  return keys.map((k) => {
    const v = el[k];
    return v === undefined || v === null || typeof v === 'object' ? '' : String(v);
  });
}

function mergeMultiKeyList(dest: unknown, patch: unknown[], keys: string[]): unknown {
  if (patch.some((el) => isDirectiveOnly(el, 'delete'))) return DELETE;
  if (patch.some((el) => isDirectiveOnly(el, 'replace'))) {
    return patch.filter((el) => !isDirectiveOnly(el, 'replace')).map((el) => (isObj(el) ? stripped(el) : clone(el)));
  }
  const out: unknown[] = Array.isArray(dest) ? dest.slice() : [];
  const added: unknown[] = [];
  const deleted = new Set<unknown>();
  for (const p of patch) {
    const kp = tupleOf(p, keys);
    if (!kp || !isObj(p) || kp[0] === '') {
      added.push(isObj(p) ? stripped(p) : clone(p));
      continue;
    }
    const idx = out.findIndex((d) => {
      const kd = tupleOf(d, keys);
      return kd !== undefined && kd.every((v, i) => v === kp[i]);
    });
    if (idx >= 0) {
      if (p.$patch === 'delete') deleted.add(out[idx]);
      else if (p.$patch !== 'replace') {
        const merged = mergeMap(out[idx], p, undefined);
        if (merged === DELETE) deleted.add(out[idx]);
        else out[idx] = merged;
      }
      continue;
    }
    if (out.some((d) => tupleOf(d, keys)?.[0] === kp[0])) continue;
    if (p.$patch === 'delete' || p.$patch === 'replace') continue;
    added.push(stripped(p));
  }
  return [...added, ...out.filter((d) => !deleted.has(d))];
}

function mergeSet(dest: unknown, patch: unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<string>();
  const add = (v: unknown) => {
    const k = typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(clone(v));
  };
  for (const v of patch) if (!isDirectiveOnly(v, 'replace')) add(v);
  if (Array.isArray(dest)) for (const v of dest) add(v);
  return out;
}
