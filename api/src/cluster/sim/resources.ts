import type { KubeObject } from './types';

/** Where the scale subresource reads and writes replicas (as a CRD declares it). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** One servable resource (group, version, plural) with what discovery says about it. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Has a /status subresource: the main resource ignores status, /status changes only status. */
  status: boolean;
  scale?: ScaleSubresource;
  /** metadata.generation is kept and bumped on changes outside metadata and status. */
  generation: boolean;
  /** DELETE answers the deleted object rather than a Success Status. */
  returnsDeletedObject: boolean;
  /** Served from a CustomResourceDefinition (no strategic merge patch, lists are atomic, items keep kind in lists). */
  custom: boolean;
}

/** Storage is shared by all versions of a group's resource. */
export const storageKey = (group: string, plural: string) => `${group}/${plural}`;
export const apiVersionOf = (rt: Pick<ResourceType, 'group' | 'version'>) => (rt.group ? `${rt.group}/${rt.version}` : rt.version);

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NS_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const DEPLOYMENT_SCALE: ScaleSubresource = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};

interface BuiltinSpec {
  kind: string;
  plural: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  scale?: boolean;
  generation?: boolean;
  returnsDeletedObject?: boolean;
  verbs?: string[];
}

const BUILTINS: Array<{ group: string; version: string; kinds: BuiltinSpec[] }> = [
  {
    group: '',
    version: 'v1',
    kinds: [
      { kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], status: true, returnsDeletedObject: true, verbs: NS_VERBS },
      { kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] },
      { kind: 'Secret', plural: 'secrets' },
      { kind: 'Service', plural: 'services', shortNames: ['svc'], categories: ['all'], status: true, returnsDeletedObject: true, verbs: NS_VERBS },
      { kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'] },
      { kind: 'Pod', plural: 'pods', shortNames: ['po'], categories: ['all'], status: true, returnsDeletedObject: true },
      { kind: 'Event', plural: 'events', shortNames: ['ev'] },
      { kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'] },
      { kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', shortNames: ['pvc'], status: true },
      { kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], status: true },
      { kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], status: true },
      { kind: 'ResourceQuota', plural: 'resourcequotas', shortNames: ['quota'], status: true },
      { kind: 'LimitRange', plural: 'limitranges', shortNames: ['limits'] },
    ],
  },
  {
    group: 'apps',
    version: 'v1',
    kinds: [
      { kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], categories: ['all'], status: true, scale: true, generation: true },
      { kind: 'StatefulSet', plural: 'statefulsets', shortNames: ['sts'], categories: ['all'], status: true, scale: true, generation: true },
      { kind: 'DaemonSet', plural: 'daemonsets', shortNames: ['ds'], categories: ['all'], status: true, generation: true },
      { kind: 'ReplicaSet', plural: 'replicasets', shortNames: ['rs'], categories: ['all'], status: true, scale: true, generation: true },
      { kind: 'ControllerRevision', plural: 'controllerrevisions' },
    ],
  },
  { group: 'autoscaling', version: 'v2', kinds: [{ kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', shortNames: ['hpa'], categories: ['all'], status: true }] },
  {
    group: 'batch',
    version: 'v1',
    kinds: [
      { kind: 'Job', plural: 'jobs', categories: ['all'], status: true, generation: true },
      { kind: 'CronJob', plural: 'cronjobs', shortNames: ['cj'], categories: ['all'], status: true, generation: true },
    ],
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kinds: [
      { kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], status: true, generation: true },
      { kind: 'NetworkPolicy', plural: 'networkpolicies', shortNames: ['netpol'], generation: true },
      { kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
    ],
  },
  { group: 'policy', version: 'v1', kinds: [{ kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', shortNames: ['pdb'], status: true, generation: true }] },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kinds: [
      { kind: 'Role', plural: 'roles' },
      { kind: 'RoleBinding', plural: 'rolebindings' },
      { kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
      { kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
    ],
  },
  { group: 'coordination.k8s.io', version: 'v1', kinds: [{ kind: 'Lease', plural: 'leases' }] },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kinds: [
      {
        kind: 'CustomResourceDefinition',
        plural: 'customresourcedefinitions',
        namespaced: false,
        shortNames: ['crd', 'crds'],
        categories: ['api-extensions'],
        status: true,
        generation: true,
        returnsDeletedObject: true,
      },
    ],
  },
];

function builtin(group: string, version: string, s: BuiltinSpec): ResourceType {
  return {
    group,
    version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced ?? true,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    status: s.status ?? false,
    scale: s.scale ? DEPLOYMENT_SCALE : undefined,
    generation: s.generation ?? false,
    returnsDeletedObject: s.returnsDeletedObject ?? false,
    custom: false,
  };
}

/** kube-aware version order: GA before beta before alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] | null => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return null;
    const stage = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra && rb) {
    if (ra[0] !== rb[0]) return rb[0] - ra[0];
    if (ra[1] !== rb[1]) return rb[1] - ra[1];
    return rb[2] - ra[2];
  }
  if (ra) return -1;
  if (rb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A CRD's names and versions reduced to what serving needs. */
export interface CrdServing {
  name: string;
  group: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  versions: Array<{ name: string; served: boolean; storage: boolean; status: boolean; scale?: ScaleSubresource }>;
}

/** Reads the parts of a CustomResourceDefinition (apiextensions.k8s.io/v1) that serving needs. */
export function crdServing(crd: KubeObject): CrdServing {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const kind = String(names.kind ?? '');
  return {
    name: String(crd.metadata?.name ?? ''),
    group: String(spec.group ?? ''),
    kind,
    listKind: String(names.listKind ?? `${kind}List`),
    plural: String(names.plural ?? ''),
    singular: String(names.singular ?? kind.toLowerCase()),
    namespaced: spec.scope !== 'Cluster',
    shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : [],
    categories: Array.isArray(names.categories) ? names.categories.map(String) : [],
    versions: (Array.isArray(spec.versions) ? spec.versions : []).map((v: KubeObject) => ({
      name: String(v.name),
      served: v.served !== false,
      storage: v.storage === true,
      status: v.subresources?.status !== undefined && v.subresources?.status !== null,
      scale: v.subresources?.scale
        ? {
            specReplicasPath: String(v.subresources.scale.specReplicasPath ?? '.spec.replicas'),
            statusReplicasPath: String(v.subresources.scale.statusReplicasPath ?? '.status.replicas'),
            labelSelectorPath: v.subresources.scale.labelSelectorPath ? String(v.subresources.scale.labelSelectorPath) : undefined,
          }
        : undefined,
    })),
  };
}

/**
 * What the simulated cluster serves: the built-in kinds plus one entry per served version of each
 * established CRD. Lookups are by (group, version, plural) for URLs and by (apiVersion, kind) for the driver.
 */
export class ResourceRegistry {
  private byPath = new Map<string, ResourceType>();
  /** group → versions in discovery order. */
  private groups = new Map<string, string[]>();
  private crdOwned = new Map<string, ResourceType[]>();

  constructor() {
    for (const g of BUILTINS) for (const k of g.kinds) this.add(builtin(g.group, g.version, k));
  }

  private add(rt: ResourceType): void {
    this.byPath.set(`${rt.group}/${rt.version}/${rt.plural}`, rt);
    const versions = this.groups.get(rt.group) ?? [];
    if (!versions.includes(rt.version)) {
      versions.push(rt.version);
      versions.sort(compareVersions);
    }
    this.groups.set(rt.group, versions);
  }

  private removeType(rt: ResourceType): void {
    this.byPath.delete(`${rt.group}/${rt.version}/${rt.plural}`);
    const stillServed = [...this.byPath.values()].some((o) => o.group === rt.group && o.version === rt.version);
    if (!stillServed) {
      const versions = (this.groups.get(rt.group) ?? []).filter((v) => v !== rt.version);
      if (versions.length === 0) this.groups.delete(rt.group);
      else this.groups.set(rt.group, versions);
    }
  }

  /** Serves (or re-serves, after an update) the versions a CRD declares. */
  registerCrd(crd: CrdServing): ResourceType[] {
    this.unregisterCrd(crd.name);
    const types: ResourceType[] = [];
    for (const v of crd.versions) {
      if (!v.served) continue;
      const rt: ResourceType = {
        group: crd.group,
        version: v.name,
        kind: crd.kind,
        listKind: crd.listKind,
        plural: crd.plural,
        singular: crd.singular,
        namespaced: crd.namespaced,
        shortNames: crd.shortNames,
        categories: crd.categories,
        verbs: ALL_VERBS,
        status: v.status,
        scale: v.scale,
        generation: true,
        returnsDeletedObject: true,
        custom: true,
      };
      this.add(rt);
      types.push(rt);
    }
    this.crdOwned.set(crd.name, types);
    return types;
  }

  unregisterCrd(crdName: string): void {
    for (const rt of this.crdOwned.get(crdName) ?? []) this.removeType(rt);
    this.crdOwned.delete(crdName);
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    for (const rt of this.byPath.values()) if (rt.group === group && rt.version === version && rt.kind === kind) return rt;
    return undefined;
  }

  /** Finds a resource by plural, singular, kind or short name within a group (any version, preferred first). */
  resolve(group: string, name: string): ResourceType | undefined {
    const lower = name.toLowerCase();
    for (const version of this.groups.get(group) ?? []) {
      for (const rt of this.resourcesOf(group, version)) {
        if (rt.plural === lower || rt.singular === lower || rt.kind.toLowerCase() === lower || rt.shortNames.includes(lower)) return rt;
      }
    }
    return undefined;
  }

  hasGroupVersion(group: string, version: string): boolean {
    return (this.groups.get(group) ?? []).includes(version);
  }

  /** Groups other than the core group, in registration order, each with versions preferred first. */
  namedGroups(): Array<{ name: string; versions: string[] }> {
    return [...this.groups.entries()].filter(([g]) => g !== '').map(([name, versions]) => ({ name, versions: [...versions] }));
  }

  resourcesOf(group: string, version: string): ResourceType[] {
    const out: ResourceType[] = [];
    for (const rt of this.byPath.values()) if (rt.group === group && rt.version === version) out.push(rt);
    return out;
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }
}

/** The APIResource entries of an APIResourceList, subresources included. */
export function discoveryResources(types: ResourceType[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const rt of types) {
    const r: KubeObject = {
      name: rt.plural,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: rt.verbs,
    };
    if (rt.shortNames.length) r.shortNames = rt.shortNames;
    if (rt.categories.length) r.categories = rt.categories;
    out.push(r);
    if (rt.scale) {
      out.push({ name: `${rt.plural}/scale`, singularName: '', namespaced: rt.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
    if (rt.status) {
      out.push({ name: `${rt.plural}/status`, singularName: '', namespaced: rt.namespaced, kind: rt.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return out;
}
