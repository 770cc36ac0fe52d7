import { defineAsyncComponent } from 'vue';

/** The diff viewer, loaded with the first page that shows a diff (not in the main bundle). */
export const LazyDiff = defineAsyncComponent(() => import('./DiffViewer.vue'));
