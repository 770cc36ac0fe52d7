/**
 * The demo's story, generated deterministically from an anchor time: a GitOps
 * repository for dev / staging / prod over the 30 days before the anchor
 * (image bumps by Renovate promoted through the environments with PR numbers,
 * config changes by several people, a folder refactor, a revert), and what the
 * cluster did: the GitOps applier following each commit after a realistic
 * delay, plus the out-of-band changes an incident review is about — a
 * `kubectl edit` hotfix in prod, a manual scale, a deleted ConfigMap.
 */
import { prng } from '../core/prng';

export interface DemoPerson {
  name: string;
  email: string;
}

export interface DemoCommit {
  at: Date;
  author: DemoPerson;
  message: string;
  /** path → content, or null to delete. */
  files: Record<string, string | null>;
  /** path → new path (a move without change). */
  renames?: Record<string, string>;
}

export type DemoLiveAction =
  | { type: 'apply'; at: Date; manifest: string; manager: string; operation: 'Apply' | 'Update'; note?: string }
  | { type: 'delete'; at: Date; apiVersion: string; kind: string; namespace: string; name: string; manager: string; note?: string };

export interface DemoScenario {
  anchor: Date;
  environments: string[];
  commits: DemoCommit[];
  live: DemoLiveAction[];
  /** Times of the notable out-of-band changes, for the README, the banner and the tests. */
  incidents: { hotfix: Date; scale: Date; deletedConfigMap: Date };
}

const PEOPLE: Record<string, DemoPerson> = {
  renovate: { name: 'renovate[bot]', email: '29139614+renovate[bot]@users.noreply.github.com' },
  ada: { name: 'Ada Lovelace', email: 'ada@shop.example' },
  grace: { name: 'Grace Hopper', email: 'grace@shop.example' },
  linus: { name: 'Linus Torvalds', email: 'linus@shop.example' },
  margaret: { name: 'Margaret Hamilton', email: 'margaret@shop.example' },
};

const APPS = [
  { name: 'web', image: 'ghcr.io/shop/web', port: 8080, replicas: { dev: 1, staging: 2, prod: 4 } },
  { name: 'api', image: 'ghcr.io/shop/api', port: 8080, replicas: { dev: 1, staging: 2, prod: 3 } },
  { name: 'checkout', image: 'ghcr.io/shop/checkout', port: 9000, replicas: { dev: 1, staging: 1, prod: 3 } },
  { name: 'payments', image: 'ghcr.io/shop/payments', port: 9100, replicas: { dev: 1, staging: 1, prod: 2 } },
  { name: 'search', image: 'ghcr.io/shop/search', port: 9200, replicas: { dev: 1, staging: 1, prod: 2 } },
  { name: 'worker', image: 'ghcr.io/shop/worker', port: 0, replicas: { dev: 1, staging: 1, prod: 2 } },
] as const;
type App = (typeof APPS)[number];
export const DEMO_ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
type Env = (typeof DEMO_ENVIRONMENTS)[number];

export const demoNamespace = (env: string) => `shop-${env}`;
export const DEMO_APPLIER = 'kustomize-controller';

interface AppState {
  version: [number, number, number];
  replicas: number;
  logLevel: string;
  featureFlags: string;
  memory: string;
}

function deployment(env: Env, app: App, s: AppState): string {
  const ns = demoNamespace(env);
  const ports = app.port ? `\n          ports:\n            - name: http\n              containerPort: ${app.port}` : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app.name}
  namespace: ${ns}
  labels:
    app.kubernetes.io/name: ${app.name}
    app.kubernetes.io/part-of: shop
spec:
  replicas: ${s.replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app.name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${app.name}
    spec:
      containers:
        - name: ${app.name}
          image: ${app.image}:${s.version.join('.')}${ports}
          envFrom:
            - configMapRef:
                name: ${app.name}-config
          resources:
            requests:
              cpu: 100m
              memory: ${s.memory}
            limits:
              memory: ${s.memory}
`;
}

function configMap(env: Env, app: App, s: AppState): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${app.name}-config
  namespace: ${demoNamespace(env)}
data:
  LOG_LEVEL: ${s.logLevel}
  FEATURE_FLAGS: "${s.featureFlags}"
  ENVIRONMENT: ${env}
`;
}

function service(env: Env, app: App): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${app.name}
  namespace: ${demoNamespace(env)}
spec:
  selector:
    app.kubernetes.io/name: ${app.name}
  ports:
    - name: http
      port: 80
      targetPort: ${app.port}
`;
}

function namespace(env: Env): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${demoNamespace(env)}\n  labels:\n    shop.example/environment: ${env}\n`;
}

/** The file layout; `moved` apps live under clusters/<env>/apps/ after the refactor. */
function appPath(env: Env, app: App, file: string, moved: boolean): string {
  return moved ? `clusters/${env}/apps/${app.name}/${file}` : `clusters/${env}/${app.name}/${file}`;
}

export function buildScenario(anchor: Date, seed = 7): DemoScenario {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const start = anchor.getTime() - 30 * 86_400_000;
  const state = new Map<string, AppState>();
  const moved = new Set<Env>();
  const key = (env: Env, app: App) => `${env}/${app.name}`;
  const commits: DemoCommit[] = [];
  const live: DemoLiveAction[] = [];
  let pr = 1200;

  // What each commit makes the applier apply; the applies are scheduled once the commits are in time order.
  const applies = new Map<DemoCommit, { manifests: string[]; minDelay: number; maxDelay: number }>();
  const applyLater = (commit: DemoCommit, manifests: string[], minDelay = 20, maxDelay = 150) => applies.set(commit, { manifests, minDelay, maxDelay });

  // Day 0: everything is created.
  const initial: Record<string, string> = { 'README.md': '# shop infrastructure\n\nFlux reconciles clusters/<env>.\n', 'dns/shop.example.zone': '$ORIGIN shop.example.\n@ 3600 IN A 203.0.113.10\nwww 3600 IN CNAME @\n', 'gateway/routes.yaml': 'routes:\n  - path: /\n    service: web\n  - path: /api\n    service: api\n' };
  const t0 = new Date(start);
  const created: string[] = [];
  for (const env of DEMO_ENVIRONMENTS) {
    initial[`clusters/${env}/namespace.yaml`] = namespace(env);
    created.push(namespace(env));
    for (const app of APPS) {
      const s: AppState = { version: [2, 3, Math.floor(rand() * 4)], replicas: app.replicas[env], logLevel: env === 'prod' ? 'warn' : 'info', featureFlags: 'search-v2=off', memory: '256Mi' };
      state.set(key(env, app), s);
      initial[appPath(env, app, 'deployment.yaml', false)] = deployment(env, app, s);
      initial[appPath(env, app, 'configmap.yaml', false)] = configMap(env, app, s);
      created.push(deployment(env, app, s), configMap(env, app, s));
      if (app.port) {
        initial[appPath(env, app, 'service.yaml', false)] = service(env, app);
        created.push(service(env, app));
      }
    }
  }
  const bootstrap: DemoCommit = { at: t0, author: PEOPLE.ada!, message: 'Bootstrap shop environments (#1180)', files: initial };
  commits.push(bootstrap);
  applyLater(bootstrap, created, 30, 60);

  const change = (at: Date, author: DemoPerson, message: string, env: Env, app: App, mutate: (s: AppState) => void, files: ('deployment' | 'configmap')[]) => {
    const s = state.get(key(env, app))!;
    mutate(s);
    const out: Record<string, string> = {};
    const manifests: string[] = [];
    if (files.includes('deployment')) {
      out[appPath(env, app, 'deployment.yaml', moved.has(env))] = deployment(env, app, s);
      manifests.push(deployment(env, app, s));
    }
    if (files.includes('configmap')) {
      out[appPath(env, app, 'configmap.yaml', moved.has(env))] = configMap(env, app, s);
      manifests.push(configMap(env, app, s));
    }
    const commit: DemoCommit = { at, author, message, files: out };
    commits.push(commit);
    applyLater(commit, manifests);
  };

  // ~300 commits over 30 days: mostly during working hours.
  let t = start + 3 * 3_600_000;
  let revertDone = false;
  let refactorDone = false;
  while (commits.length < 300) {
    t += (0.5 + rand() * 2.4) * 3_600_000;
    const d = new Date(t);
    const hour = d.getUTCHours();
    if (hour < 7 || hour > 19) continue;
    if (t > anchor.getTime() - 10 * 60_000) break;
    const app = pick(APPS);
    const roll = rand();
    const day = (t - start) / 86_400_000;
    if (!refactorDone && day > 12) {
      // Refactor: move prod apps into clusters/prod/apps/ — file moves, no object changes.
      refactorDone = true;
      const renames: Record<string, string> = {};
      for (const a of APPS) for (const f of ['deployment.yaml', 'configmap.yaml', ...(a.port ? ['service.yaml'] : [])]) renames[appPath('prod', a, f, false)] = appPath('prod', a, f, true);
      moved.add('prod');
      commits.push({ at: d, author: PEOPLE.linus!, message: `Move prod apps under clusters/prod/apps (#${++pr})`, files: {}, renames });
      continue;
    }
    if (roll < 0.55) {
      // Renovate bumps dev, then promotions to staging and prod follow.
      const s = state.get(key('dev', app))!;
      const next: [number, number, number] = rand() < 0.2 ? [s.version[0], s.version[1] + 1, 0] : [s.version[0], s.version[1], s.version[2] + 1];
      const v = next.join('.');
      change(d, PEOPLE.renovate!, `chore(deps): update ${app.image} to ${v} (#${++pr})`, 'dev', app, (x) => (x.version = [...next]), ['deployment']);
      const stagingAt = new Date(t + (2 + rand() * 20) * 3_600_000);
      if (stagingAt.getTime() < anchor.getTime() - 3_600_000 && rand() < 0.7) {
        const by = pick([PEOPLE.grace!, PEOPLE.margaret!]);
        change(stagingAt, by, `Promote ${app.name} ${v} to staging (#${++pr})`, 'staging', app, (x) => (x.version = [...next]), ['deployment']);
        const prodAt = new Date(stagingAt.getTime() + (20 + rand() * 30) * 3_600_000);
        if (prodAt.getTime() < anchor.getTime() - 3_600_000 && rand() < 0.6) {
          change(prodAt, PEOPLE.ada!, `Merge pull request #${++pr} from shop/promote-${app.name}-${v}\n\nPromote ${app.name} ${v} to prod`, 'prod', app, (x) => (x.version = [...next]), ['deployment']);
          if (!revertDone && day > 18 && app.name === 'api') {
            revertDone = true;
            const prev = state.get(key('prod', app))!.version;
            const back: [number, number, number] = [prev[0], prev[1], Math.max(0, prev[2] - 1)];
            change(new Date(prodAt.getTime() + 2_700_000), PEOPLE.ada!, `Revert "Promote ${app.name} ${v} to prod"\n\nError rate doubled after the rollout. (#${++pr})`, 'prod', app, (x) => (x.version = back), ['deployment']);
          }
        }
      }
    } else if (roll < 0.8) {
      const env = pick(DEMO_ENVIRONMENTS);
      const level = pick(['debug', 'info', 'warn']);
      change(d, pick([PEOPLE.grace!, PEOPLE.linus!, PEOPLE.margaret!]), `${app.name}: LOG_LEVEL=${level} in ${env} (#${++pr})`, env, app, (x) => (x.logLevel = level), ['configmap']);
    } else if (roll < 0.92) {
      const env = pick(DEMO_ENVIRONMENTS);
      const replicas = Math.max(1, state.get(key(env, app))!.replicas + (rand() < 0.5 ? 1 : -1));
      change(d, pick([PEOPLE.ada!, PEOPLE.margaret!]), `Scale ${app.name} in ${env} to ${replicas} (#${++pr})`, env, app, (x) => (x.replicas = replicas), ['deployment']);
    } else {
      const env = pick(DEMO_ENVIRONMENTS);
      const mem = pick(['256Mi', '384Mi', '512Mi']);
      const flags = pick(['search-v2=off', 'search-v2=on', 'search-v2=on,cart-v3=on']);
      change(d, pick([PEOPLE.grace!, PEOPLE.linus!]), `${app.name}: memory ${mem}, flags ${flags} in ${env} (#${++pr})`, env, app, (x) => ((x.memory = mem), (x.featureFlags = flags)), ['deployment', 'configmap']);
    }
  }

  // Out-of-band changes in prod.
  const hour = 3_600_000;
  const checkout = APPS.find((a) => a.name === 'checkout')!;
  const web = APPS.find((a) => a.name === 'web')!;
  const payments = APPS.find((a) => a.name === 'payments')!;
  const hotfix = new Date(anchor.getTime() - 2 * 86_400_000 - 5 * hour + 17 * 60_000);
  const hs = state.get(key('prod', checkout))!;
  const hotfixed = deployment('prod', checkout, hs)
    .replace(/image: (\S+):\S+/, (_m, img) => `image: ${img}:${hs.version.join('.')}-hotfix1`)
    .replace('          envFrom:', '          env:\n            - name: PAYMENT_TIMEOUT_MS\n              value: "12000"\n          envFrom:');
  live.push({ type: 'apply', at: hotfix, manifest: hotfixed, manager: 'kubectl-edit', operation: 'Update', note: 'hotfix' });
  const scale = new Date(anchor.getTime() - 5 * 86_400_000 + 3 * hour);
  const ws = state.get(key('prod', web))!;
  live.push({ type: 'apply', at: scale, manifest: deployment('prod', web, { ...ws, replicas: ws.replicas + 4 }), manager: 'kubectl-scale', operation: 'Update', note: 'scale' });
  const deletedAt = new Date(anchor.getTime() - 1 * 86_400_000 - 2 * hour);
  live.push({ type: 'delete', at: deletedAt, apiVersion: 'v1', kind: 'ConfigMap', namespace: demoNamespace('prod'), name: `${payments.name}-config`, manager: 'kubectl-delete', note: 'deleted-configmap' });

  // The applier follows the branch in commit order, a little later each time, and reconciles the newest
  // revision: its applies of one object never overtake each other. (It does not undo out-of-band edits to
  // objects Git did not change since; it would on the next change of that object.)
  commits.sort((a, b) => a.at.getTime() - b.at.getTime());
  const lastApply = new Map<string, number>();
  for (const c of commits) {
    const a = applies.get(c);
    if (!a) continue;
    const delay = (a.minDelay + rand() * (a.maxDelay - a.minDelay)) * 1000;
    for (const m of a.manifests) {
      const id = /kind: (\S+)[\s\S]*?name: (\S+)/.exec(m)?.slice(1).join('/') + '/' + (/namespace: (\S+)/.exec(m)?.[1] ?? '');
      const when = Math.max(c.at.getTime() + delay, (lastApply.get(id) ?? 0) + 1000);
      lastApply.set(id, when);
      live.push({ type: 'apply', at: new Date(when), manifest: m, manager: DEMO_APPLIER, operation: 'Apply' });
    }
  }
  live.sort((a, b) => a.at.getTime() - b.at.getTime());
  const lastLive = live.filter((l) => l.at.getTime() <= anchor.getTime());
  return { anchor, environments: [...DEMO_ENVIRONMENTS], commits, live: lastLive, incidents: { hotfix, scale, deletedConfigMap: deletedAt } };
}
