/** Timeline filters and their URL form. Everything a view shows is in the URL, so a pasted link opens the same view. */

export const LANES = ['git', 'live', 'drift'] as const;
export type Lane = (typeof LANES)[number];
export const CHANGES = ['created', 'configured', 'deleted'] as const;
export type ChangeType = (typeof CHANGES)[number];

export interface TimelineFilters {
  kind: string;
  namespace: string;
  name: string;
  author: string;
  manager: string;
  change: ChangeType | '';
  lanes: Lane[];
}

export const TEXT_FILTERS = ['kind', 'namespace', 'name', 'author', 'manager'] as const;

export function emptyFilters(): TimelineFilters {
  return { kind: '', namespace: '', name: '', author: '', manager: '', change: '', lanes: [...LANES] };
}

function str(v: unknown): string {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' ? x.trim().slice(0, 200) : '';
}

/** Filters from a route query; unknown values are dropped, never thrown on. */
export function parseFilters(q: Record<string, unknown>): TimelineFilters {
  const f = emptyFilters();
  for (const k of TEXT_FILTERS) f[k] = str(q[k]);
  const change = str(q.change);
  f.change = (CHANGES as readonly string[]).includes(change) ? (change as ChangeType) : '';
  const lanes = str(q.lanes)
    .split(',')
    .filter((l): l is Lane => (LANES as readonly string[]).includes(l));
  f.lanes = lanes.length ? LANES.filter((l) => lanes.includes(l)) : [...LANES];
  return f;
}

/** Query keys for the filters, leaving out what is empty or the default (all lanes). */
export function filtersToQuery(f: TimelineFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of TEXT_FILTERS) if (f[k]) out[k] = f[k];
  if (f.change) out.change = f.change;
  if (f.lanes.length && f.lanes.length < LANES.length) out.lanes = LANES.filter((l) => f.lanes.includes(l)).join(',');
  return out;
}

/** The API's query for the same filters (the server's names are the URL's names). */
export function filtersToApi(f: TimelineFilters): Record<string, string> {
  return filtersToQuery(f);
}

export function activeFilterCount(f: TimelineFilters): number {
  return Object.keys(filtersToQuery(f)).length;
}

export function sameFilters(a: TimelineFilters, b: TimelineFilters): boolean {
  return JSON.stringify(filtersToQuery(a)) === JSON.stringify(filtersToQuery(b));
}

/** The query keys a timeline URL owns (range + filters + selection), to replace them as a set. */
export const TIMELINE_KEYS = ['from', 'to', 'preset', 'selected', ...TEXT_FILTERS, 'change', 'lanes'] as const;
