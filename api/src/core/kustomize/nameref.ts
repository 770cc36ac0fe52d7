import { splitPath, visitPath } from './fieldspec';
import {
  currentId,
  effectiveNamespace,
  groupOf,
  isObj,
  kindOf,
  nameOf,
  namespaceOf,
  originalId,
  resIsClusterScoped,
  type Obj,
  type Res,
} from './resource';

/**
 * Name reference fix-ups: after prefixes, suffixes and hash suffixes changed
 * names, every field that names another object of the build is pointed at its
 * new name. The table lists what kustomize (v5) fixes, and nothing else — it
 * has gaps (ReplicationControllers keep ConfigMap names, ReplicaSets keep
 * ServiceAccount names, ephemeral containers and CSI secret refs are left
 * alone), and matching it is the point.
 */
interface Referrer {
  kinds: readonly string[];
  path: string;
}
interface Rule {
  kind: string;
  group?: string;
  referrers: Referrer[];
}

const POD_TEMPLATE_KINDS = ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job'] as const;
const SPEC_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'ReplicationController'] as const;

/** Pod-spec relative paths at every place a pod spec lives, for the given workload kinds. */
function podPaths(rel: readonly string[], opts: { templateKinds: readonly string[]; podTemplate: boolean }): Referrer[] {
  const out: Referrer[] = [];
  for (const p of rel) {
    out.push({ kinds: ['Pod'], path: `spec/${p}` });
    out.push({ kinds: opts.templateKinds, path: `spec/template/spec/${p}` });
    out.push({ kinds: ['CronJob'], path: `spec/jobTemplate/spec/template/spec/${p}` });
    if (opts.podTemplate) out.push({ kinds: ['PodTemplate'], path: `template/spec/${p}` });
  }
  return out;
}

const CONFIG_SOURCES = { templateKinds: POD_TEMPLATE_KINDS, podTemplate: true };
const POD_FIELDS = { templateKinds: SPEC_KINDS, podTemplate: false };

const RULES: Rule[] = [
  {
    kind: 'ConfigMap',
    group: '',
    referrers: [
      ...podPaths(
        [
          'volumes/configMap/name',
          'volumes/projected/sources/configMap/name',
          'containers/env/valueFrom/configMapKeyRef/name',
          'initContainers/env/valueFrom/configMapKeyRef/name',
          'containers/envFrom/configMapRef/name',
          'initContainers/envFrom/configMapRef/name',
        ],
        CONFIG_SOURCES,
      ),
      { kinds: ['Role', 'ClusterRole'], path: 'rules/resourceNames' },
    ],
  },
  {
    kind: 'Secret',
    group: '',
    referrers: [
      ...podPaths(
        [
          'volumes/secret/secretName',
          'volumes/projected/sources/secret/name',
          'containers/env/valueFrom/secretKeyRef/name',
          'initContainers/env/valueFrom/secretKeyRef/name',
          'containers/envFrom/secretRef/name',
          'initContainers/envFrom/secretRef/name',
          'imagePullSecrets/name',
        ],
        CONFIG_SOURCES,
      ),
      { kinds: ['ServiceAccount'], path: 'imagePullSecrets/name' },
      { kinds: ['Ingress'], path: 'spec/tls/secretName' },
      { kinds: ['PersistentVolume'], path: 'spec/azureFile/secretName' },
      { kinds: ['Role', 'ClusterRole'], path: 'rules/resourceNames' },
    ],
  },
  {
    kind: 'Service',
    group: '',
    referrers: [
      { kinds: ['StatefulSet'], path: 'spec/serviceName' },
      { kinds: ['Ingress'], path: 'spec/rules/http/paths/backend/serviceName' },
      { kinds: ['Ingress'], path: 'spec/backend/serviceName' },
      { kinds: ['Ingress'], path: 'spec/rules/http/paths/backend/service/name' },
      { kinds: ['Ingress'], path: 'spec/defaultBackend/service/name' },
      { kinds: ['APIService'], path: 'spec/service' },
      { kinds: ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'], path: 'webhooks/clientConfig/service' },
    ],
  },
  {
    kind: 'ServiceAccount',
    group: '',
    referrers: [
      { kinds: ['RoleBinding', 'ClusterRoleBinding'], path: 'subjects' },
      ...podPaths(['serviceAccountName'], POD_FIELDS),
    ],
  },
  { kind: 'Role', group: 'rbac.authorization.k8s.io', referrers: [{ kinds: ['RoleBinding'], path: 'roleRef/name' }] },
  {
    kind: 'ClusterRole',
    group: 'rbac.authorization.k8s.io',
    referrers: [{ kinds: ['RoleBinding', 'ClusterRoleBinding'], path: 'roleRef/name' }],
  },
  {
    kind: 'PersistentVolumeClaim',
    group: '',
    referrers: podPaths(['volumes/persistentVolumeClaim/claimName'], POD_FIELDS),
  },
  {
    kind: 'PersistentVolume',
    group: '',
    referrers: [
      { kinds: ['PersistentVolumeClaim'], path: 'spec/volumeName' },
      { kinds: ['ClusterRole'], path: 'rules/resourceNames' },
    ],
  },
  {
    kind: 'StorageClass',
    referrers: [
      { kinds: ['PersistentVolume', 'PersistentVolumeClaim'], path: 'spec/storageClassName' },
      { kinds: ['StatefulSet'], path: 'spec/volumeClaimTemplates/spec/storageClassName' },
    ],
  },
  { kind: 'PriorityClass', referrers: podPaths(['priorityClassName'], POD_FIELDS) },
  ...['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController'].map((kind) => ({
    kind,
    referrers: [{ kinds: ['HorizontalPodAutoscaler'], path: 'spec/scaleTargetRef/name' }],
  })),
];

/** Kinds whose renames other objects follow (only renamed objects of these kinds can change a reference). */
export const NAME_REF_KINDS: ReadonlySet<string> = new Set(RULES.map((r) => r.kind));

export interface NameRefProblem {
  file: string;
  message: string;
}

function samePrefixesSuffixes(a: Res, b: Res): boolean {
  const eq = (x: string[], y: string[]) => x.length === 0 || y.length === 0 || (x.length === y.length && x.every((v, i) => v === y[i]));
  return eq(a.prefixes, b.prefixes) && eq(a.suffixes, b.suffixes);
}

/** Points references at renamed objects. Ambiguous references are left alone and reported. */
export function fixNameReferences(list: Res[], problems: NameRefProblem[], only?: ReadonlySet<Res>): void {
  // Only renamed objects can be referred to by an old name.
  const renamed = list.filter((r) => r.prev.length > 0);
  if (renamed.length === 0) return;
  const byKind = new Map<string, Res[]>();
  for (const r of renamed) {
    const k = kindOf(r);
    let l = byKind.get(k);
    if (!l) byKind.set(k, (l = []));
    l.push(r);
  }
  const referrersByKind = new Map<string, Res[]>();
  for (const r of list) {
    // `only`: fix the references of these objects (the others are unchanged since an earlier run); every object is a candidate.
    if (only !== undefined && !only.has(r)) continue;
    const k = kindOf(r);
    let l = referrersByKind.get(k);
    if (!l) referrersByKind.set(k, (l = []));
    l.push(r);
  }
  for (const rule of RULES) {
    const ofKind = byKind.get(rule.kind);
    if (ofKind === undefined) continue;
    const candidates = rule.group === undefined ? ofKind : ofKind.filter((c) => groupOf(c) === rule.group);
    if (candidates.length === 0) continue;
    for (const ref of rule.referrers) {
      for (const kind of ref.kinds) {
        const referrers = referrersByKind.get(kind);
        if (referrers === undefined) continue;
        const parts = splitPath(ref.path);
        for (const referrer of referrers) {
          visitPath(referrer.obj, parts, false, (parent, key) => {
            fixField(parent, key, rule, candidates, referrer, problems);
          });
        }
      }
    }
  }
}

function fixField(parent: Obj, key: string, rule: Rule, candidates: Res[], referrer: Res, problems: NameRefProblem[]): void {
  const value = parent[key];
  if (typeof value === 'string') {
    if (key === 'name' && isObj(parent) && 'kind' in parent && referrer.obj.roleRef === parent && parent.kind !== rule.kind) return;
    const found = resolve(value, undefined, rule, candidates, referrer, problems);
    if (found) parent[key] = nameOf(found);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((el, i) => {
      if (isObj(el)) {
        fixMapRef(el, rule, candidates, referrer, problems);
      } else if (typeof el === 'string') {
        const found = resolve(el, undefined, rule, candidates, referrer, problems);
        if (found) value[i] = nameOf(found);
      }
    });
    return;
  }
  if (isObj(value)) fixMapRef(value, rule, candidates, referrer, problems);
}

/** A reference written as {name, namespace} (RBAC subjects, webhook and APIService services). */
function fixMapRef(ref: Obj, rule: Rule, candidates: Res[], referrer: Res, problems: NameRefProblem[]): void {
  // kustomize does not look at a subject's kind: a User named like a renamed ServiceAccount is renamed too.
  if (typeof ref.name !== 'string') return;
  const ns = typeof ref.namespace === 'string' ? ref.namespace : undefined;
  const found = resolve(ref.name, ns, rule, candidates, referrer, problems);
  if (!found) return;
  ref.name = nameOf(found);
  const fns = namespaceOf(found);
  if (fns !== '') ref.namespace = fns;
}

function resolve(
  oldName: string,
  refNamespace: string | undefined,
  rule: Rule,
  candidates: Res[],
  referrer: Res,
  problems: NameRefProblem[],
): Res | undefined {
  let found = candidates.filter((c) => c.prev.some((id) => id.name === oldName));
  if (found.length === 0) return undefined;
  if (refNamespace !== undefined) {
    // A reference that names a namespace must name the object's original or current one (not one in between).
    const want = refNamespace === '' ? 'default' : refNamespace;
    found = found.filter((c) => {
      const org = effectiveNamespace(originalId(c));
      const cur = effectiveNamespace(currentId(c));
      return org === want || cur === want || cur === '';
    });
  } else if (!resIsClusterScoped(referrer)) {
    const ns = effectiveNamespace(currentId(referrer));
    found = found.filter((c) => resIsClusterScoped(c) || effectiveNamespace(currentId(c)) === ns);
  }
  if (found.length <= 1) return found[0];
  const narrowed = found.filter((c) => samePrefixesSuffixes(c, referrer));
  if (narrowed.length === 1) return narrowed[0];
  if (narrowed.length === 0) return undefined;
  const first = nameOf(narrowed[0]!);
  if (narrowed.every((c) => nameOf(c) === first)) return narrowed[0];
  problems.push({
    file: referrer.file,
    message: `${kindOf(referrer)} ${nameOf(referrer)} refers to ${rule.kind} ${JSON.stringify(oldName)}, which matches ${narrowed
      .map((c) => `${namespaceOf(c) || '(no namespace)'}/${nameOf(c)}`)
      .join(', ')}; left unchanged`,
  });
  return undefined;
}

/** Reference paths per referrer kind (every rule's paths that apply to objects of that kind). */
const PATHS_BY_REFERRER = new Map<string, string[][]>();
for (const rule of RULES) {
  for (const ref of rule.referrers) {
    for (const kind of ref.kinds) {
      let l = PATHS_BY_REFERRER.get(kind);
      if (!l) PATHS_BY_REFERRER.set(kind, (l = []));
      if (!l.some((p) => p.join('/') === ref.path)) l.push(splitPath(ref.path));
    }
  }
}

/**
 * Every name `r` mentions at a field that fixNameReferences may rewrite (a
 * superset: rules of other kinds at the same paths are included). Fixing `r`
 * depends only on the renamed objects one of whose earlier names is among
 * these, and on the objects those resolve to (whose current names a later
 * rule may see).
 */
export function referencedNames(r: Res): string[] {
  const paths = PATHS_BY_REFERRER.get(kindOf(r));
  if (paths === undefined) return [];
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (isObj(v) && typeof v.name === 'string') out.push(v.name);
  };
  for (const parts of paths) {
    visitPath(r.obj, parts, false, (parent, key) => {
      const v = parent[key];
      if (Array.isArray(v)) v.forEach(add);
      else add(v);
    });
  }
  return out;
}
