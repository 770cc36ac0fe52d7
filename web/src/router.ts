import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { markNavigation, prefetchTimeline } from './composables/timelinePrefetch';
import { whenSignedOut } from './api/client';
import { useAuthStore } from './stores/auth';

/** Navigation entries; an entry with `feature` shows only when the server reports that feature. */
export const NAV: { to: string; label: string; feature?: string }[] = [
  { to: '/environments', label: 'Environments' },
  { to: '/timeline', label: 'Timeline', feature: 'timeline' },
  { to: '/drift', label: 'Drift', feature: 'drift' },
  { to: '/reports', label: 'Reports', feature: 'reports' },
  { to: '/alerts', label: 'Alerts', feature: 'alerts' },
];

// Every page is its own chunk; ECharts and the diff viewer load only with the pages that use them.
const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/environments' },
  { path: '/sign-in', component: () => import('./features/auth/SignInPage.vue'), meta: { title: 'Sign in', public: true } },
  { path: '/environments', component: () => import('./features/environments/EnvironmentsPage.vue'), meta: { title: 'Environments' } },
  { path: '/timeline', component: () => import('./features/timeline/TimelineLandingPage.vue'), meta: { title: 'Timeline' } },
  { path: '/environments/:env/timeline', component: () => import('./features/timeline/TimelinePage.vue'), meta: { title: 'Timeline' } },
  { path: '/environments/:env/changes/live/:revisionId', component: () => import('./features/objects/LiveChangePage.vue'), meta: { title: 'Live change' } },
  { path: '/environments/:env/compare', component: () => import('./features/compare/ComparePage.vue'), meta: { title: 'Compare' } },
  { path: '/environments/:env/drift', component: () => import('./features/drift/DriftPage.vue'), meta: { title: 'Drift' } },
  { path: '/drift', component: () => import('./features/drift/DriftLandingPage.vue'), meta: { title: 'Drift' } },
  { path: '/commits/:sha', component: () => import('./features/commits/CommitPage.vue'), meta: { title: 'Commit' } },
  { path: '/objects/:id', component: () => import('./features/objects/ObjectHistoryPage.vue'), meta: { title: 'Object history' } },
  { path: '/reports', component: () => import('./features/reports/ReportsPage.vue'), meta: { title: 'Reports' } },
  { path: '/alerts', component: () => import('./features/alerts/AlertsPage.vue'), meta: { title: 'Alerts' } },
  { path: '/:pathMatch(.*)*', component: () => import('./features/NotFoundPage.vue'), meta: { title: 'Not found' } },
];

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (to, from, saved) => (saved ?? (to.path !== from.path ? { top: 0 } : undefined)),
});
// Every page but sign-in needs someone signed in: otherwise, to the sign-in page and back here afterwards.
// When the server cannot be asked, the page goes on and shows its own error.
router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  const me = await useAuthStore()
    .ensure()
    .catch(() => undefined);
  return me === null ? { path: '/sign-in', query: { returnTo: to.fullPath }, replace: true } : true;
});
// A session that ends while the app is open (expired, signed out elsewhere, token revoked) leads to the sign-in page too.
whenSignedOut(() => {
  useAuthStore().forget();
  const here = router.currentRoute.value;
  if (!here.meta.public) void router.push({ path: '/sign-in', query: { returnTo: here.fullPath } });
});
// A timeline's events and ECharts start loading while the page's own code is still on its way.
router.beforeEach((to, from) => {
  markNavigation();
  if (/^\/environments\/[^/]+\/timeline$/.test(to.path) && to.path !== from.path) {
    // The page's code first: the server streams files while it computes the events.
    void import('./features/timeline/TimelinePage.vue');
    void import('./charts/SwimlaneChart.vue');
    prefetchTimeline(String(to.params.env), to.query);
  }
});
router.afterEach((to) => {
  const env = typeof to.params.env === 'string' ? ` · ${to.params.env}` : '';
  document.title = to.meta.title ? `${String(to.meta.title)}${env} · Driftline` : 'Driftline';
});
