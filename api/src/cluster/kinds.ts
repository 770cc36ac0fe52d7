import type { ApiResource } from './discovery';

/** A kind named without a version: group '' is the core group; null group = any group. */
export interface KindRef {
  group: string | null;
  kind: string;
}

/**
 * Kinds that churn without telling anything about configuration (or that
 * controllers own entirely). Not watched unless `excludeKinds` replaces this list.
 */
export const DEFAULT_EXCLUDED_KINDS: readonly string[] = Object.freeze([
  'Pod',
  'ReplicaSet',
  'Event',
  'Endpoints',
  'EndpointSlice',
  'Lease',
  'ControllerRevision',
]);

/** "apps/Deployment" → {group: 'apps', kind: 'Deployment'}; "Deployment" → any group; "core/ConfigMap" and "/ConfigMap" → the core group; "*" → every kind. */
export function parseKindRef(text: string): KindRef {
  const t = text.trim();
  const slash = t.lastIndexOf('/');
  if (slash < 0) return { group: null, kind: t };
  const group = t.slice(0, slash);
  return { group: group === 'core' ? '' : group, kind: t.slice(slash + 1) };
}

export function kindKey(k: { group: string; kind: string }): string {
  return `${k.group}/${k.kind}`;
}

function matches(ref: KindRef, r: { group: string; kind: string }): boolean {
  return (ref.kind === '*' || ref.kind === r.kind) && (ref.group === null || ref.group === r.group);
}

export interface KindSelection {
  watched: ApiResource[];
  /** Wanted kinds the server does not serve (yet): a CRD not installed, a typo in config. */
  missing: string[];
  /** Wanted kinds left out: excluded, or not listable and watchable. */
  skipped: { kind: string; reason: string }[];
}

/**
 * Which of the discovered kinds to watch: the kinds in any environment's desired
 * state, plus the kinds named in config (`kinds`; "*" means every kind), minus the
 * excluded ones (DEFAULT_EXCLUDED_KINDS, or `excludeKinds` when given). A kind named
 * explicitly in `kinds` wins over the default noise list, not over an explicit
 * `excludeKinds`. Only kinds with the list and watch verbs qualify.
 */
export function selectKinds(
  resources: readonly ApiResource[],
  o: { desired: readonly { group: string; kind: string }[]; kinds: readonly string[]; excludeKinds?: readonly string[] },
): KindSelection {
  const explicitExclude = o.excludeKinds !== undefined;
  const excluded = (o.excludeKinds ?? DEFAULT_EXCLUDED_KINDS).map(parseKindRef);
  const configured = o.kinds.map(parseKindRef);
  const wanted = new Map<string, ApiResource>();
  const missing: string[] = [];
  const skipped: KindSelection['skipped'] = [];
  const isExcluded = (r: ApiResource) => excluded.some((e) => matches(e, r));

  const consider = (r: ApiResource, origin: 'named' | 'wildcard' | 'desired') => {
    const key = kindKey(r);
    if (wanted.has(key)) return;
    if (!r.verbs.includes('list') || !r.verbs.includes('watch')) {
      if (origin !== 'wildcard') skipped.push({ kind: key, reason: 'not listable and watchable' });
      return;
    }
    if (isExcluded(r) && (explicitExclude || origin !== 'named')) {
      if (origin !== 'wildcard') skipped.push({ kind: key, reason: 'excluded' });
      return;
    }
    wanted.set(key, r);
  };

  for (const ref of configured) {
    const found = resources.filter((r) => matches(ref, r));
    if (found.length === 0 && ref.kind !== '*') missing.push(ref.group === null ? ref.kind : `${ref.group}/${ref.kind}`);
    // A bare "Deployment" names every group serving that kind only when the core group does not (Event: core, not events.k8s.io).
    const pick = ref.group === null && ref.kind !== '*' && found.some((r) => r.group === '') ? found.filter((r) => r.group === '') : found;
    for (const r of pick) consider(r, ref.kind === '*' ? 'wildcard' : 'named');
  }
  for (const d of o.desired) {
    const r = resources.find((x) => x.group === d.group && x.kind === d.kind);
    if (!r) {
      missing.push(kindKey(d));
      continue;
    }
    consider(r, 'desired');
  }
  const watched = [...wanted.values()].sort((a, b) => kindKey(a).localeCompare(kindKey(b)));
  return { watched, missing: [...new Set(missing)].sort(), skipped: dedupe(skipped) };
}

function dedupe(list: { kind: string; reason: string }[]): { kind: string; reason: string }[] {
  const seen = new Set<string>();
  return list.filter((s) => (seen.has(s.kind) ? false : (seen.add(s.kind), true)));
}
