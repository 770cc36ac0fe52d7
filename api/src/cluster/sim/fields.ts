import { isPrimitiveSet, listKind } from './patch';
import { isPlainObject, stableJson, type FieldsOperation, type KubeObject, type ManagedFieldsEntry } from './types';

/**
 * Field ownership in the FieldsV1 form of structured-merge-diff, approximated without schemas:
 * a field set is the set of leaf paths of an object (`f:spec` → `f:replicas`), list items of keyed
 * lists appear as `k:{"name":"web"}` with a `.` member, string sets as `v:"x"`, other lists are atomic.
 *
 * A path is its FieldsV1 keys joined by NUL, e.g. "f:spec\0f:replicas".
 */
export const SEP = '\u0000';

/** Maps whose own presence is tracked with a "." member (map-typed fields, as opposed to structs). */
const MAP_FIELDS = new Set(['labels', 'annotations', 'data', 'binaryData', 'stringData', 'matchLabels', 'nodeSelector', 'limits', 'requests']);

/** Struct or map fields that are atomic in the built-in schemas (label selectors): owned as one leaf. */
const ATOMIC_FIELDS = new Set(['selector', 'podSelector', 'namespaceSelector', 'labelSelector']);

/** Metadata the server owns; never part of a field set. */
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generateName']);

export interface FlattenScope {
  /** Which part of the object the set covers: everything but status, or only status (the /status subresource). */
  part: 'main' | 'status' | 'all';
  keyedLists: boolean;
}

/** Every member path of the object's field set, with the JSON of its value for leaves ('' for "." members). */
export function flatten(obj: KubeObject, scope: FlattenScope): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || v === undefined) continue;
    if (k === 'status' && scope.part === 'main') continue;
    if (k !== 'status' && scope.part === 'status') continue;
    if (k === 'metadata' && isPlainObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (SERVER_METADATA.has(mk) || mv === undefined) continue;
        walk(`f:metadata${SEP}f:${mk}`, mv, mk, out, scope);
      }
      continue;
    }
    walk(`f:${k}`, v, k, out, scope);
  }
  return out;
}

function walk(path: string, value: unknown, field: string, out: Map<string, string>, scope: FlattenScope): void {
  if (isPlainObject(value) && !(scope.keyedLists && ATOMIC_FIELDS.has(field))) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) {
      out.set(path, '{}');
      return;
    }
    if (MAP_FIELDS.has(field)) out.set(`${path}${SEP}.`, '');
    for (const k of keys) walk(`${path}${SEP}f:${k}`, value[k], k, out, scope);
    return;
  }
  if (Array.isArray(value) && value.length > 0 && scope.keyedLists) {
    if (isPrimitiveSet(field) && value.every((x) => typeof x === 'string')) {
      for (const x of value) out.set(`${path}${SEP}v:${JSON.stringify(x)}`, '');
      return;
    }
    const kind = listKind(field, value);
    if (kind && value.every((x) => isPlainObject(x) && x[kind.fieldKeys[0]!] !== undefined)) {
      for (const item of value as Array<Record<string, unknown>>) {
        const key: Record<string, unknown> = {};
        for (const f of [...kind.fieldKeys].sort()) {
          if (item[f] !== undefined) key[f] = item[f];
          else if (f === 'protocol') key[f] = 'TCP';
        }
        const itemPath = `${path}${SEP}k:${JSON.stringify(key)}`;
        out.set(`${itemPath}${SEP}.`, '');
        for (const [k, v] of Object.entries(item)) if (v !== undefined) walk(`${itemPath}${SEP}f:${k}`, v, k, out, scope);
      }
      return;
    }
  }
  out.set(path, stableJson(value));
}

/** FieldsV1 JSON ({"f:spec":{"f:replicas":{}}}) of a set of paths. */
export function toFieldsV1(paths: Iterable<string>): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const p of paths) {
    let node = root;
    for (const part of p.split(SEP)) node = node[part] ??= {};
  }
  return sortFields(root);
}

function sortFields(node: Record<string, any>): Record<string, unknown> {
  const keys = Object.keys(node).sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = sortFields(node[k]);
  return out;
}

/** Parsed field sets of managedFields entries (entries are never mutated, so they can be cached). */
const entrySets = new WeakMap<ManagedFieldsEntry, Set<string>>();

export function entryPaths(e: ManagedFieldsEntry): Set<string> {
  let set = entrySets.get(e);
  if (!set) {
    set = fromFieldsV1(e.fieldsV1);
    entrySets.set(e, set);
  }
  return set;
}

/** The set of paths a FieldsV1 value describes (the inverse of toFieldsV1). */
export function fromFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (node: unknown, prefix: string) => {
    if (!isPlainObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0) {
      if (prefix) out.add(prefix);
      return;
    }
    for (const k of keys) visit(node[k], prefix ? `${prefix}${SEP}${k}` : k);
  };
  visit(fields, '');
  return out;
}

export interface OwnershipChange {
  manager: string;
  operation: FieldsOperation;
  apiVersion: string;
  time: string;
  subresource?: string;
  /** For Apply: exactly the paths of the applied configuration. For Update: computed from what changed. */
  appliedPaths?: Set<string>;
}

/**
 * The managedFields after a write: the writer gains the fields it changed (Update) or exactly the fields it
 * applied (Apply); other managers lose the fields whose values changed; fields no longer present are dropped
 * from every set; empty entries disappear. Also answers which paths changed.
 */
export function updateManagedFields(
  entries: ManagedFieldsEntry[],
  before: Map<string, string> | null,
  after: Map<string, string>,
  change: OwnershipChange,
): { entries: ManagedFieldsEntry[]; changed: Set<string> } {
  const changed = new Set<string>();
  for (const [p, v] of after) if (!before || before.get(p) !== v) changed.add(p);
  if (before) for (const p of before.keys()) if (!after.has(p)) changed.add(p);

  const sub = change.subresource ?? '';
  const result: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const e of entries) {
    const isMine = e.manager === change.manager && e.operation === change.operation && (e.subresource ?? '') === sub;
    if (isMine) {
      mine = e;
      continue;
    }
    // Another writer's fields are only touched when they live in the part of the object this write covers.
    if (!sharesPart(e.subresource, sub)) {
      result.push(e);
      continue;
    }
    const set = entryPaths(e);
    let kept: Set<string> | null = null;
    for (const p of set) {
      if (!after.has(p) || changed.has(p)) {
        if (!kept) {
          kept = new Set<string>();
          for (const q of set) if (q === p) break;
          else kept.add(q);
        }
        continue;
      }
      kept?.add(p);
    }
    if (!kept) result.push(e);
    else if (kept.size > 0) result.push(makeEntry(e, kept));
  }

  let owned: Set<string>;
  if (change.operation === 'Apply' && change.appliedPaths) {
    owned = new Set<string>();
    for (const p of change.appliedPaths) if (after.has(p)) owned.add(p);
  } else {
    owned = new Set<string>();
    if (mine) for (const p of entryPaths(mine)) if (after.has(p)) owned.add(p);
    for (const p of changed) if (after.has(p)) owned.add(p);
  }
  if (owned.size > 0) {
    const base: ManagedFieldsEntry = {
      manager: change.manager,
      operation: change.operation,
      apiVersion: change.apiVersion,
      time: change.time,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
    };
    if (change.subresource) base.subresource = change.subresource;
    const prevSet = mine ? entryPaths(mine) : undefined;
    if (mine && prevSet && sameSet(prevSet, owned)) {
      const entry = { ...base, fieldsV1: mine.fieldsV1 };
      entrySets.set(entry, prevSet);
      result.push(entry);
    } else {
      result.push(makeEntry(base, owned));
    }
  }
  return { entries: result, changed };
}

function makeEntry(base: ManagedFieldsEntry, paths: Set<string>): ManagedFieldsEntry {
  const entry = { ...base, fieldsV1: toFieldsV1(paths) };
  entrySets.set(entry, paths);
  return entry;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** The main resource and its scale subresource both write spec fields; status writes live apart. */
function sharesPart(a: string | undefined, b: string): boolean {
  const part = (s: string | undefined) => (s === 'status' ? 'status' : 'main');
  return part(a) === part(b);
}

/** Removes one path from a copy of the object (server-side apply dropping a field its applier no longer sets). */
export function removePath(obj: KubeObject, path: string): void {
  const parts = path.split(SEP).filter((p) => p !== '.');
  const rec = (node: any, i: number): void => {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part.startsWith('f:') && isPlainObject(node)) {
      const k = part.slice(2);
      if (last) delete node[k];
      else if (node[k] !== undefined) {
        rec(node[k], i + 1);
        if (isPlainObject(node[k]) && Object.keys(node[k]).length === 0 && k !== 'metadata') delete node[k];
        if (Array.isArray(node[k]) && node[k].length === 0) delete node[k];
      }
    } else if (part.startsWith('k:') && Array.isArray(node)) {
      const key = JSON.parse(part.slice(2)) as Record<string, unknown>;
      const idx = node.findIndex((x) => isPlainObject(x) && Object.entries(key).every(([kk, kv]) => (x[kk] ?? (kk === 'protocol' ? 'TCP' : undefined)) === kv));
      if (idx < 0) return;
      if (last) node.splice(idx, 1);
      else rec(node[idx], i + 1);
    } else if (part.startsWith('v:') && Array.isArray(node) && last) {
      const v = JSON.parse(part.slice(2));
      const idx = node.indexOf(v);
      if (idx >= 0) node.splice(idx, 1);
    }
  };
  if (parts.length > 0) rec(obj, 0);
}
