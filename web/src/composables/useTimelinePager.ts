import { computed, onScopeDispose, ref, shallowRef, watch, type Ref } from 'vue';
import { api } from '../api/client';
import type { components } from '../api/schema';
import { fetchTimelinePage, takePrefetched, PAGE_SIZE } from './timelinePrefetch';
import type { AsyncStatus } from './useAsync';
import { includesNow, within, type TimeRange } from '../lib/timeRange';
import { filtersToApi, sameFilters, type TimelineFilters } from '../lib/timelineQuery';
import { mergeNewest, type TimelineEvent } from '../lib/events';
import { useEventStream } from './useEventStream';

type Counts = components['schemas']['LaneCountsDto'];

export { PAGE_SIZE };

/**
 * Timeline events of an environment for the window and filters in the URL, newest first; older
 * pages on request (nextCursor); new events streamed in while the window includes now. A window
 * inside the one already loaded in full is served without a request (zooming in).
 */
export function useTimelinePager(env: Ref<string>, range: Ref<TimeRange>, filters: Ref<TimelineFilters>) {
  const state = ref<AsyncStatus>('idle');
  const error = ref<string | null>(null);
  const events = shallowRef<TimelineEvent[]>([]);
  const counts = ref<Counts>({ git: 0, live: 0, drift: 0 });
  const nextCursor = ref<string | null>(null);
  const loadingMore = ref(false);
  /** The window the loaded events cover (contains the URL's window). */
  const extent = ref<{ from: string; to: string } | null>(null);
  let loaded: { env: string; filters: TimelineFilters; from: string; to: string } | null = null;
  let seq = 0;

  function fetchPage(cursor: string | null) {
    const { from, to } = extent.value!;
    return (!cursor && takePrefetched(env.value, from, to, filters.value)) || fetchTimelinePage(env.value, from, to, filters.value, cursor);
  }

  async function load() {
    const mine = ++seq;
    const r = range.value;
    // Nothing to load when the window and filters are the ones loaded (a selection changed), or when
    // the window is inside a window loaded in full (zooming in).
    if (loaded && loaded.env === env.value && sameFilters(loaded.filters, filters.value) && state.value === 'done') {
      if (loaded.from === r.from && loaded.to === r.to) return;
      if (extent.value && !nextCursor.value && within(r, extent.value)) return;
    }
    state.value = 'loading';
    error.value = null;
    extent.value = { from: r.from, to: r.to };
    try {
      const page = await fetchPage(null);
      if (mine !== seq) return;
      performance.mark('timeline-data');
      events.value = page.events;
      counts.value = page.counts;
      nextCursor.value = page.nextCursor;
      loaded = { env: env.value, filters: { ...filters.value, lanes: [...filters.value.lanes] }, from: r.from, to: r.to };
      state.value = 'done';
    } catch (e) {
      if (mine !== seq) return;
      error.value = (e as Error).message;
      state.value = 'error';
    }
  }

  async function loadMore() {
    if (!nextCursor.value || loadingMore.value) return;
    loadingMore.value = true;
    const mine = seq;
    try {
      const page = await fetchPage(nextCursor.value);
      if (mine !== seq) return;
      events.value = [...events.value, ...page.events];
      nextCursor.value = page.nextCursor;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loadingMore.value = false;
    }
  }

  function reload() {
    loaded = null;
    return load();
  }

  watch([env, range, filters], load, { immediate: true, deep: true });

  // Live: stream new events while the window reaches now.
  const live = computed(() => state.value === 'done' && includesNow(range.value, Date.now()));
  const streamUrl = computed(() => {
    if (!live.value) return null;
    const q = new URLSearchParams(filtersToApi(filters.value)).toString();
    return `/api/v1/environments/${encodeURIComponent(env.value)}/timeline/stream${q ? `?${q}` : ''}`;
  });
  let pending: TimelineEvent[] = [];
  let flush: ReturnType<typeof setTimeout> | null = null;
  function addEvents(batch: readonly TimelineEvent[]) {
    const merged = mergeNewest(events.value, batch);
    if (merged === events.value) return;
    const known = new Set(events.value.map((e) => e.key));
    const c = { ...counts.value };
    for (const x of batch) if (!known.has(x.key)) c[x.lane as keyof Counts] += 1;
    counts.value = c;
    events.value = merged;
    if (extent.value && merged[0] && merged[0].at > extent.value.to) extent.value = { from: extent.value.from, to: merged[0].at };
  }
  const { status: streamStatus, problem: streamProblem } = useEventStream<TimelineEvent>(streamUrl, (e) => {
    pending.push(e);
    // Batch bursts (an apply touching 50 objects) into one update.
    flush ??= setTimeout(() => {
      const batch = pending;
      pending = [];
      flush = null;
      addEvents(batch);
    }, 150);
  });

  // When the stream is down or the server says it cannot read new events, ask for them every 5 s
  // instead (the indicator says so): new changes still appear without a reload.
  const polling = computed(() => live.value && streamStatus.value !== 'live' && streamStatus.value !== 'connecting');
  let unhealthySince = 0;
  const timer = setInterval(async () => {
    if (!live.value || streamStatus.value === 'live') {
      unhealthySince = 0;
      return;
    }
    unhealthySince ||= Date.now();
    if (Date.now() - unhealthySince < 4000 || state.value !== 'done') return;
    const mine = seq;
    const newest = events.value[0]?.at ?? range.value.from;
    const from = new Date(Math.max(Date.parse(range.value.from), Date.parse(newest) - 5000)).toISOString();
    try {
      const r = await api.GET('/api/v1/environments/{env}/timeline', {
        params: { path: { env: env.value }, query: { from, to: new Date(Date.now() + 60_000).toISOString(), limit: 1000, ...filtersToApi(filters.value) } as never },
      });
      if (mine === seq && r.data) addEvents(r.data.events);
    } catch {
      // The next tick tries again.
    }
  }, 5000);
  onScopeDispose(() => clearInterval(timer));

  return { state, error, events, counts, nextCursor, loadingMore, extent, live, streamStatus, streamProblem, polling, loadMore, reload };
}
