import { groupOf, isObj, kindOf, versionOf, type Obj, type Res } from './resource';

/**
 * Where a transformer writes, as kustomize describes it: a slash path
 * (`spec/template/metadata/labels`; lists are walked through implicitly, `[]`
 * may mark them), limited to a group/version/kind when given.
 */
export interface FieldSpec {
  group?: string;
  version?: string;
  kind?: string;
  path: string;
  /** Create missing maps along the path (lists are never created). */
  create?: boolean;
}

export function fieldSpecApplies(fs: FieldSpec, r: Res): boolean {
  if (fs.kind && fs.kind !== kindOf(r)) return false;
  if (fs.group !== undefined && fs.group !== groupOf(r)) return false;
  if (fs.version && fs.version !== versionOf(r)) return false;
  return true;
}

const pathCache = new Map<string, string[]>();

/** Splits a field spec path; `\/` escapes a slash inside a key (annotation names). */
export function splitPath(path: string): string[] {
  let parts = pathCache.get(path);
  if (parts === undefined) {
    parts = [];
    let cur = '';
    for (let i = 0; i < path.length; i++) {
      const c = path[i]!;
      if (c === '\\' && path[i + 1] === '/') {
        cur += '/';
        i++;
      } else if (c === '/') {
        parts.push(cur);
        cur = '';
      } else {
        cur += c;
      }
    }
    parts.push(cur);
    parts = parts.filter((p) => p !== '').map((p) => (p.endsWith('[]') ? p.slice(0, -2) : p));
    pathCache.set(path, parts);
  }
  return parts;
}

/**
 * Calls `visit(parent, key)` for every place `path` reaches in `obj`: `parent`
 * is the map that holds (or, with `create`, will hold) the last key. Lists met
 * on the way are walked element by element.
 */
export function visitPath(obj: unknown, path: string[], create: boolean, visit: (parent: Obj, key: string) => void): void {
  walk(obj, path, 0, create, visit);
}

function walk(node: unknown, path: string[], i: number, create: boolean, visit: (parent: Obj, key: string) => void): void {
  if (Array.isArray(node)) {
    for (const el of node) walk(el, path, i, create, visit);
    return;
  }
  if (!isObj(node)) return;
  const key = path[i]!;
  if (i === path.length - 1) {
    visit(node, key);
    return;
  }
  let next = node[key];
  if (next === undefined || next === null) {
    if (!create) return;
    next = {};
    node[key] = next;
  }
  walk(next, path, i + 1, create, visit);
}

/** Applies `visit` at every field spec that fits the resource. */
export function visitFieldSpecs(r: Res, specs: readonly FieldSpec[], visit: (parent: Obj, key: string, fs: FieldSpec) => void): void {
  for (const fs of specs) {
    if (!fieldSpecApplies(fs, r)) continue;
    visitPath(r.obj, splitPath(fs.path), fs.create === true, (p, k) => visit(p, k, fs));
  }
}

const AFFINITY_SELECTORS = [
  'spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels',
];

/** commonLabels, and labels with includeSelectors: metadata, selectors and pod templates. */
export const SELECTOR_LABEL_SPECS: readonly FieldSpec[] = [
  { path: 'metadata/labels', create: true },
  { version: 'v1', kind: 'Service', path: 'spec/selector', create: true },
  { version: 'v1', kind: 'ReplicationController', path: 'spec/selector', create: true },
  { version: 'v1', kind: 'ReplicationController', path: 'spec/template/metadata/labels', create: true },
  { kind: 'Deployment', path: 'spec/selector/matchLabels', create: true },
  { kind: 'Deployment', path: 'spec/template/metadata/labels', create: true },
  ...AFFINITY_SELECTORS.map((path) => ({ group: 'apps', kind: 'Deployment', path })),
  { kind: 'ReplicaSet', path: 'spec/selector/matchLabels', create: true },
  { kind: 'ReplicaSet', path: 'spec/template/metadata/labels', create: true },
  { kind: 'DaemonSet', path: 'spec/selector/matchLabels', create: true },
  { kind: 'DaemonSet', path: 'spec/template/metadata/labels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/selector/matchLabels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/metadata/labels', create: true },
  ...AFFINITY_SELECTORS.map((path) => ({ group: 'apps', kind: 'StatefulSet', path })),
  { group: 'apps', kind: 'StatefulSet', path: 'spec/volumeClaimTemplates[]/metadata/labels', create: true },
  { group: 'batch', kind: 'Job', path: 'spec/selector/matchLabels' },
  { group: 'batch', kind: 'Job', path: 'spec/template/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/selector/matchLabels' },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/template/metadata/labels', create: true },
  { group: 'policy', kind: 'PodDisruptionBudget', path: 'spec/selector/matchLabels' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', path: 'spec/podSelector/matchLabels' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', path: 'spec/ingress/from/podSelector/matchLabels' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', path: 'spec/egress/to/podSelector/matchLabels' },
];

/** labels with includeTemplates (and without includeSelectors): pod templates, besides metadata. */
export const TEMPLATE_LABEL_SPECS: readonly FieldSpec[] = [
  { version: 'v1', kind: 'ReplicationController', path: 'spec/template/metadata/labels', create: true },
  { kind: 'Deployment', path: 'spec/template/metadata/labels', create: true },
  { kind: 'ReplicaSet', path: 'spec/template/metadata/labels', create: true },
  { kind: 'DaemonSet', path: 'spec/template/metadata/labels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/metadata/labels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/volumeClaimTemplates[]/metadata/labels', create: true },
  { group: 'batch', kind: 'Job', path: 'spec/template/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/template/metadata/labels', create: true },
];

export const METADATA_LABEL_SPEC: FieldSpec = { path: 'metadata/labels', create: true };

/** commonAnnotations: metadata and pod templates. */
export const ANNOTATION_SPECS: readonly FieldSpec[] = [
  { path: 'metadata/annotations', create: true },
  { version: 'v1', kind: 'ReplicationController', path: 'spec/template/metadata/annotations', create: true },
  { kind: 'Deployment', path: 'spec/template/metadata/annotations', create: true },
  { kind: 'ReplicaSet', path: 'spec/template/metadata/annotations', create: true },
  { kind: 'DaemonSet', path: 'spec/template/metadata/annotations', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/metadata/annotations', create: true },
  { group: 'batch', kind: 'Job', path: 'spec/template/metadata/annotations', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/metadata/annotations', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/template/metadata/annotations', create: true },
];

/** `replicas:` sets spec/replicas on these kinds only. */
export const REPLICA_SPECS: readonly FieldSpec[] = [
  { kind: 'Deployment', path: 'spec/replicas', create: true },
  { kind: 'ReplicationController', path: 'spec/replicas', create: true },
  { kind: 'ReplicaSet', path: 'spec/replicas', create: true },
  { kind: 'StatefulSet', path: 'spec/replicas', create: true },
];
