import { onScopeDispose, ref, watch, type Ref } from 'vue';

/** live: events flow; degraded: connected, but the server reports it cannot read new events. */
export type StreamStatus = 'off' | 'connecting' | 'live' | 'degraded' | 'reconnecting';

/**
 * Server-sent events from `url` while it is not null: `onEvent` gets each `event` message's JSON.
 * The browser reconnects by itself; the status says whether updates are flowing, and `problem`
 * holds the server's last `event: error` message.
 */
export function useEventStream<T>(url: Ref<string | null>, onEvent: (data: T) => void) {
  const status = ref<StreamStatus>('off');
  const problem = ref<string | null>(null);
  let source: EventSource | null = null;
  let lastProblemAt = 0;
  const close = () => {
    source?.close();
    source = null;
    status.value = 'off';
  };
  const healthy = () => {
    if (Date.now() - lastProblemAt > 20_000) {
      status.value = 'live';
      problem.value = null;
    }
  };
  watch(
    url,
    (u) => {
      close();
      if (!u || typeof EventSource === 'undefined') return;
      status.value = 'connecting';
      lastProblemAt = 0;
      const s = new EventSource(u);
      source = s;
      s.addEventListener('ready', healthy);
      s.addEventListener('ping', healthy);
      s.addEventListener('error', (e) => {
        if (source !== s) return;
        const data = (e as MessageEvent<string>).data;
        if (data !== undefined) {
          // `event: error` from the server: the connection is up but its reads fail.
          lastProblemAt = Date.now();
          status.value = 'degraded';
          try {
            problem.value = (JSON.parse(data) as { message?: string }).message ?? data;
          } catch {
            problem.value = data;
          }
          return;
        }
        status.value = s.readyState === EventSource.CLOSED ? 'off' : 'reconnecting';
      });
      s.addEventListener('event', (m) => {
        healthy();
        try {
          onEvent(JSON.parse((m as MessageEvent<string>).data) as T);
        } catch {
          // A malformed message is skipped; the next one still counts.
        }
      });
    },
    { immediate: true },
  );
  onScopeDispose(close);
  return { status, problem };
}
