/**
 * Synthetic GitOps repository generator for the git indexing benchmark.
 *
 * One `git fast-import` stream writes the whole history (no git process per commit), so 20,000
 * commits take seconds. Deterministic: the same options and seed give the same commit ids.
 *
 * Usage:   node bench/git-index/generate.ts <dir> [--commits N] [--apps N] [--seed N] [--bare]
 *          (Node 24 runs this file directly: it imports only node: built-ins and uses only erasable
 *          TypeScript syntax.)
 * Library: import { generateRepo } from '…/bench/git-index/generate'
 *
 * Layout: clusters/<env>/<app>/{deployment,service,configmap}.yaml (some service.yaml are multi-doc
 * with a ServiceMonitor, some apps have rbac.yaml (3 docs) or a Secret with stringData),
 * charts/common-app (a Helm chart with templates), dns/zones/*.zone, gateway/routes-<env>.yaml, README.md.
 * History: mostly renovate[bot] image tag bumps, human config changes and promotions with PR numbers,
 * app onboarding, removals and re-additions, app renames and team folder moves (renames), broken YAML
 * fixed a few commits later, Helm template edits, secret rotations, feature branches merged with merge
 * commits; dates spread over ~2 years in the authors' own time zones.
 */
import { spawn } from 'node:child_process';
import { prng } from '../../api/src/core/prng.ts';
import { git, gitEnv } from '../support/git.ts';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';

export interface GenerateOptions {
  /** Total number of commits reachable from main (merges and branch commits included). Default 20,000. */
  commits?: number;
  environments?: string[];
  /** Apps per environment (3–5 files each). Default 700. */
  appsPerEnv?: number;
  seed?: number;
  /** Make a bare repository (default: a normal repository with main checked out). */
  bare?: boolean;
  /** First commit time (ISO). Default 2023-01-02T09:00:00Z. */
  start?: string;
  /** Days the history spans. Default 730. */
  spanDays?: number;
}

export interface GenerateResult {
  dir: string;
  commits: number;
  /** Files in main's final tree. */
  files: number;
  /** File contents written (blobs before de-duplication by git). */
  blobs: number;
  mergeCommits: number;
  seconds: number;
}

interface Person {
  name: string;
  email: string;
  tz: string;
}

interface App {
  env: string;
  name: string;
  team: string;
  /** Folder, e.g. clusters/prod/checkout-api or clusters/prod/payments/checkout-api. */
  dir: string;
  present: boolean;
  major: number;
  minor: number;
  patch: number;
  replicas: number;
  cpu: number;
  memory: number;
  config: Record<string, string>;
  serviceMonitor: boolean;
  rbac: boolean;
  secret: string | null;
  broken: boolean;
}

const TEAMS = ['payments', 'storefront', 'identity', 'platform', 'data', 'logistics', 'growth', 'support'];
const WORDS_A = [
  'billing', 'checkout', 'catalog', 'search', 'auth', 'orders', 'inventory', 'shipping', 'notify', 'users',
  'reports', 'analytics', 'pricing', 'cart', 'reviews', 'media', 'ledger', 'fraud', 'loyalty', 'coupons',
  'tax', 'invoices', 'returns', 'warehouse', 'tracking', 'sessions', 'profiles', 'feeds', 'recs', 'ads',
  'audit', 'mailer', 'sms', 'webhooks', 'exports', 'imports', 'scheduler', 'quotas', 'flags', 'geo',
];
const WORDS_B = [
  'api', 'worker', 'web', 'sync', 'cron', 'consumer', 'gateway', 'service', 'proxy', 'cache',
  'indexer', 'admin', 'grpc', 'events', 'batch', 'stream', 'jobs', 'bff', 'reader', 'writer',
];
const HUMANS: Person[] = [
  { name: 'Alice Müller', email: 'alice.mueller@acme.example', tz: '+0100' },
  { name: 'Bob Chen', email: 'bob.chen@acme.example', tz: '-0800' },
  { name: 'Chandra Patel', email: 'chandra@acme.example', tz: '+0530' },
  { name: 'Dmitri Ivanov', email: 'dmitri@acme.example', tz: '+0300' },
  { name: 'Emma Johansson', email: 'emma.j@acme.example', tz: '+0200' },
  { name: 'Fatima Al-Sayed', email: 'fatima@acme.example', tz: '+0400' },
  { name: 'Gabriel Silva', email: 'gabriel@acme.example', tz: '-0300' },
  { name: 'Hiro Tanaka', email: 'hiro@acme.example', tz: '+0900' },
];
const RENOVATE: Person = { name: 'renovate[bot]', email: '29139614+renovate[bot]@users.noreply.github.com', tz: '+0000' };
const GITHUB: Person = { name: 'GitHub', email: 'noreply@github.com', tz: '+0000' };
const CONFIG_KEYS = ['LOG_LEVEL', 'CACHE_TTL', 'POOL_SIZE', 'TIMEOUT_MS', 'FEATURE_NEW_UI', 'RATE_LIMIT', 'REGION', 'RETRIES'];

// ---------------------------------------------------------------------------------------------
// Rendering

function version(app: App): string {
  return `${app.major}.${app.minor}.${app.patch}`;
}

function renderDeployment(app: App): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app.name}
  namespace: ${app.team}
  labels:
    app.kubernetes.io/name: ${app.name}
    app.kubernetes.io/part-of: ${app.team}
    acme.example/environment: ${app.env}
spec:
  replicas: ${app.replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app.name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${app.name}
    spec:
      serviceAccountName: ${app.rbac ? app.name : 'default'}
      containers:
        - name: ${app.name}
          image: registry.acme.example/${app.team}/${app.name}:${version(app)}
          ports:
            - name: http
              containerPort: 8080
          envFrom:
            - configMapRef:
                name: ${app.name}-config${app.secret ? `\n            - secretRef:\n                name: ${app.name}-secrets` : ''}
          resources:
            requests:
              cpu: ${app.cpu}m
              memory: ${app.memory}Mi
            limits:
              memory: ${app.memory * 2}Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
`;
}

function renderService(app: App): string {
  const service = `apiVersion: v1
kind: Service
metadata:
  name: ${app.name}
  namespace: ${app.team}
spec:
  selector:
    app.kubernetes.io/name: ${app.name}
  ports:
    - name: http
      port: 80
      targetPort: http
`;
  if (!app.serviceMonitor) return service;
  return `${service}---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: ${app.name}
  namespace: ${app.team}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app.name}
  endpoints:
    - port: http
      interval: 30s
`;
}

function renderConfigMap(app: App): string {
  if (app.broken) {
    // A tab-indented key and an unclosed flow mapping: not valid YAML.
    return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app.name}-config\n\tnamespace: ${app.team}\ndata: {LOG_LEVEL: debug\n`;
  }
  const data = Object.keys(app.config)
    .sort()
    .map((k) => `  ${k}: "${app.config[k]}"`)
    .join('\n');
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${app.name}-config
  namespace: ${app.team}
data:
${data}
`;
}

function renderRbac(app: App): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${app.name}
  namespace: ${app.team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ${app.name}
  namespace: ${app.team}
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${app.name}
  namespace: ${app.team}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ${app.name}
subjects:
  - kind: ServiceAccount
    name: ${app.name}
`;
}

function renderSecret(app: App): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${app.name}-secrets
  namespace: ${app.team}
type: Opaque
stringData:
  DATABASE_URL: "postgres://${app.name}:${app.secret}@db.${app.env}.acme.internal:5432/${app.name.replaceAll('-', '_')}"
  API_KEY: "${app.secret}"
`;
}

function appFiles(app: App): Array<[string, string]> {
  const files: Array<[string, string]> = [
    [`${app.dir}/deployment.yaml`, renderDeployment(app)],
    [`${app.dir}/service.yaml`, renderService(app)],
    [`${app.dir}/configmap.yaml`, renderConfigMap(app)],
  ];
  if (app.rbac) files.push([`${app.dir}/rbac.yaml`, renderRbac(app)]);
  if (app.secret) files.push([`${app.dir}/secret.yaml`, renderSecret(app)]);
  return files;
}

function renderZone(zone: string, serial: number, records: string[]): string {
  return `$ORIGIN ${zone}.
$TTL 300
@   IN SOA ns1.${zone}. hostmaster.${zone}. (
        ${serial} ; serial
        3600       ; refresh
        600        ; retry
        604800     ; expire
        300 )      ; minimum
    IN NS ns1.${zone}.
    IN NS ns2.${zone}.
${records.join('\n')}
`;
}

function renderGateway(env: string, routes: Array<[string, string]>): string {
  const body = routes
    .map(([name, upstream]) => `  - name: ${name}\n    url: http://${upstream}\n    routes:\n      - name: ${name}\n        paths: ["/${name}"]\n        strip_path: true`)
    .join('\n');
  return `# API gateway declarative config for ${env} (not a Kubernetes object)
_format_version: "3.0"
services:
${body}
`;
}

const CHART_FILES: Record<string, (rev: number) => string> = {
  'charts/common-app/Chart.yaml': (rev) => `apiVersion: v2\nname: common-app\ndescription: Shared chart for simple services\nversion: 0.${rev}.0\nappVersion: "1.0.0"\n`,
  'charts/common-app/values.yaml': (rev) =>
    `replicaCount: ${1 + (rev % 3)}\nimage:\n  repository: registry.acme.example/platform/app\n  tag: "1.0.${rev}"\nservice:\n  port: 80\nresources: {}\n`,
  'charts/common-app/templates/deployment.yaml': (rev) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "common-app.fullname" . }}
  labels:
    {{- include "common-app.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          # template revision ${rev}
`,
  'charts/common-app/templates/_helpers.tpl': () =>
    `{{- define "common-app.fullname" -}}\n{{ .Release.Name }}-{{ .Chart.Name }}\n{{- end }}\n{{- define "common-app.labels" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\n{{- end }}\n`,
};

// ---------------------------------------------------------------------------------------------
// The fast-import stream

class Stream {
  private parts: string[] = [];
  private size = 0;
  private readonly write: (chunk: string) => Promise<void>;
  blobs = 0;

  constructor(write: (chunk: string) => Promise<void>) {
    this.write = write;
  }

  add(text: string): void {
    this.parts.push(text);
    this.size += text.length;
  }

  data(content: string): void {
    this.add(`data ${Buffer.byteLength(content)}\n${content}\n`);
  }

  file(path: string, content: string): void {
    this.blobs += 1;
    this.add(`M 100644 inline ${path}\n`);
    this.data(content);
  }

  async maybeFlush(): Promise<void> {
    if (this.size >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.write(chunk);
  }
}

interface Change {
  files?: Array<[string, string]>;
  deletes?: string[];
  renames?: Array<[string, string]>;
}

/** Generate the repository in `dir` (created if needed; must be empty). */
export async function generateRepo(dir: string, options: GenerateOptions = {}): Promise<GenerateResult> {
  const started = performance.now();
  const total = Math.max(1, Math.floor(options.commits ?? 20_000));
  const envs = options.environments ?? ['dev', 'staging', 'prod'];
  const appsPerEnv = Math.max(1, Math.floor(options.appsPerEnv ?? 700));
  const rand = prng(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const chance = (p: number): boolean => rand() < p;

  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
  mkdirSync(dir, { recursive: true });
  await git(dir, ['init', '-q', ...(options.bare ? ['--bare'] : []), '-b', 'main', dir]);

  // --- model -------------------------------------------------------------------------------
  const names: string[] = [];
  for (const b of WORDS_B) for (const a of WORDS_A) names.push(`${a}-${b}`);
  for (let i = names.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [names[i], names[j]] = [names[j] as string, names[i] as string];
  }
  while (names.length < appsPerEnv) names.push(`svc-${names.length}`);
  const usedNames = new Set<string>();
  const apps: App[] = [];
  for (let i = 0; i < appsPerEnv; i += 1) {
    const name = names[i] as string;
    usedNames.add(name);
    const team = TEAMS[i % TEAMS.length] as string;
    const base = {
      major: 1 + Math.floor(rand() * 3),
      minor: Math.floor(rand() * 20),
      patch: Math.floor(rand() * 10),
      serviceMonitor: chance(0.3),
      rbac: chance(0.1),
      hasSecret: chance(0.05),
      initially: chance(0.65),
    };
    for (const env of envs) {
      const config: Record<string, string> = {};
      for (const key of CONFIG_KEYS) if (chance(0.6)) config[key] = `${Math.floor(rand() * 100)}`;
      config.LOG_LEVEL = env === 'prod' ? 'info' : 'debug';
      apps.push({
        env,
        name,
        team,
        dir: `clusters/${env}/${name}`,
        present: base.initially,
        major: base.major,
        minor: base.minor,
        patch: base.patch,
        replicas: env === 'prod' ? 3 : 1,
        cpu: 50 + Math.floor(rand() * 10) * 50,
        memory: 128 * (1 + Math.floor(rand() * 8)),
        config,
        serviceMonitor: base.serviceMonitor,
        rbac: base.rbac,
        secret: base.hasSecret ? `s3cr3t-${Math.floor(rand() * 1e9).toString(36)}` : null,
        broken: false,
      });
    }
  }
  const byKey = new Map(apps.map((a) => [`${a.env}/${a.name}`, a]));
  const zones = ['acme.example', 'internal.acme.example'].map((zone) => ({
    zone,
    serial: 2023010100,
    records: Array.from({ length: 12 }, (_, i) => `host${i} IN A 10.0.${i}.${Math.floor(rand() * 250) + 1}`),
  }));
  const gateways = new Map(
    envs.map((env) => [env, Array.from({ length: 15 }, (_, i) => [`route-${i}`, `${names[i]}.${TEAMS[i % TEAMS.length]}.svc`] as [string, string])]),
  );
  let chartRev = 1;
  const groupedTeams = new Set<string>();
  const present = (): App[] => apps.filter((a) => a.present);
  /** A random present app; rejection sampling, as most apps are present most of the time. */
  const pickPresent = (): App => {
    for (let i = 0; i < 64; i += 1) {
      const app = apps[Math.floor(rand() * apps.length)] as App;
      if (app.present) return app;
    }
    return pick(present());
  };

  // --- time --------------------------------------------------------------------------------
  let now = Math.floor(Date.parse(options.start ?? '2023-01-02T09:00:00Z') / 1000);
  const step = ((options.spanDays ?? 730) * 86400) / total;
  const tick = (): number => {
    now += Math.max(1, Math.round(step * (0.1 + 1.8 * rand())));
    return now;
  };
  const stamp = (p: Person, at: number): string => `${p.name} <${p.email}> ${at} ${p.tz}`;

  // --- process -----------------------------------------------------------------------------
  const child = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: dir,
    env: gitEnv(),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  child.stdin.on('error', () => undefined); // reported through the exit code and stderr
  const stream = new Stream(
    (chunk) =>
      new Promise<void>((resolve) => {
        if (child.stdin.write(chunk)) resolve();
        else child.stdin.once('drain', () => resolve());
      }),
  );
  stream.add('feature done\n');

  let mark = 0;
  let made = 0;
  let merges = 0;
  let mainHead = 0;
  const recentMain: number[] = [];
  let prNumber = 100;

  const emit = (args: { author: Person; committer?: Person; message: string; from?: number; merge?: number; change: Change }): number => {
    mark += 1;
    made += 1;
    const at = tick();
    stream.add(`commit refs/heads/main\nmark :${mark}\n`);
    stream.add(`author ${stamp(args.author, at)}\n`);
    stream.add(`committer ${stamp(args.committer ?? args.author, at)}\n`);
    stream.data(args.message);
    if (args.from !== undefined) stream.add(`from :${args.from}\n`);
    if (args.merge !== undefined) stream.add(`merge :${args.merge}\n`);
    for (const path of args.change.deletes ?? []) stream.add(`D ${path}\n`);
    for (const [from, to] of args.change.renames ?? []) stream.add(`R ${from} ${to}\n`);
    for (const [path, content] of args.change.files ?? []) stream.file(path, content);
    stream.add('\n');
    return mark;
  };
  const onMain = (args: { author: Person; committer?: Person; message: string; change: Change; merge?: number }): void => {
    const m = emit({ ...args, ...(mainHead ? { from: mainHead } : {}) });
    mainHead = m;
    recentMain.push(m);
    if (recentMain.length > 4) recentMain.shift();
  };
  // Not every PR lands on main (closed ones, other branches): numbers grow a little faster than commits.
  const pr = (): number => (prNumber += chance(0.8) ? 1 : 2);

  // --- the initial commit --------------------------------------------------------------------
  {
    const files: Array<[string, string]> = [['README.md', '# infra\n\nDesired state of every environment. Managed by Flux.\n']];
    for (const app of present()) files.push(...appFiles(app));
    for (const z of zones) files.push([`dns/zones/${z.zone}.zone`, renderZone(z.zone, z.serial, z.records)]);
    for (const [env, routes] of gateways) files.push([`gateway/routes-${env}.yaml`, renderGateway(env, routes)]);
    for (const [path, render] of Object.entries(CHART_FILES)) files.push([path, render(chartRev)]);
    onMain({ author: HUMANS[0] as Person, message: 'Import infrastructure repository\n', change: { files } });
  }

  // --- operations ----------------------------------------------------------------------------
  const pendingFixes: Array<{ app: App; due: number }> = [];

  const bump = (): Change & { message: string; author: Person } => {
    const app = pickPresent();
    if (chance(0.1)) {
      app.minor += 1;
      app.patch = 0;
    } else app.patch += 1;
    const suffix = chance(0.7) ? ` (#${pr()})` : '';
    return {
      author: RENOVATE,
      message: `chore(deps): update image ${app.team}/${app.name} to v${version(app)}${suffix}\n\nThis PR contains the following updates:\n\n| Package | Update | Change |\n|---|---|---|\n| registry.acme.example/${app.team}/${app.name} | patch | \`${version(app)}\` |\n`,
      files: [[`${app.dir}/deployment.yaml`, renderDeployment(app)]],
    };
  };

  const configChange = (): Change & { message: string; author: Person } => {
    const app = pickPresent();
    const author = pick(HUMANS);
    const kind = rand();
    let subject: string;
    let files: Array<[string, string]>;
    if (kind < 0.5) {
      const key = pick(CONFIG_KEYS);
      app.config[key] = `${Math.floor(rand() * 1000)}`;
      subject = `${app.name}: set ${key} in ${app.env}`;
      files = [[`${app.dir}/configmap.yaml`, renderConfigMap(app)]];
    } else if (kind < 0.8) {
      app.replicas = Math.max(1, app.replicas + (chance(0.5) ? 1 : -1));
      subject = `Scale ${app.name} in ${app.env} to ${app.replicas} replica${app.replicas === 1 ? '' : 's'}`;
      files = [[`${app.dir}/deployment.yaml`, renderDeployment(app)]];
    } else {
      app.memory = 128 * (1 + Math.floor(rand() * 8));
      subject = `Raise ${app.name} memory in ${app.env}`;
      files = [[`${app.dir}/deployment.yaml`, renderDeployment(app)]];
    }
    if (app.broken) {
      app.broken = false;
      files.push([`${app.dir}/configmap.yaml`, renderConfigMap(app)]);
    }
    return { author, message: `${subject} (#${pr()})\n`, files };
  };

  const promote = (): Change & { message: string; author: Person } => {
    const target = envs.length > 1 ? pickPresent() : undefined;
    if (target && target.env === envs[0]) return bump();
    const previousEnv = envs[Math.max(0, envs.indexOf(target?.env ?? '') - 1)] as string;
    const source = target ? byKey.get(`${previousEnv}/${target.name}`) : undefined;
    if (!target || !source || !source.present) return bump();
    target.major = source.major;
    target.minor = source.minor;
    target.patch = source.patch + (version(source) === version(target) ? 1 : 0);
    return {
      author: pick(HUMANS),
      message: `Promote ${target.name} ${version(target)} to ${target.env} (#${pr()})\n\nVerified in ${previousEnv}.\n`,
      files: [[`${target.dir}/deployment.yaml`, renderDeployment(target)]],
    };
  };

  const onboard = (): (Change & { message: string; author: Person }) | null => {
    const candidates = apps.filter((a) => !a.present);
    if (candidates.length === 0) return null;
    const app = pick(candidates);
    app.present = true;
    return { author: pick(HUMANS), message: `Add ${app.name} to ${app.env} (#${pr()})\n`, files: appFiles(app) };
  };

  const remove = (): (Change & { message: string; author: Person }) | null => {
    if (present().length < 10) return null;
    const app = pickPresent();
    app.present = false;
    app.broken = false;
    return { author: pick(HUMANS), message: `Decommission ${app.name} in ${app.env} (#${pr()})\n`, deletes: [app.dir] };
  };

  const renameApp = (): (Change & { message: string; author: Person }) | null => {
    const app = pickPresent();
    const newName = `${app.name}-v2`;
    if (usedNames.has(newName) || byKey.has(`${app.env}/${newName}`)) return null;
    const oldDir = app.dir;
    byKey.delete(`${app.env}/${app.name}`);
    app.name = newName;
    app.dir = `${oldDir.slice(0, oldDir.lastIndexOf('/'))}/${newName}`;
    byKey.set(`${app.env}/${app.name}`, app);
    // Folder rename, then the manifests follow the new name (git sees renames with a score < 100).
    return {
      author: pick(HUMANS),
      message: `Rename ${oldDir.slice(oldDir.lastIndexOf('/') + 1)} to ${newName} in ${app.env} (#${pr()})\n`,
      renames: [[oldDir, app.dir]],
      files: [[`${app.dir}/deployment.yaml`, renderDeployment(app)]],
    };
  };

  const groupTeam = (): (Change & { message: string; author: Person }) | null => {
    const env = pick(envs);
    const team = pick(TEAMS);
    if (groupedTeams.has(`${env}/${team}`)) return null;
    groupedTeams.add(`${env}/${team}`);
    const renames: Array<[string, string]> = [];
    for (const app of apps) {
      if (app.env !== env || app.team !== team) continue;
      const to = `clusters/${env}/${team}/${app.name}`;
      if (app.present) renames.push([app.dir, to]);
      app.dir = to;
    }
    if (renames.length === 0) return null;
    return {
      author: pick(HUMANS),
      message: `Group ${team} apps under clusters/${env}/${team} (#${pr()})\n\nPure move, no manifest changes.\n`,
      renames,
    };
  };

  const breakYaml = (): Change & { message: string; author: Person } => {
    const app = pickPresent();
    app.broken = true;
    pendingFixes.push({ app, due: made + 1 + Math.floor(rand() * 5) });
    return { author: pick(HUMANS), message: `Tweak ${app.name} logging in ${app.env}\n`, files: [[`${app.dir}/configmap.yaml`, renderConfigMap(app)]] };
  };

  const fixYaml = (app: App): Change & { message: string; author: Person } => {
    app.broken = false;
    return {
      author: pick(HUMANS),
      message: `Fix YAML in ${app.name} configmap (${app.env}) (#${pr()})\n`,
      files: app.present ? [[`${app.dir}/configmap.yaml`, renderConfigMap(app)]] : [],
    };
  };

  const chart = (): Change & { message: string; author: Person } => {
    chartRev += 1;
    const path = pick(['charts/common-app/templates/deployment.yaml', 'charts/common-app/values.yaml', 'charts/common-app/Chart.yaml']);
    return { author: pick(HUMANS), message: `common-app chart: revision ${chartRev} (#${pr()})\n`, files: [[path, (CHART_FILES[path] as (rev: number) => string)(chartRev)]] };
  };

  const dns = (): Change & { message: string; author: Person } => {
    const z = pick(zones);
    z.serial += 1;
    z.records.push(`svc${z.records.length} IN CNAME lb-${Math.floor(rand() * 9)}.${z.zone}.`);
    return { author: pick(HUMANS), message: `dns: add record to ${z.zone} (#${pr()})\n`, files: [[`dns/zones/${z.zone}.zone`, renderZone(z.zone, z.serial, z.records)]] };
  };

  const gateway = (): Change & { message: string; author: Person } => {
    const env = pick(envs);
    const routes = gateways.get(env) as Array<[string, string]>;
    routes.push([`route-${routes.length}`, `${pick(names)}.${pick(TEAMS)}.svc`]);
    return { author: pick(HUMANS), message: `gateway(${env}): add route-${routes.length - 1} (#${pr()})\n`, files: [[`gateway/routes-${env}.yaml`, renderGateway(env, routes)]] };
  };

  const rotateSecret = (): (Change & { message: string; author: Person }) | null => {
    const app = present().find((a) => a.secret !== null && chance(0.2));
    if (!app) return null;
    app.secret = `s3cr3t-${Math.floor(rand() * 1e9).toString(36)}`;
    return { author: pick(HUMANS), message: `Rotate ${app.name} credentials in ${app.env}\n`, files: [[`${app.dir}/secret.yaml`, renderSecret(app)]] };
  };

  const single = (): Change & { message: string; author: Person } => {
    const due = pendingFixes.findIndex((f) => f.due <= made);
    if (due >= 0) {
      const [fix] = pendingFixes.splice(due, 1);
      return fixYaml((fix as { app: App }).app);
    }
    const r = rand();
    const op =
      r < 0.62 ? bump() :
      r < 0.8 ? configChange() :
      r < 0.86 ? promote() :
      r < 0.89 ? onboard() :
      r < 0.9 ? remove() :
      r < 0.903 ? renameApp() :
      r < 0.9045 ? groupTeam() :
      r < 0.908 ? breakYaml() :
      r < 0.915 ? chart() :
      r < 0.93 ? dns() :
      r < 0.945 ? gateway() :
      r < 0.95 ? rotateSecret() :
      configChange();
    return op ?? bump();
  };

  while (made < total) {
    const left = total - made;
    if (left >= 3 && chance(0.03)) {
      // A feature branch of 1–2 commits from a recent main commit, merged with a merge commit.
      const base = pick(recentMain);
      const branchCommits = Math.min(left - 1, 1 + Math.floor(rand() * 2));
      const number = pr();
      const author = pick(HUMANS);
      const touched = new Map<string, string>();
      let tip = base;
      let title = '';
      for (let i = 0; i < branchCommits; i += 1) {
        const op = configChange();
        op.message = op.message.replace(/ \(#\d+\)\n$/, '\n');
        title ||= op.message.trim();
        for (const [p, c] of op.files ?? []) touched.set(p, c);
        tip = emit({ author, message: op.message, from: tip, change: { files: op.files ?? [] } });
      }
      merges += 1;
      onMain({
        author,
        committer: GITHUB,
        message: `Merge pull request #${number} from acme/${author.name.split(' ')[0]?.toLowerCase()}/change-${number}\n\n${title}\n`,
        merge: tip,
        change: { files: [...touched] },
      });
    } else {
      const { author, message, ...change } = single();
      onMain({ author, message, change });
    }
    await stream.maybeFlush();
  }

  stream.add('done\n');
  await stream.flush();
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import failed (${code}): ${stderr.trim()}`);
  if (!options.bare) await git(dir, ['reset', '-q', '--hard', 'main']);

  let files = 1 + Object.keys(CHART_FILES).length + zones.length + gateways.size;
  for (const app of apps) if (app.present) files += 3 + (app.rbac ? 1 : 0) + (app.secret ? 1 : 0);
  return {
    dir,
    commits: made,
    files,
    blobs: stream.blobs,
    mergeCommits: merges,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

function isMain(): boolean {
  if (typeof require !== 'undefined' && typeof module !== 'undefined') return require.main === module;
  return /(^|[\\/])git-index[\\/]generate\.(ts|js|mjs)$/.test(process.argv[1] ?? '');
}

async function main(argv: string[]): Promise<void> {
  const options: GenerateOptions = {};
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const value = (): number => {
      const v = Number(argv[(i += 1)]);
      if (!Number.isFinite(v)) throw new Error(`${arg} needs a number`);
      return v;
    };
    if (arg === '--commits') options.commits = value();
    else if (arg === '--apps') options.appsPerEnv = value();
    else if (arg === '--seed') options.seed = value();
    else if (arg === '--bare') options.bare = true;
    else if (arg === '--envs') options.environments = (argv[(i += 1)] ?? '').split(',').filter(Boolean);
    else if (!arg.startsWith('-') && dir === undefined) dir = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!dir) throw new Error('usage: node bench/git-index/generate.ts <dir> [--commits N] [--apps N] [--seed N] [--envs a,b] [--bare]');
  const r = await generateRepo(dir, options);
  process.stdout.write(
    `generated ${r.dir}: ${r.commits} commits (${r.mergeCommits} merges), ${r.files} files, ${r.blobs} blobs, ${r.seconds}s\n`,
  );
}

if (isMain()) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
