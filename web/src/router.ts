import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';

/** Navigation entries; an entry with `feature` shows only when the server reports that feature. */
export const NAV: { to: string; label: string; feature?: string }[] = [
  { to: '/environments', label: 'Environments' },
  { to: '/timeline', label: 'Timeline', feature: 'timeline' },
  { to: '/drift', label: 'Drift', feature: 'drift' },
  { to: '/reports', label: 'Reports', feature: 'reports' },
  { to: '/alerts', label: 'Alerts', feature: 'alerts' },
];

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/environments' },
  { path: '/environments', component: () => import('./features/environments/EnvironmentsPage.vue'), meta: { title: 'Environments' } },
  { path: '/:pathMatch(.*)*', component: () => import('./features/NotFoundPage.vue'), meta: { title: 'Not found' } },
];

export const router = createRouter({ history: createWebHistory(), routes });
router.afterEach((to) => {
  document.title = to.meta.title ? `${String(to.meta.title)} · Driftline` : 'Driftline';
});
