import { useRoute, useRouter, type LocationQueryRaw } from 'vue-router';

/** Writes to the route query: keys set to '' / null / undefined are removed; `replace` for changes that need no history entry. */
export function useQueryWriter() {
  const route = useRoute();
  const router = useRouter();
  function update(patch: Record<string, string | null | undefined>, opts: { replace?: boolean; drop?: readonly string[] } = {}) {
    const q: LocationQueryRaw = { ...route.query };
    for (const k of opts.drop ?? []) delete q[k];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || v === null || v === '') delete q[k];
      else q[k] = v;
    }
    return opts.replace ? router.replace({ query: q }) : router.push({ query: q });
  }
  return { update };
}

/** One string query parameter. */
export function queryString(v: unknown): string {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' ? x : '';
}
