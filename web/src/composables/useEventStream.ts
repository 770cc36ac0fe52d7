import { onScopeDispose, ref, watch, type Ref } from 'vue';

export type StreamStatus = 'off' | 'connecting' | 'live' | 'reconnecting';

/**
 * Server-sent events from `url` while it is not null: `onEvent` gets each `event` message's JSON.
 * The browser reconnects by itself; the status says whether updates are flowing.
 */
export function useEventStream<T>(url: Ref<string | null>, onEvent: (data: T) => void) {
  const status = ref<StreamStatus>('off');
  let source: EventSource | null = null;
  const close = () => {
    source?.close();
    source = null;
    status.value = 'off';
  };
  watch(
    url,
    (u) => {
      close();
      if (!u || typeof EventSource === 'undefined') return;
      status.value = 'connecting';
      const s = new EventSource(u);
      source = s;
      s.addEventListener('ready', () => (status.value = 'live'));
      s.addEventListener('ping', () => (status.value = 'live'));
      s.addEventListener('open', () => {
        if (status.value === 'reconnecting') status.value = 'connecting';
      });
      s.addEventListener('error', (e) => {
        // The server also sends `event: error` messages (a failed poll); those carry data and keep the stream open.
        if ((e as MessageEvent).data !== undefined) return;
        if (source === s) status.value = s.readyState === EventSource.CLOSED ? 'off' : 'reconnecting';
      });
      s.addEventListener('event', (m) => {
        status.value = 'live';
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
  return { status };
}
