import {
  ANNOTATION_SPECS,
  METADATA_LABEL_SPEC,
  REPLICA_SPECS,
  SELECTOR_LABEL_SPECS,
  TEMPLATE_LABEL_SPECS,
  visitFieldSpecs,
  type FieldSpec,
} from './fieldspec';
import type { MatchTrace } from './memo';
import {
  allIds,
  groupOf,
  isObj,
  kindOf,
  metadataOf,
  nameOf,
  namespaceOf,
  resIsClusterScoped,
  setName,
  setNamespace,
  storePrevious,
  type Obj,
  type Res,
} from './resource';

/**
 * `namespace:` — every namespaced object moves to the namespace (cluster-scoped
 * ones keep none), a Namespace object is renamed to it, ServiceAccount
 * subjects named `default` in (Cluster)RoleBindings follow, and so do the
 * service namespaces of APIServices and CRD conversion webhooks.
 */
export function applyNamespace(list: Res[], ns: string): void {
  for (const r of list) {
    const kind = kindOf(r);
    const group = groupOf(r);
    if (kind === 'Namespace' && group === '') {
      if (nameOf(r) !== ns) {
        storePrevious(r);
        setName(r, ns);
      }
      continue;
    }
    if (!resIsClusterScoped(r)) {
      if (namespaceOf(r) !== ns) {
        storePrevious(r);
        setNamespace(r, ns);
      }
    }
    if ((kind === 'RoleBinding' || kind === 'ClusterRoleBinding') && Array.isArray(r.obj.subjects)) {
      for (const s of r.obj.subjects) {
        if (isObj(s) && s.kind === 'ServiceAccount' && s.name === 'default') s.namespace = ns;
      }
    }
    if (kind === 'APIService' && group === 'apiregistration.k8s.io') {
      const svc = (r.obj.spec as Obj | undefined)?.service;
      if (isObj(svc)) svc.namespace = ns;
    }
    if (kind === 'CustomResourceDefinition' && group === 'apiextensions.k8s.io') {
      const svc = ((((r.obj.spec as Obj | undefined)?.conversion as Obj | undefined)?.webhook as Obj | undefined)?.clientConfig as
        | Obj
        | undefined)?.service;
      if (isObj(svc)) svc.namespace = ns;
    }
  }
}

/** Kinds whose names kustomize never prefixes or suffixes. */
function keepsName(r: Res): boolean {
  const kind = kindOf(r);
  const group = groupOf(r);
  return (
    (kind === 'Namespace' && group === '') ||
    kind === 'CustomResourceDefinition' ||
    (kind === 'APIService' && group === 'apiregistration.k8s.io')
  );
}

export function applyPrefixSuffix(list: Res[], prefix: string, suffix: string): void {
  if (prefix === '' && suffix === '') return;
  for (const r of list) {
    if (keepsName(r)) continue;
    storePrevious(r);
    setName(r, `${prefix}${nameOf(r)}${suffix}`);
    if (prefix !== '') r.prefixes.push(prefix);
    if (suffix !== '') r.suffixes.push(suffix);
  }
}

/** commonLabels: metadata, selectors and templates. */
export function applyCommonLabels(list: Res[], labels: Record<string, string>): void {
  applyMapSpecs(list, labels, SELECTOR_LABEL_SPECS);
}

export interface LabelsEntry {
  pairs: Record<string, string>;
  includeSelectors: boolean;
  includeTemplates: boolean;
  fields: FieldSpec[];
}

/** One `labels:` entry. */
export function applyLabels(list: Res[], entry: LabelsEntry): void {
  let specs: FieldSpec[];
  if (entry.includeSelectors) specs = [...SELECTOR_LABEL_SPECS];
  else {
    specs = [METADATA_LABEL_SPEC];
    if (entry.includeTemplates) specs.push(...TEMPLATE_LABEL_SPECS);
  }
  specs.push(...entry.fields);
  applyMapSpecs(list, entry.pairs, specs);
}

export function applyAnnotations(list: Res[], annotations: Record<string, string>): void {
  applyMapSpecs(list, annotations, ANNOTATION_SPECS);
}

/**
 * Writes pairs into the map at each field spec. A spec with `create` makes
 * the map when it is missing; without it, only existing maps change. The same
 * map is written once even when several specs reach it.
 */
function applyMapSpecs(list: Res[], pairs: Record<string, string>, specs: readonly FieldSpec[]): void {
  if (Object.keys(pairs).length === 0) return;
  for (const r of list) {
    const done = new Set<unknown>();
    visitFieldSpecs(r, specs, (parent, key, fs) => {
      let m = parent[key];
      if (!isObj(m)) {
        if ((m !== undefined && m !== null) || fs.create !== true) return;
        m = {};
        parent[key] = m;
      }
      if (done.has(m)) return;
      done.add(m);
      Object.assign(m as Obj, pairs);
    });
  }
}

export interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** Splits an image reference into name, tag and digest; `:` and `@` only count after the registry part. */
export function splitImage(image: string): { name: string; tag: string; digest: string } {
  const slash = image.indexOf('/');
  const from = slash > 0 ? slash : 0;
  const at = image.indexOf('@', from);
  const colon = image.indexOf(':', from);
  if (at < 0 && colon < 0) return { name: image, tag: '', digest: '' };
  if (at >= 0 && (colon < 0 || at < colon)) return { name: image.slice(0, at), tag: '', digest: image.slice(at + 1) };
  if (at >= 0) return { name: image.slice(0, colon), tag: image.slice(colon + 1, at), digest: image.slice(at + 1) };
  return { name: image.slice(0, colon), tag: image.slice(colon + 1), digest: '' };
}

export function updateImage(image: string, rule: ImageRule): string | null {
  const parts = splitImage(image);
  if (parts.name !== rule.name) return null;
  const name = rule.newName || parts.name;
  let { tag, digest } = parts;
  if (rule.newTag || rule.digest) {
    tag = rule.newTag ?? '';
    digest = rule.digest ?? '';
  }
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/**
 * `images:` — every `containers`/`initContainers` list anywhere in any object.
 * Rules apply one after the other to each image (a rule can match what an
 * earlier one produced), which is what running them as separate passes does.
 */
export function applyImages(list: Res[], rules: ImageRule[]): void {
  for (const r of list) {
    forEachImage(r.obj, (c) => {
      let image = c.image as string;
      let name = splitImage(image).name;
      for (const rule of rules) {
        // Only a rule naming the image can change it; split again only after a change.
        if (rule.name !== name) continue;
        const updated = updateImage(image, rule);
        if (updated === null) continue;
        image = updated;
        name = splitImage(image).name;
      }
      c.image = image;
    });
  }
}

/** Every container and init container (in a `containers`/`initContainers` list anywhere) that has an image. */
function forEachImage(node: unknown, visit: (container: Obj) => void): void {
  if (Array.isArray(node)) {
    for (const el of node) if (el !== null && typeof el === 'object') forEachImage(el, visit);
    return;
  }
  if (!isObj(node)) return;
  for (const key in node) {
    const v = node[key];
    if (v === null || typeof v !== 'object') continue;
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(v)) {
      for (const c of v) if (isObj(c) && typeof c.image === 'string') visit(c);
    }
    forEachImage(v, visit);
  }
}

/** The names (without tag or digest) of every container and init container image in an object. */
export function imageNamesOf(obj: unknown): string[] {
  const out: string[] = [];
  forEachImage(obj, (c) => out.push(splitImage(c.image as string).name));
  return out;
}

/** The image rules that can change an image named one of `names` (following renames by earlier rules), in order. */
export function rulesFor(rules: readonly ImageRule[], names: readonly string[]): ImageRule[] {
  const reach = new Set(names);
  const out: ImageRule[] = [];
  for (const rule of rules) {
    if (!reach.has(rule.name)) continue;
    out.push(rule);
    if (rule.newName) reach.add(rule.newName);
  }
  return out;
}

/** `replicas:` — sets spec/replicas on Deployments, ReplicaSets, StatefulSets and ReplicationControllers with this (current or earlier) name. Returns false when none has it. */
export function applyReplicas(list: Res[], name: string, count: number, trace?: MatchTrace): boolean {
  const op = trace ? trace.next() : 0;
  const matched: Res[] = [];
  for (const r of list) {
    if (!allIds(r).some((id) => id.name === name)) continue;
    let hit = false;
    visitFieldSpecs(r, REPLICA_SPECS, (parent, key) => {
      hit = true;
      parent[key] = count;
    });
    if (hit) matched.push(r);
  }
  trace?.record(op, matched, null);
  return matched.length > 0 || (trace !== undefined && trace.outside(op) > 0);
}

/** Drops objects marked local-config and empty annotation maps, as kustomize's output does. */
export function finalizeMetadata(list: Res[]): Res[] {
  const out: Res[] = [];
  for (const r of list) {
    const md = metadataOf(r.obj);
    const ann = md.annotations;
    if (isObj(ann)) {
      if (ann['config.kubernetes.io/local-config'] === 'true') continue;
      if (Object.keys(ann).length === 0) delete md.annotations;
    }
    out.push(r);
  }
  return out;
}
