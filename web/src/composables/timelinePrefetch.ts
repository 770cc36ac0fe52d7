import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { resolveRange } from '../lib/timeRange';
import { filtersToApi, parseFilters, type TimelineFilters } from '../lib/timelineQuery';

export type TimelinePage = components['schemas']['TimelinePageDto'];

/** Events per request: the API's maximum, so a busy 24 h window (10,000 events) arrives in one page. */
export const PAGE_SIZE = 10_000;

let navigationStartedAt = Date.now();
/** When the current navigation began: relative windows ("last 1 h") resolve against it, the same way everywhere. */
export function navigationTime(): number {
  return navigationStartedAt;
}
export function markNavigation(): void {
  navigationStartedAt = Date.now();
}

export function fetchTimelinePage(env: string, from: string, to: string, filters: TimelineFilters, cursor: string | null, limit = PAGE_SIZE): Promise<TimelinePage> {
  return api
    .GET('/api/v1/environments/{env}/timeline', {
      params: { path: { env }, query: { from, to, limit, ...(cursor ? { cursor } : {}), ...filtersToApi(filters) } as never },
    })
    .then(unwrap);
}

const pending = new Map<string, Promise<TimelinePage>>();
const keyOf = (env: string, from: string, to: string, filters: TimelineFilters) => JSON.stringify([env, from, to, filtersToApi(filters)]);

/**
 * Start loading a timeline window as soon as the router knows where it is going, before the page's
 * code has arrived; the page then takes the request in flight instead of starting its own.
 */
export function prefetchTimeline(env: string, query: Record<string, unknown>): void {
  const r = resolveRange(query, navigationTime());
  const f = parseFilters(query);
  const key = keyOf(env, r.from, r.to, f);
  if (pending.has(key)) return;
  const p = fetchTimelinePage(env, r.from, r.to, f, null);
  p.catch(() => undefined);
  pending.set(key, p);
  setTimeout(() => pending.get(key) === p && pending.delete(key), 15_000);
}

/** The prefetched first page of this window, once. */
export function takePrefetched(env: string, from: string, to: string, filters: TimelineFilters): Promise<TimelinePage> | undefined {
  const key = keyOf(env, from, to, filters);
  const p = pending.get(key);
  pending.delete(key);
  return p;
}
