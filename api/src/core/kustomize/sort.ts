import { groupOf, kindOf, nameOf, namespaceOf, versionOf, type Res } from './resource';

export interface SortOptions {
  order: 'legacy' | 'fifo';
  orderFirst?: string[];
  orderLast?: string[];
}

/** kustomize's legacy order: these kinds first, in this order… */
const ORDER_FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
/** …these last, everything else in between. */
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function gvkString(r: Res): string {
  return `${groupOf(r) || '~G'}_${versionOf(r) || '~V'}_${kindOf(r) || '~K'}`;
}

export function sortResources(list: Res[], opts: SortOptions): Res[] {
  if (opts.order === 'fifo') return list.slice();
  const first = opts.orderFirst ?? ORDER_FIRST;
  const last = opts.orderLast ?? ORDER_LAST;
  const rank = (kind: string) => {
    const f = first.indexOf(kind);
    if (f >= 0) return f - first.length - 1;
    const l = last.indexOf(kind);
    return l >= 0 ? 1 + l : 0;
  };
  const keyed = list.map((r) => ({ r, rank: rank(kindOf(r)), gvk: gvkString(r), ns: namespaceOf(r), name: nameOf(r) }));
  keyed.sort((a, b) => a.rank - b.rank || cmp(a.gvk, b.gvk) || cmp(a.ns, b.ns) || cmp(a.name, b.name));
  return keyed.map((k) => k.r);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
