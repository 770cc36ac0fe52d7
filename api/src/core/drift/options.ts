/**
 * Compiled comparison options: manager classification, ignore rules and
 * ownership rules, compiled once per options object (globs included) so a
 * comparison does no regex work of its own.
 */
import picomatch from 'picomatch';
import type { ObjectIdentity } from '../identity';
import { parsePointer } from './pointer';
import type { MarkerKeys } from './schema';
import type { CompareOptions, IgnoreRule, ManagerClass, OwnershipRule } from './types';
import { isObj } from './normalizers';

/**
 * Managers that are people (or tools people drive by hand): every kubectl
 * subcommand (`kubectl-edit`, `kubectl-patch`, `kubectl-scale`,
 * `kubectl-client-side-apply` unless it is the applier, `kubectl` for
 * server-side apply), browsers (`Mozilla/...`: web consoles), and desktop
 * clients.
 */
export const BUILTIN_HUMAN_MANAGERS: readonly string[] = [
  'kubectl', 'kubectl-*', 'Mozilla*', 'k9s', 'Lens', 'OpenLens', 'headlamp', 'kubernetes-dashboard', 'dashboard*',
];

/**
 * Managers known to be controllers. A Git-set value they own live is not
 * drift (HPA replicas); live-only fields they own never are. Managers that
 * are neither configured nor listed here are treated as controllers for
 * live-only fields (conservative: an unknown operator adding its own fields
 * is not a person editing the object), but a value Git sets that they
 * changed is still drift.
 */
export const BUILTIN_CONTROLLER_MANAGERS: readonly string[] = [
  'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-apiserver', 'horizontal-pod-autoscaler',
  'clusterrole-aggregation-controller', 'vpa-updater', 'vpa-recommender', 'vpa-admission-controller',
  'cluster-autoscaler',
];

/** Argo CD (annotation or label tracking) and Flux (kustomize-controller labels), any value. */
export const DEFAULT_OWNERSHIP_RULES: readonly OwnershipRule[] = [
  { annotations: { 'argocd.argoproj.io/tracking-id': '*' } },
  { labels: { 'app.kubernetes.io/instance': '*' } },
  { labels: { 'kustomize.toolkit.fluxcd.io/name': '*', 'kustomize.toolkit.fluxcd.io/namespace': '*' } },
];

/** Ownership rules for one Argo CD application (tracking id `<app>:...` or instance label `<app>`). */
export function argoCdOwnership(app: string): OwnershipRule[] {
  return [
    { annotations: { 'argocd.argoproj.io/tracking-id': `${app}:*` } },
    { labels: { 'app.kubernetes.io/instance': app } },
  ];
}

/** Ownership rule for one Flux Kustomization. */
export function fluxOwnership(name: string, namespace = 'flux-system'): OwnershipRule[] {
  return [{ labels: { 'kustomize.toolkit.fluxcd.io/name': name, 'kustomize.toolkit.fluxcd.io/namespace': namespace } }];
}

/** Tool-injected keys that are never drift when only live has them, whatever the rules say. */
const TOOL_MARKER_LABELS = ['kustomize.toolkit.fluxcd.io/name', 'kustomize.toolkit.fluxcd.io/namespace'];
const TOOL_MARKER_ANNOTATIONS = ['argocd.argoproj.io/tracking-id'];

type Matcher = (s: string) => boolean;

const globCache = new Map<string, Matcher>();
/** Glob where `*` also crosses `/` (manager user agents, tracking ids). */
export function glob(pattern: string): Matcher {
  let m = globCache.get(pattern);
  if (m === undefined) {
    if (pattern === '*') m = () => true;
    else if (!/[*?[\]{}()!+@]/.test(pattern)) m = (s) => s === pattern;
    else m = picomatch(pattern, { bash: true, dot: true });
    globCache.set(pattern, m);
  }
  return m;
}

export interface CompiledIgnore {
  readonly matches: (id: ObjectIdentity) => boolean;
  /** Pointer segments; null = no pointer (manager rule or whole object). */
  readonly segs: readonly string[] | null;
  readonly manager: Matcher | null;
}

export interface CompiledOwnership {
  readonly labels: readonly [string, Matcher][];
  readonly annotations: readonly [string, Matcher][];
}

export interface CompiledOptions {
  readonly source: CompareOptions;
  classify(manager: string): ManagerClass;
  readonly ignore: readonly CompiledIgnore[];
  readonly ownership: readonly CompiledOwnership[];
  readonly markers: MarkerKeys;
  /** Identifies `markers` for schema caching. */
  readonly markersId: string;
  readonly trace: boolean;
}

const compiled = new WeakMap<CompareOptions, CompiledOptions>();

/** Compiles (and caches per options object) the options of compareObject. */
export function compileCompareOptions(opts: CompareOptions): CompiledOptions {
  let c = compiled.get(opts);
  if (c === undefined) {
    c = compile(opts);
    compiled.set(opts, c);
  }
  return c;
}

function anyOf(patterns: readonly string[] | undefined): Matcher {
  if (!patterns || patterns.length === 0) return () => false;
  const ms = patterns.map(glob);
  return (s) => ms.some((m) => m(s));
}

function compile(opts: CompareOptions): CompiledOptions {
  const isApplier = anyOf(opts.applierManagers);
  const isHuman = anyOf(opts.humanManagers);
  const isController = anyOf(opts.controllerManagers);
  const isBuiltinHuman = anyOf(BUILTIN_HUMAN_MANAGERS);
  const isBuiltinController = anyOf(BUILTIN_CONTROLLER_MANAGERS);
  const classes = new Map<string, ManagerClass>();
  const classify = (m: string): ManagerClass => {
    let k = classes.get(m);
    if (k === undefined) {
      if (isApplier(m)) k = 'applier';
      else if (isHuman(m)) k = 'human';
      else if (isController(m)) k = 'controller';
      else if (isBuiltinHuman(m)) k = 'human';
      else if (isBuiltinController(m)) k = 'controller';
      else k = 'unknown';
      classes.set(m, k);
    }
    return k;
  };

  const rules = opts.ownershipLabels ?? DEFAULT_OWNERSHIP_RULES;
  const ownership = rules.map(compileOwnership);
  const labels = new Set(TOOL_MARKER_LABELS);
  const annotations = new Set(TOOL_MARKER_ANNOTATIONS);
  for (const r of rules) {
    for (const k of Object.keys(r.labels ?? {})) labels.add(k);
    for (const k of Object.keys(r.annotations ?? {})) annotations.add(k);
  }
  const markersId = JSON.stringify([[...labels].sort(), [...annotations].sort()]);

  return {
    source: opts,
    classify,
    ignore: (opts.ignore ?? []).map(compileIgnore),
    ownership,
    markers: { labels, annotations },
    markersId,
    trace: opts.trace === true,
  };
}

function compileIgnore(rule: IgnoreRule): CompiledIgnore {
  const sel: [keyof ObjectIdentity, Matcher][] = [];
  for (const k of ['group', 'kind', 'namespace', 'name'] as const) {
    const p = rule[k];
    if (p !== undefined) sel.push([k, glob(p)]);
  }
  const pointer = rule.pointer;
  const segs = pointer === undefined || pointer === '' || pointer === '/' ? null : parsePointer(pointer);
  return {
    matches: (id) => sel.every(([k, m]) => m(id[k])),
    segs,
    manager: rule.manager !== undefined ? glob(rule.manager) : null,
  };
}

function compileOwnership(rule: OwnershipRule): CompiledOwnership {
  return {
    labels: Object.entries(rule.labels ?? {}).map(([k, v]) => [k, glob(v)] as [string, Matcher]),
    annotations: Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, glob(v)] as [string, Matcher]),
  };
}

/** True when the live object carries one of the ownership rules' marks. */
export function isOwnedByEnvironment(body: unknown, c: CompiledOptions): boolean {
  const md = isObj(body) && isObj(body.metadata) ? body.metadata : undefined;
  if (!md) return false;
  const labels = isObj(md.labels) ? md.labels : {};
  const annotations = isObj(md.annotations) ? md.annotations : {};
  const has = (map: Record<string, unknown>, entries: readonly [string, Matcher][]): boolean =>
    entries.every(([k, m]) => typeof map[k] === 'string' && m(map[k]));
  return c.ownership.some(
    (r) => (r.labels.length > 0 || r.annotations.length > 0) && has(labels, r.labels) && has(annotations, r.annotations),
  );
}
