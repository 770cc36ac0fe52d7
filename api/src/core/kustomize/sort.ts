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

interface SortKey {
  rank: number;
  gvk: string;
  ns: string;
  name: string;
}

function keyer(opts: SortOptions): (r: Res) => SortKey {
  const first = opts.orderFirst ?? ORDER_FIRST;
  const last = opts.orderLast ?? ORDER_LAST;
  const rank = (kind: string) => {
    const f = first.indexOf(kind);
    if (f >= 0) return f - first.length - 1;
    const l = last.indexOf(kind);
    return l >= 0 ? 1 + l : 0;
  };
  return (r) => ({ rank: rank(kindOf(r)), gvk: gvkString(r), ns: namespaceOf(r), name: nameOf(r) });
}

function compareKeys(a: SortKey, b: SortKey): number {
  return a.rank - b.rank || cmp(a.gvk, b.gvk) || cmp(a.ns, b.ns) || cmp(a.name, b.name);
}

export function sortResources(list: Res[], opts: SortOptions): Res[] {
  if (opts.order === 'fifo') return list.slice();
  const key = keyer(opts);
  const keyed = list.map((r) => ({ r, k: key(r) }));
  keyed.sort((a, b) => compareKeys(a.k, b.k));
  return keyed.map((k) => k.r);
}

/**
 * The order sortResources gives `list` (as indexes into it), from `order`, the order of a list that
 * differed only at the indexes `changed`: those are taken out and put back where they sort. Equal
 * keys keep the list's order, as the stable sort does.
 */
export function resortChanged(order: readonly number[], list: Res[], changed: readonly number[], opts: SortOptions): number[] {
  if (opts.order === 'fifo') return list.map((_, i) => i);
  const key = keyer(opts);
  const drop = new Set(changed);
  const out = order.filter((i) => !drop.has(i));
  for (const c of changed) {
    const kc = key(list[c]!);
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = out[mid]!;
      if ((compareKeys(key(list[m]!), kc) || m - c) < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, c);
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
