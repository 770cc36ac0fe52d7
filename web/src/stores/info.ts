import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';

export type Info = components['schemas']['InfoDto'];

/** What the server runs (mode, features, environments): shared by the banner, the navigation and pages. */
export const useInfoStore = defineStore('info', () => {
  const info = ref<Info | null>(null);
  const error = ref<string | null>(null);
  let pending: Promise<void> | null = null;
  function load(force = false): Promise<void> {
    if (pending && !force) return pending;
    pending = api
      .GET('/api/v1/info')
      .then((r) => {
        info.value = unwrap(r);
        error.value = null;
      })
      .catch((e: Error) => {
        error.value = e.message;
        pending = null;
      });
    return pending;
  }
  return { info, error, load };
});
