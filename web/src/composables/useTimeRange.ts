import { computed, ref, watch } from 'vue';
import { useRoute } from 'vue-router';
import { rangeToQuery, resolveRange, type PresetId, type TimeRange } from '../lib/timeRange';
import { useQueryWriter } from './useQuery';
import { navigationTime } from './timelinePrefetch';

/**
 * The time window held by the URL (`preset`, or `from` + `to`). A preset is resolved when the
 * URL changes (not on every tick), so the window stays put while the page is open.
 */
export function useTimeRange(fallback: PresetId = '24h') {
  const route = useRoute();
  const { update } = useQueryWriter();
  const key = computed(() => [route.query.preset, route.query.from, route.query.to].map(String).join('|'));
  // Resolved against the start of the navigation, so the router's prefetch asked for the same window.
  const range = ref<TimeRange>(resolveRange(route.query, navigationTime(), fallback));
  watch(key, () => (range.value = resolveRange(route.query, navigationTime(), fallback)));

  function setRange(r: TimeRange, opts: { replace?: boolean } = {}) {
    const q = rangeToQuery(r);
    return update({ preset: q.preset ?? null, from: q.from ?? null, to: q.to ?? null }, { replace: opts.replace, drop: ['selected'] });
  }
  /** Re-resolve a relative preset against the current time (e.g. "refresh"). */
  function refresh() {
    range.value = resolveRange(route.query, Date.now(), fallback);
  }
  return { range, setRange, refresh };
}
