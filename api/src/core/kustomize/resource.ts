/** The renderer's unit of work: one object plus what kustomize remembers about it. */

export type Obj = Record<string, unknown>;

/** An identity the object had before a transformer renamed, re-kinded or moved it. */
export interface PrevId {
  group: string;
  version: string;
  kind: string;
  name: string;
  namespace: string;
}

export type GeneratorBehavior = 'create' | 'merge' | 'replace';

export interface Res {
  obj: Obj;
  /** Earlier identities, oldest first (kustomize's previousNames/Kinds/Namespaces). */
  prev: PrevId[];
  /** Name prefixes and suffixes applied so far, innermost first (used to tell same-named referrals apart). */
  prefixes: string[];
  suffixes: string[];
  /** Gets the content-hash name suffix when the build finishes. */
  needsHash: boolean;
  /** The file (resource file or kustomization) it came from, for problems. */
  file: string;
}

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function apiVersionOf(o: Obj): string {
  return str(o.apiVersion);
}

export function groupOfApiVersion(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function versionOfApiVersion(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? apiVersion : apiVersion.slice(i + 1);
}

export function metadataOf(o: Obj): Obj {
  let md = o.metadata;
  if (!isObj(md)) {
    md = {};
    o.metadata = md;
  }
  return md as Obj;
}

export function kindOf(r: Res): string {
  return str(r.obj.kind);
}

export function groupOf(r: Res): string {
  return groupOfApiVersion(apiVersionOf(r.obj));
}

export function versionOf(r: Res): string {
  return versionOfApiVersion(apiVersionOf(r.obj));
}

export function nameOf(r: Res): string {
  const md = r.obj.metadata;
  return isObj(md) ? str(md.name) : '';
}

export function namespaceOf(r: Res): string {
  const md = r.obj.metadata;
  return isObj(md) ? str(md.namespace) : '';
}

export function currentId(r: Res): PrevId {
  return { group: groupOf(r), version: versionOf(r), kind: kindOf(r), name: nameOf(r), namespace: namespaceOf(r) };
}

/** The original identity (first one recorded), like kustomize's OrgId. */
export function originalId(r: Res): PrevId {
  return r.prev.length > 0 ? r.prev[0]! : currentId(r);
}

/** Current identity followed by every previous one. */
export function allIds(r: Res): PrevId[] {
  return [currentId(r), ...r.prev];
}

/** Records the current identity before a transformer changes it. */
export function storePrevious(r: Res): void {
  r.prev.push(currentId(r));
}

export function setName(r: Res, name: string): void {
  metadataOf(r.obj).name = name;
}

export function setNamespace(r: Res, namespace: string): void {
  metadataOf(r.obj).namespace = namespace;
}

/**
 * Kinds kustomize knows as cluster-scoped (from the Kubernetes OpenAPI it
 * embeds: GA and beta versions of about 1.21). Anything else, including every
 * custom resource, is treated as namespaced, as kustomize does.
 */
const CLUSTER_SCOPED_LIST: string[] = (
  [
      ['v1', ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus']],
      ['admissionregistration.k8s.io/v1,v1beta1', ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']],
      ['apiextensions.k8s.io/v1,v1beta1', ['CustomResourceDefinition']],
      ['apiregistration.k8s.io/v1,v1beta1', ['APIService']],
      ['certificates.k8s.io/v1,v1beta1', ['CertificateSigningRequest']],
      ['flowcontrol.apiserver.k8s.io/v1beta1', ['FlowSchema', 'PriorityLevelConfiguration']],
      ['networking.k8s.io/v1,v1beta1', ['IngressClass']],
      ['node.k8s.io/v1,v1beta1', ['RuntimeClass']],
      ['policy/v1beta1', ['PodSecurityPolicy']],
      ['rbac.authorization.k8s.io/v1,v1beta1', ['ClusterRole', 'ClusterRoleBinding']],
      ['scheduling.k8s.io/v1,v1beta1', ['PriorityClass']],
      ['storage.k8s.io/v1,v1beta1', ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment']],
    ] as const
  ).flatMap(([gv, kinds]) => {
    const slash = gv.indexOf('/');
    const group = slash < 0 ? '' : gv.slice(0, slash);
    const versions = (slash < 0 ? gv : gv.slice(slash + 1)).split(',');
    return versions.flatMap((v) => kinds.map((k) => `${k}|${group}/${v}`));
  });

/** kind → group/versions in which it is cluster-scoped. */
const CLUSTER_SCOPED = new Map<string, Set<string>>();
for (const entry of CLUSTER_SCOPED_LIST) {
  const [kind, gv] = entry.split('|') as [string, string];
  let s = CLUSTER_SCOPED.get(kind);
  if (!s) CLUSTER_SCOPED.set(kind, (s = new Set()));
  s.add(gv);
}

export function isClusterScoped(group: string, version: string, kind: string): boolean {
  const gvs = CLUSTER_SCOPED.get(kind);
  return gvs !== undefined && gvs.has(`${group}/${version}`);
}

export function resIsClusterScoped(r: Res): boolean {
  return isClusterScoped(groupOf(r), versionOf(r), kindOf(r));
}

/** '' and 'default' are the same namespace for namespaced kinds; cluster-scoped kinds have none. */
export function effectiveNamespace(id: PrevId): string {
  if (isClusterScoped(id.group, id.version, id.kind)) return '';
  return id.namespace === '' ? 'default' : id.namespace;
}

export function sameId(a: PrevId, b: PrevId): boolean {
  return (
    a.group === b.group &&
    a.version === b.version &&
    a.kind === b.kind &&
    a.name === b.name &&
    effectiveNamespace(a) === effectiveNamespace(b)
  );
}

/** A string equal for exactly the identities sameId() considers equal. */
export function idKey(id: PrevId): string {
  return `${id.group}/${id.version}/${id.kind}/${effectiveNamespace(id)}/${id.name}`;
}

export function idString(id: PrevId): string {
  const gv = id.group ? `${id.group}/${id.version}` : id.version;
  return `${id.kind}.${gv || '~V'}/${id.name}${id.namespace ? `.${id.namespace}` : ''}`;
}

export function newRes(obj: Obj, file: string): Res {
  return { obj, prev: [], prefixes: [], suffixes: [], needsHash: false, file };
}

/** Deep copy of plain JSON-like data. */
export function clone<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(clone) as T;
  const out: Obj = {};
  for (const k of Object.keys(v as Obj)) out[k] = clone((v as Obj)[k]);
  return out as T;
}

/** Structural equality of JSON-like values (parsed YAML: no cycles, no special objects). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual((a as Obj)[k], (b as Obj)[k])) return false;
  }
  return true;
}

const sameStrings = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Two objects with equal content and equal build history (earlier identities, prefixes, suffixes, hash flag, origin). */
export function sameRes(a: Res, b: Res): boolean {
  if (a === b) return true;
  return (
    a.needsHash === b.needsHash &&
    a.file === b.file &&
    sameStrings(a.prefixes, b.prefixes) &&
    sameStrings(a.suffixes, b.suffixes) &&
    a.prev.length === b.prev.length &&
    a.prev.every((p, i) => {
      const q = b.prev[i]!;
      return p.group === q.group && p.version === q.version && p.kind === q.kind && p.name === q.name && p.namespace === q.namespace;
    }) &&
    deepEqual(a.obj, b.obj)
  );
}
