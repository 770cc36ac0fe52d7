import { YamlLoadError } from '../manifests';
import { applyJsonPatch, JsonPatchError, toJsonPatchOps, type JsonPatchOp } from './jsonpatch';
import {
  allIds,
  apiVersionOf,
  clone,
  effectiveNamespace,
  groupOf,
  groupOfApiVersion,
  isObj,
  kindOf,
  metadataOf,
  nameOf,
  namespaceOf,
  storePrevious,
  str,
  versionOfApiVersion,
  type Obj,
  type PrevId,
  type Res,
} from './resource';
import type { MatchTrace } from './memo';
import { targetMatches, type Target } from './selector';
import { applyStrategicMerge } from './smp';

export interface PatchContext {
  problem(field: string, message: string, code?: 'invalid' | 'not-applied' | 'conflict'): void;
}

export type ParsedPatch = { type: 'smp'; docs: Obj[] } | { type: 'json'; ops: JsonPatchOp[] };

/**
 * Tells a strategic merge patch from a JSON 6902 one the way kustomize does:
 * text starting with `[` must be a JSON list of operations; otherwise it is
 * YAML, a list of operations or one or more objects.
 */
export function parsePatchText(text: string, parse: (text: string) => unknown[]): ParsedPatch | string {
  if (text.trim() === '') return 'the patch is empty';
  if (text[0] === '[') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return 'unable to parse the patch: text starting with "[" must be a JSON list of operations';
    }
    const ops = toJsonPatchOps(doc);
    return typeof ops === 'string' ? ops : { type: 'json', ops };
  }
  let docs: unknown[];
  try {
    docs = parse(text).filter((d) => d !== null && d !== undefined);
  } catch (e) {
    return `unable to parse the patch: ${e instanceof YamlLoadError ? e.message : String(e)}`;
  }
  if (docs.length === 0) return 'the patch is empty';
  if (docs.length === 1 && Array.isArray(docs[0])) {
    const ops = toJsonPatchOps(docs[0]);
    return typeof ops === 'string' ? ops : { type: 'json', ops };
  }
  const maps: Obj[] = [];
  for (const d of docs) {
    if (!isObj(d)) return 'unable to parse the patch as a strategic merge patch (an object) or a JSON patch (a list of operations)';
    if (typeof d.kind !== 'string' || d.kind === '') return 'a strategic merge patch needs a kind (and apiVersion and metadata.name), even with a target';
    maps.push(d);
  }
  return { type: 'smp', docs: maps };
}

export function patchId(doc: Obj): PrevId {
  const apiVersion = apiVersionOf(doc);
  const md = isObj(doc.metadata) ? doc.metadata : {};
  return {
    group: groupOfApiVersion(apiVersion),
    version: versionOfApiVersion(apiVersion),
    kind: str(doc.kind),
    name: str(md.name),
    namespace: str(md.namespace),
  };
}

function describe(id: PrevId): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}${id.group ? ` (${id.group})` : ''}`;
}

/** Applies a strategic merge patch document; `$patch: delete` at the top removes the object. */
function applySmpDoc(list: Res[], r: Res, patch: Obj): void {
  if (patch.$patch === 'delete') {
    const i = list.indexOf(r);
    if (i >= 0) list.splice(i, 1);
    return;
  }
  const before = { name: nameOf(r), namespace: namespaceOf(r), kind: kindOf(r), apiVersion: apiVersionOf(r.obj) };
  const snapshot = r.prev.slice();
  applyStrategicMerge(r.obj, clone(patch), groupOf(r), kindOf(r));
  if (nameOf(r) !== before.name || namespaceOf(r) !== before.namespace || kindOf(r) !== before.kind) {
    // Record the identity the object had before the patch renamed it.
    r.prev = snapshot;
    const md = metadataOf(r.obj);
    const now = { name: md.name, namespace: md.namespace, kind: r.obj.kind, apiVersion: r.obj.apiVersion };
    md.name = before.name;
    if (before.namespace) md.namespace = before.namespace;
    else delete md.namespace;
    r.obj.kind = before.kind;
    r.obj.apiVersion = before.apiVersion;
    storePrevious(r);
    md.name = now.name;
    if (now.namespace !== undefined) md.namespace = now.namespace;
    r.obj.kind = now.kind;
    r.obj.apiVersion = now.apiVersion;
  }
}

/**
 * The objects a strategic merge patch without a target applies to: those with
 * its identity among their current or earlier ones. Such a patch never changes
 * an identity (it is pinned to its target's name and namespace).
 */
export function smpMatcher(id: PrevId): (r: Res) => boolean {
  const want = effectiveNamespace(id);
  const named = (r: Res): boolean => {
    if (nameOf(r) === id.name) return true;
    for (const p of r.prev) if (p.name === id.name) return true;
    return false;
  };
  return (r) =>
    // Cheap name check first (no allocation): this runs for every patch over every object.
    named(r) && allIds(r).some((x) => x.group === id.group && x.version === id.version && x.kind === id.kind && x.name === id.name && effectiveNamespace(x) === want);
}

/** A patch document's identity and matcher, once per document (a compiled plan applies it at every render). */
export function compileSmp(patch: Obj): { id: PrevId; applies: (r: Res) => boolean } {
  const id = patchId(patch);
  return { id, applies: smpMatcher(id) };
}

/** The (never changed) empty match list. */
const NO_MATCHES: Res[] = [];

/** A strategic merge patch without a target: it names its object (any of its current or earlier identities). */
export function applySmpByIdentity(
  list: Res[],
  patch: Obj,
  field: string,
  ctx: PatchContext,
  trace?: MatchTrace,
  compiled: { id: PrevId; applies: (r: Res) => boolean } = compileSmp(patch),
): void {
  const op = trace ? trace.next() : 0;
  const { id, applies } = compiled;
  if (!id.kind || !id.name) {
    ctx.problem(field, 'a strategic merge patch without a target needs apiVersion, kind and metadata.name', 'invalid');
    return;
  }
  // (A plain loop: this runs for every patch over the objects being transformed, usually one or two.)
  let matches: Res[] = NO_MATCHES;
  for (const r of list) {
    if (!applies(r)) continue;
    if (matches === NO_MATCHES) matches = [];
    matches.push(r);
  }
  const total = matches.length + (trace ? trace.outside(op) : 0);
  trace?.record(op, matches, total === 1);
  if (total !== 1) {
    ctx.problem(
      field,
      total === 0
        ? `no object matches the strategic merge patch for ${describe(id)}`
        : `${total} objects match the strategic merge patch for ${describe(id)}`,
      'not-applied',
    );
    return;
  }
  // The one match is an unchanged object outside this (partial) list.
  if (matches.length === 0) return;
  // The patch found its object by any of its names; it must not rename it back.
  const target = matches[0]!;
  const copy = clone(patch);
  const md = isObj(copy.metadata) ? copy.metadata : (copy.metadata = {});
  (md as Obj).name = nameOf(target);
  if (namespaceOf(target)) (md as Obj).namespace = namespaceOf(target);
  else delete (md as Obj).namespace;
  applySmpDoc(list, target, copy);
}

export interface PatchOptions {
  allowNameChange: boolean;
  allowKindChange: boolean;
}

/** A patch with a target: applied to every selected object (none selected is not an error, as in kustomize). */
export function applyTargetedPatch(list: Res[], patch: ParsedPatch, target: Target, options: PatchOptions, field: string, ctx: PatchContext, trace?: MatchTrace): void {
  const selected = list.filter((r) => targetMatches(target, r));
  for (const r of selected) {
    if (patch.type === 'json') {
      try {
        const out = applyJsonPatch(r.obj, patch.ops);
        const renamed = nameOf({ ...r, obj: out }) !== nameOf(r);
        if (renamed) storePrevious(r);
        for (const k of Object.keys(r.obj)) delete r.obj[k];
        Object.assign(r.obj, out);
      } catch (e) {
        if (!(e instanceof JsonPatchError)) throw e;
        trace?.taint(r);
        ctx.problem(field, `JSON patch does not apply to ${kindOf(r)} ${nameOf(r)}: ${e.message}`, 'not-applied');
      }
      continue;
    }
    for (const doc of patch.docs) {
      const copy = clone(doc);
      const md = isObj(copy.metadata) ? copy.metadata : (copy.metadata = {});
      if (!options.allowNameChange || typeof (md as Obj).name !== 'string') (md as Obj).name = nameOf(r);
      if (namespaceOf(r)) (md as Obj).namespace = namespaceOf(r);
      else delete (md as Obj).namespace;
      if (!options.allowKindChange || typeof copy.kind !== 'string') {
        copy.kind = r.obj.kind;
        copy.apiVersion = r.obj.apiVersion;
      }
      applySmpDoc(list, r, copy);
    }
  }
}

export function readPatchOptions(raw: unknown, field: string, ctx: PatchContext): PatchOptions {
  const out: PatchOptions = { allowNameChange: false, allowKindChange: false };
  if (raw === undefined || raw === null) return out;
  if (!isObj(raw)) {
    ctx.problem(field, 'must be a map', 'invalid');
    return out;
  }
  for (const [k, v] of Object.entries(raw)) {
    if ((k === 'allowNameChange' || k === 'allowKindChange') && typeof v === 'boolean') out[k] = v;
    else ctx.problem(`${field}.${k}`, `unknown or invalid patch option ${JSON.stringify(k)}`, 'invalid');
  }
  return out;
}

