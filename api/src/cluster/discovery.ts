import type { KubeClient } from './kube-client';

/** A kind the API server serves, as discovery describes it (preferred version of its group). */
export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

export interface DiscoveryResult {
  resources: ApiResource[];
  /** Groups whose resource list could not be read (an aggregated API that is down, …): their kinds are unknown this time. */
  failedGroups: { group: string; error: string }[];
}

interface ApiResourceList {
  groupVersion?: string;
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

/** The path of a resource's collection across all namespaces: /api/v1/configmaps, /apis/apps/v1/deployments. */
export function collectionPath(r: Pick<ApiResource, 'group' | 'version' | 'plural'>): string {
  return r.group ? `/apis/${r.group}/${r.version}/${r.plural}` : `/api/${r.version}/${r.plural}`;
}

export function apiVersionOf(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/**
 * Reads /api and /apis, then the resource list of each group's preferred version:
 * kinds, plural names, scope and verbs. Subresources (pods/log, deployments/scale)
 * are skipped. /api or /apis failing fails discovery; one group failing is reported
 * and its kinds are left out.
 */
export async function discover(client: KubeClient): Promise<DiscoveryResult> {
  const core = await client.get<{ versions?: string[] }>('/api');
  const groups = await client.get<{ groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[] }>('/apis');
  const lists: { group: string; version: string; path: string }[] = [];
  const coreVersion = core.versions?.includes('v1') ? 'v1' : core.versions?.[0];
  if (coreVersion) lists.push({ group: '', version: coreVersion, path: `/api/${coreVersion}` });
  for (const g of groups.groups ?? []) {
    const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    if (version) lists.push({ group: g.name, version, path: `/apis/${g.name}/${version}` });
  }
  const resources: ApiResource[] = [];
  const failedGroups: DiscoveryResult['failedGroups'] = [];
  const answers = await Promise.allSettled(lists.map((l) => client.get<ApiResourceList>(l.path)));
  answers.forEach((a, i) => {
    const l = lists[i]!;
    if (a.status === 'rejected') {
      if (l.group === '') throw a.reason; // the core group failing means the server is not usable
      failedGroups.push({ group: l.group, error: (a.reason as Error).message });
      return;
    }
    for (const r of a.value.resources ?? []) {
      if (r.name.includes('/')) continue;
      resources.push({ group: l.group, version: l.version, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [] });
    }
  });
  return { resources, failedGroups };
}
