import { applyPatch, type Operation } from 'fast-json-patch';
import { badRequest, unprocessable } from './status';
import { clone, isPlainObject, jsonEqual, type KubeObject } from './types';

/**
 * How a list field merges, by field name, for the built-in types (the `patchMergeKey` /
 * `listMapKeys` struct tags of k8s.io/api). `smpKey` drives strategic merge patch; `fieldKeys`
 * names list items in managedFields (`k:{"containerPort":80,"protocol":"TCP"}`).
 */
export interface ListKind {
  smpKey: string;
  fieldKeys: string[];
}

const NAME: ListKind = { smpKey: 'name', fieldKeys: ['name'] };
const BY_FIELD: Record<string, ListKind> = {
  containers: NAME,
  initContainers: NAME,
  ephemeralContainers: NAME,
  env: NAME,
  volumes: NAME,
  imagePullSecrets: NAME,
  resourceClaims: NAME,
  volumeMounts: { smpKey: 'mountPath', fieldKeys: ['mountPath'] },
  volumeDevices: { smpKey: 'devicePath', fieldKeys: ['devicePath'] },
  hostAliases: { smpKey: 'ip', fieldKeys: ['ip'] },
  conditions: { smpKey: 'type', fieldKeys: ['type'] },
  ownerReferences: { smpKey: 'uid', fieldKeys: ['uid'] },
  topologySpreadConstraints: { smpKey: 'topologyKey', fieldKeys: ['topologyKey', 'whenUnsatisfiable'] },
};

/** Lists of strings that merge as sets (patchStrategy "merge" on a primitive list). */
const PRIMITIVE_SETS = new Set(['finalizers']);

export function listKind(field: string | undefined, items: unknown[]): ListKind | null {
  if (field === undefined) return null;
  if (field === 'ports') {
    const first = items.find(isPlainObject);
    if (first && 'containerPort' in first) return { smpKey: 'containerPort', fieldKeys: ['containerPort', 'protocol'] };
    if (first && 'port' in first) return { smpKey: 'port', fieldKeys: ['port', 'protocol'] };
    return null;
  }
  return BY_FIELD[field] ?? null;
}

export const isPrimitiveSet = (field: string | undefined) => field !== undefined && PRIMITIVE_SETS.has(field);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch; a patch that does not apply is a 422 like the real server. */
export function jsonPatch(target: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return applyPatch(clone(target), ops as Operation[], true, true).newDocument as KubeObject;
  } catch (e) {
    throw unprocessable(`the server rejected our request due to an error in our request: ${(e as Error).message.split('\n')[0]}`);
  }
}

export interface StrategicOptions {
  /** false for custom resources: every list is atomic, as for a CRD schema without list-type markers. */
  keyedLists: boolean;
}

/**
 * Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), for the directives kubectl
 * sends: keyed list merge, `$patch: replace|delete|merge`, `$setElementOrder/<list>`,
 * `$deleteFromPrimitiveList/<list>`, `$retainKeys`, and null to delete.
 */
export function strategicMerge(original: unknown, patch: unknown, opts: StrategicOptions, field?: string): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'replace') return stripDirectives(patch);
  if (directive === 'delete') return undefined;
  const out: Record<string, unknown> = isPlainObject(original) ? { ...original } : {};
  const orders: Array<[string, unknown[]]> = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      if (Array.isArray(v)) orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[name]) && Array.isArray(v)) out[name] = (out[name] as unknown[]).filter((x) => !v.some((d) => jsonEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const merged = mergeList(out[k], v, opts, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (isPlainObject(v)) {
      const merged = strategicMerge(out[k], v, opts, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [name, order] of orders) {
    if (Array.isArray(out[name])) out[name] = applyOrder(out[name] as unknown[], order, opts, name);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.map(String));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function mergeList(original: unknown, patch: unknown[], opts: StrategicOptions, field: string): unknown[] | undefined {
  const orig = Array.isArray(original) ? original : [];
  if (!opts.keyedLists) return stripDirectives(patch) as unknown[];
  const replace = patch.some((p) => isPlainObject(p) && p.$patch === 'replace');
  if (replace) return stripDirectives(patch.filter((p) => !(isPlainObject(p) && p.$patch === 'replace'))) as unknown[];
  if (isPrimitiveSet(field) && patch.every((p) => !isPlainObject(p))) {
    const out = [...orig];
    for (const p of patch) if (!out.some((x) => jsonEqual(x, p))) out.push(p);
    return out;
  }
  const kind = listKind(field, [...patch, ...orig]);
  if (!kind) return stripDirectives(patch) as unknown[];
  const key = kind.smpKey;
  const out: unknown[] = [...orig];
  for (const item of patch) {
    if (!isPlainObject(item)) continue;
    const idx = out.findIndex((o) => isPlainObject(o) && jsonEqual(o[key], item[key]));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item, opts);
    else out.push(stripDirectives(item));
  }
  return out;
}

/** `$setElementOrder`: items named in the order list come first, in that order; the rest keep their places after. */
function applyOrder(list: unknown[], order: unknown[], opts: StrategicOptions, field: string): unknown[] {
  if (!opts.keyedLists) return list;
  const kind = listKind(field, list);
  const keyOf = (x: unknown) => (kind && isPlainObject(x) ? JSON.stringify(x[kind.smpKey]) : JSON.stringify(x));
  const wanted = order.map(keyOf);
  const byKey = new Map(list.map((x) => [keyOf(x), x] as const));
  const out: unknown[] = [];
  for (const k of wanted) if (byKey.has(k)) out.push(byKey.get(k));
  for (const x of list) if (!wanted.includes(keyOf(x))) out.push(x);
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}
