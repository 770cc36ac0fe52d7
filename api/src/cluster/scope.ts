import picomatch from 'picomatch';
import type { EnvironmentConfig } from '../config/schema';

/**
 * Which namespaces of a cluster are recorded: those matching any `namespaces`
 * glob of an environment on this cluster (every namespace when no environment
 * names the cluster). Cluster-scoped objects (namespace '') are always recorded.
 */
export function namespaceScope(cluster: string, environments: readonly Pick<EnvironmentConfig, 'cluster' | 'namespaces'>[]): (namespace: string) => boolean {
  const globs = environments.filter((e) => e.cluster === cluster).flatMap((e) => e.namespaces);
  if (globs.length === 0 || globs.includes('*')) return () => true;
  const match = picomatch(globs, { dot: true });
  const cache = new Map<string, boolean>();
  return (ns) => {
    if (ns === '') return true;
    let ok = cache.get(ns);
    if (ok === undefined) {
      ok = match(ns);
      if (cache.size < 10_000) cache.set(ns, ok);
    }
    return ok;
  };
}

/** The environments whose desired state lives on this cluster. */
export function environmentsOf(cluster: string, environments: readonly Pick<EnvironmentConfig, 'cluster' | 'name'>[]): string[] {
  return environments.filter((e) => e.cluster === cluster).map((e) => e.name);
}
