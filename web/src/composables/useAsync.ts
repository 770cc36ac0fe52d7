import { ref, shallowRef } from 'vue';

export type AsyncStatus = 'idle' | 'loading' | 'empty' | 'error' | 'done';

/** Runs a loader and exposes its explicit state; `isEmpty` decides when done means empty. */
export function useAsync<T>(loader: () => Promise<T>, isEmpty: (v: T) => boolean = () => false) {
  const state = ref<AsyncStatus>('idle');
  const data = shallowRef<T | null>(null);
  const error = ref<string | null>(null);
  let seq = 0;
  async function run() {
    const mine = ++seq;
    state.value = 'loading';
    error.value = null;
    try {
      const v = await loader();
      if (mine !== seq) return;
      data.value = v;
      state.value = isEmpty(v) ? 'empty' : 'done';
    } catch (e) {
      if (mine !== seq) return;
      error.value = (e as Error).message;
      state.value = 'error';
    }
  }
  return { state, data, error, run };
}
