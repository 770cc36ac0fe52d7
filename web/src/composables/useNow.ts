import { onScopeDispose, ref, type Ref } from 'vue';

const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;

/** A shared clock for relative times ("5 m ago"), ticking every 15 s while any component uses it. */
export function useNow(): Ref<number> {
  users++;
  if (!timer) {
    now.value = Date.now();
    timer = setInterval(() => (now.value = Date.now()), 15_000);
  }
  onScopeDispose(() => {
    if (--users === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  });
  return now;
}
