import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { gitIndexer } from '../support/git-index';

/** `git cat-file --batch` processes working in `dir` (read from /proc: a reader the indexer forgot to close). */
function catFilesIn(dir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'git\0cat-file\0--batch\0' && readlinkSync(`/proc/${pid}/cwd`) === dir) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: ${image}
          envFrom:
            - configMapRef: { name: web-config }
`;
const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports: [{ port: 80 }]
`;
const baseKustomization = (greeting: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml, service.yaml]
configMapGenerator:
  - name: web-config
    literals: [GREETING=${greeting}]
`;
const overlay = (env: string, replicas: number, extra = '') => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${env}
resources: [../../base]
patches:
  - path: replicas.yaml
${extra}`;
const replicasPatch = (n: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec: { replicas: ${n} }
`;
const ENVS = ['dev', 'staging', 'prod'];

const kustomizeEnv = (name: string) => ({ name, repository: 'infra', paths: [`overlays/${name}/**`], render: 'kustomize', entries: [`overlays/${name}`] });

interface Rev {
  environment: string;
  kind: string;
  namespace: string;
  name: string;
  change: string;
  path: string;
  commit_sha: string;
}

describe('git index: kustomize rendering across history', () => {
  let repo: GitRepoBuilder;
  const sha: Record<string, string> = {};

  beforeAll(async () => {
    repo = await GitRepoBuilder.create();
    const files: Record<string, string> = {
      'base/kustomization.yaml': baseKustomization('hello'),
      'base/deployment.yaml': deployment('registry.example.com/web:1.0.0'),
      'base/service.yaml': service,
      'README.md': '# infra\n',
    };
    ENVS.forEach((e, i) => {
      files[`overlays/${e}/kustomization.yaml`] = overlay(e, i + 1);
      files[`overlays/${e}/replicas.yaml`] = replicasPatch(i + 1);
    });
    sha.initial = await repo.commit({ files, message: 'initial' });
    sha.base = await repo.commit({ files: { 'base/deployment.yaml': deployment('registry.example.com/web:1.1.0') }, message: 'base: bump web' });
    sha.overlay = await repo.commit({ files: { 'overlays/prod/replicas.yaml': replicasPatch(9) }, message: 'prod: scale web' });
    sha.unrelated = await repo.commit({ files: { 'README.md': '# infra\n\nMore docs.\n', 'docs/runbook.md': 'restart it\n' }, message: 'docs only' });
    sha.generator = await repo.commit({ files: { 'base/kustomization.yaml': baseKustomization('bonjour') }, message: 'base: new greeting' });
    sha.helm = await repo.commit({
      files: { 'overlays/staging/kustomization.yaml': overlay('staging', 2, 'helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n    version: 1.0.0\n') },
      message: 'staging: add a helm chart',
    });
    sha.afterHelm = await repo.commit({ files: { 'base/service.yaml': service.replace('port: 80', 'port: 8080') }, message: 'base: service port' });
    sha.fixed = await repo.commit({ files: { 'overlays/staging/kustomization.yaml': overlay('staging', 2) }, message: 'staging: drop the chart' });
    sha.flux = await repo.commit({
      files: {
        'clusters/prod/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: apps, namespace: flux-system }
spec:
  interval: 10m
  path: ./overlays/prod
  prune: true
  sourceRef: { kind: GitRepository, name: flux-system }
`,
      },
      message: 'flux: apps for prod',
    });
  });
  afterAll(async () => {
    await repo.cleanup();
  });

  const config = () => ({
    repositories: [{ name: 'infra', path: repo.dir }],
    environments: [
      ...ENVS.map(kustomizeEnv),
      { name: 'flux-prod', repository: 'infra', paths: ['clusters/prod/**'], render: 'auto' },
    ],
  });

  async function revisions(db: TestDatabase): Promise<Rev[]> {
    return db.dataSource.query(
      `SELECT dr.environment, o.kind, o.namespace, o.name, dr.change, dr.path, dr.commit_sha FROM desired_revisions dr JOIN objects o ON o.id = dr.object_id
        ORDER BY dr.commit_seq, dr.environment, o.kind, o.name`,
    );
  }
  const at = (revs: Rev[], commit: string) => revs.filter((r) => r.commit_sha === commit).map((r) => `${r.environment} ${r.change} ${r.kind} ${r.namespace}/${r.name}`);

  describe('one index of the whole history', () => {
    let db: TestDatabase;
    let revs: Rev[];
    beforeAll(async () => {
      db = await freshDatabase();
      const s = await gitIndexer(db.dataSource, config()).index();
      expect(s.commits).toBe(Object.keys(sha).length);
      revs = await revisions(db);
    });
    afterAll(async () => {
      await db.drop();
    });

    it('makes the rendered overlay the desired state, with generator hash suffixes and namespaces, not the raw fragments', async () => {
      const initial = at(revs, sha.initial!);
      for (const e of ENVS) {
        const mine = initial.filter((r) => r.startsWith(`${e} `));
        expect(mine).toHaveLength(3);
        expect(mine).toContain(`${e} created Deployment ${e}/web`);
        expect(mine).toContain(`${e} created Service ${e}/web`);
        expect(mine.find((r) => r.includes('ConfigMap'))).toMatch(new RegExp(`^${e} created ConfigMap ${e}/web-config-[a-z0-9]{10}$`));
      }
      // The overlay's replicas.yaml patch is not a desired object on its own (it would be Deployment default/web).
      expect(revs.filter((r) => r.namespace === 'default')).toEqual([]);
      expect(new Set(revs.filter((r) => r.environment !== 'flux-prod').map((r) => r.path))).toEqual(new Set(ENVS.map((e) => `overlays/${e}`)));
      const body = await db.dataSource.query(
        `SELECT d.body FROM desired_current dc JOIN objects o ON o.id = dc.object_id JOIN documents d ON d.hash = dc.document_hash WHERE dc.environment = 'prod' AND o.kind = 'Deployment'`,
      );
      expect(body[0].body.spec.replicas).toBe(9);
      expect(body[0].body.spec.template.spec.containers[0].envFrom[0].configMapRef.name).toMatch(/^web-config-[a-z0-9]{10}$/);
    });

    it('shows a base change as a desired change in every overlay environment', () => {
      expect(at(revs, sha.base!)).toEqual(ENVS.map((e) => `${e} configured Deployment ${e}/web`).sort());
    });

    it('shows an overlay-only change only in its own environment', () => {
      expect(at(revs, sha.overlay!)).toEqual(['prod configured Deployment prod/web']);
    });

    it('renders nothing at a commit that touches no closure', async () => {
      expect(at(revs, sha.unrelated!)).toEqual([]);
      const renders = await db.dataSource.query(`SELECT environment, entry FROM kustomize_renders WHERE commit_sha = $1`, [sha.unrelated]);
      expect(renders).toEqual([]);
      const overlayOnly = await db.dataSource.query(`SELECT environment, entry, status FROM kustomize_renders WHERE commit_sha = $1 ORDER BY environment`, [sha.overlay]);
      expect(overlayOnly).toEqual([{ environment: 'prod', entry: 'overlays/prod', status: 'ok' }]);
    });

    it('gives generated ConfigMaps a new hash-suffixed name when their content changes', () => {
      const changes = at(revs, sha.generator!);
      for (const e of ENVS) {
        expect(changes).toContain(`${e} configured Deployment ${e}/web`);
        expect(changes.filter((c) => c.startsWith(`${e} created ConfigMap ${e}/web-config-`))).toHaveLength(1);
        expect(changes.filter((c) => c.startsWith(`${e} deleted ConfigMap ${e}/web-config-`))).toHaveLength(1);
      }
    });

    it('records an unsupported feature with file and field and keeps the entry’s previous objects', async () => {
      const rows = await db.dataSource.query(`SELECT environment, entry, status, objects, problems FROM kustomize_renders WHERE commit_sha = $1`, [sha.helm]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ environment: 'staging', entry: 'overlays/staging', status: 'problems', objects: 3 });
      expect(rows[0].problems).toEqual([expect.objectContaining({ file: 'overlays/staging/kustomization.yaml', field: 'helmCharts', code: 'unsupported' })]);
      expect(at(revs, sha.helm!)).toEqual([]);
      // While staging is broken a base change reaches dev and prod only; fixing staging brings it in.
      expect(at(revs, sha.afterHelm!)).toEqual(['dev configured Service dev/web', 'prod configured Service prod/web']);
      expect(at(revs, sha.fixed!)).toEqual(['staging configured Service staging/web']);
      const staging = await db.dataSource.query(`SELECT count(*)::int AS n FROM desired_current WHERE environment = 'staging'`);
      expect(staging[0].n).toBe(3);
    });

    it('follows a Flux Kustomization to its path with render: auto', async () => {
      const flux = at(revs, sha.flux!);
      expect(flux).toContain('flux-prod created Kustomization flux-system/apps');
      expect(flux).toContain('flux-prod created Deployment prod/web');
      expect(flux).toContain('flux-prod created Service prod/web');
      expect(flux.filter((c) => c.startsWith('flux-prod created ConfigMap prod/web-config-'))).toHaveLength(1);
      const r = await db.dataSource.query(`SELECT entry, source, status FROM kustomize_renders WHERE environment = 'flux-prod'`);
      expect(r).toEqual([{ entry: 'overlays/prod', source: 'flux', status: 'ok' }]);
      // The same objects as the prod environment renders from the same overlay.
      const docs = await db.dataSource.query(
        `SELECT dc.environment, o.kind, o.name, dc.document_hash FROM desired_current dc JOIN objects o ON o.id = dc.object_id
          WHERE dc.environment IN ('prod', 'flux-prod') AND o.kind <> 'Kustomization' ORDER BY o.kind, o.name, dc.environment`,
      );
      expect(docs).toHaveLength(6);
      for (let i = 0; i < 6; i += 2) expect(docs[i].document_hash).toBe(docs[i + 1].document_hash);
    });
  });

  it.skipIf(!existsSync('/usr/bin/kubectl'))('renders with kubectl kustomize under renderer: binary, to the same desired objects as the built-in renderer', async () => {
    const db = await freshDatabase();
    try {
      await gitIndexer(db.dataSource, {
        repositories: [{ name: 'infra', path: repo.dir }],
        environments: [kustomizeEnv('dev'), { ...kustomizeEnv('dev'), name: 'dev-binary', renderer: 'binary' }],
      }).index();
      const current = await db.dataSource.query(
        `SELECT dc.environment, o.kind, o.namespace, o.name, dc.document_hash FROM desired_current dc JOIN objects o ON o.id = dc.object_id ORDER BY o.kind, o.name, dc.environment`,
      );
      const builtin = current.filter((r: { environment: string }) => r.environment === 'dev').map(({ environment: _, ...r }: Record<string, string>) => r);
      const binary = current.filter((r: { environment: string }) => r.environment === 'dev-binary').map(({ environment: _, ...r }: Record<string, string>) => r);
      expect(builtin).toHaveLength(3);
      expect(binary).toEqual(builtin);
      const renders = await db.dataSource.query(`SELECT DISTINCT renderer, status FROM kustomize_renders WHERE environment = 'dev-binary'`);
      expect(renders).toEqual([{ renderer: 'binary', status: 'ok' }]);
    } finally {
      await db.drop();
    }
  });

  const snapshot = async (db: TestDatabase) => {
    const q = (sql: string) => db.dataSource.query(sql).then((rows: unknown[]) => JSON.stringify(rows));
    return {
      revisions: await q(`SELECT dr.environment, o.kind, o.namespace, o.name, dr.commit_sha, dr.document_hash, dr.change, dr.path, dr.hash FROM desired_revisions dr JOIN objects o ON o.id = dr.object_id ORDER BY 1, 5, 2, 4`),
      current: await q(`SELECT dc.environment, o.kind, o.name, dc.document_hash, dc.path FROM desired_current dc JOIN objects o ON o.id = dc.object_id ORDER BY 1, 2, 3`),
      renders: await q(`SELECT environment, entry, commit_sha, commit_seq, source, renderer, status, objects, problems FROM kustomize_renders ORDER BY 1, 2, 4`),
      entries: await q(`SELECT environment, entry, state FROM kustomize_entries ORDER BY 1, 2`),
      documents: await q(`SELECT hash FROM documents ORDER BY hash`),
    };
  };

  it('ends with the same rows when a run stops after any batch and is resumed', async () => {
    const clean = await freshDatabase();
    const stopped = await freshDatabase();
    try {
      await gitIndexer(clean.dataSource, config()).index();
      const expected = await snapshot(clean);
      for (const stopAfter of [1, 3, 5]) {
        await stopped.dataSource.query(`TRUNCATE repositories, kustomize_entries, desired_files, desired_current, desired_revisions CASCADE`);
        const ix = gitIndexer(stopped.dataSource, config());
        await expect(ix.index({ batchSize: 1, afterBatch: (n) => { if (n === stopAfter) throw new Error('stopped'); } })).rejects.toThrow('stopped');
        // The stopped run closed its blob reader (a server retrying a failing repository kept one per run).
        expect(catFilesIn(repo.dir)).toEqual([]);
        const s = await gitIndexer(stopped.dataSource, config()).index({ batchSize: 2 });
        expect(s.newCommits).toBe(Object.keys(sha).length - stopAfter);
        expect(await snapshot(stopped)).toEqual(expected);
      }
    } finally {
      await clean.drop();
      await stopped.drop();
    }
  });

  // The compiled worker (npm test builds first): the indexer loads it only from the build.
  const workerScript = join(__dirname, '..', '..', 'api', 'dist', 'api', 'src', 'git', 'render-worker.js');

  it('renders in worker threads to the same rows as in this thread, also when resumed', async () => {
    expect(existsSync(workerScript), `${workerScript} is missing: run npm run build -w api`).toBe(true);
    const clean = await freshDatabase();
    const pooled = await freshDatabase();
    try {
      await gitIndexer(clean.dataSource, config()).index({ renderWorkers: 0 });
      const expected = await snapshot(clean);
      // One commit per batch: runs of 5 and 4 batches on two workers (the second catches up first);
      // two per batch on three workers; and a run stopped after 3 commits, resumed on two workers.
      for (const [workers, batchSize] of [[2, 1], [3, 2]] as const) {
        await pooled.dataSource.query(`TRUNCATE repositories, kustomize_entries, desired_files, desired_current, desired_revisions, documents CASCADE`);
        await gitIndexer(pooled.dataSource, config()).index({ batchSize, renderWorkers: workers, renderWorkerScript: workerScript });
        expect(await snapshot(pooled)).toEqual(expected);
      }
      await pooled.dataSource.query(`TRUNCATE repositories, kustomize_entries, desired_files, desired_current, desired_revisions, documents CASCADE`);
      const ix = gitIndexer(pooled.dataSource, config());
      await expect(ix.index({ batchSize: 1, renderWorkers: 2, renderWorkerScript: workerScript, afterBatch: (n) => { if (n === 3) throw new Error('stopped'); } })).rejects.toThrow('stopped');
      await gitIndexer(pooled.dataSource, config()).index({ batchSize: 1, renderWorkers: 2, renderWorkerScript: workerScript });
      expect(await snapshot(pooled)).toEqual(expected);
    } finally {
      await clean.drop();
      await pooled.drop();
    }
  });

  it('stops the run with the worker’s error when a render worker fails', async () => {
    const db = await freshDatabase();
    try {
      // A worker script that is not a render worker: it exits at once.
      const bogus = join(__dirname, '..', 'support', 'exit-worker.cjs');
      await expect(gitIndexer(db.dataSource, config()).index({ batchSize: 1, renderWorkers: 2, renderWorkerScript: bogus })).rejects.toThrow(/render worker/);
      const last = await db.dataSource.query(`SELECT last_indexed_sha, last_error FROM repositories`);
      expect(last[0].last_error).toMatch(/render worker/);
    } finally {
      await db.drop();
    }
  });

  it('reports a file of the closure that is over maxFileSize, naming it, and keeps the previous objects', async () => {
    const big = await GitRepoBuilder.create();
    const db = await freshDatabase();
    try {
      const files: Record<string, string> = {
        'base/kustomization.yaml': 'resources: [app.yaml]\n',
        'base/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {size: small}\n',
        'overlays/prod/kustomization.yaml': 'resources: [../../base]\nnamespace: prod\n',
      };
      const first = await big.commit({ files, message: 'small' });
      const second = await big.commit({ files: { 'base/app.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {size: "${'x'.repeat(4000)}"}\n` }, message: 'too big' });
      await gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: big.dir, maxFileSize: 2048 }], environments: [kustomizeEnv('prod')] }).index();
      const renders = await db.dataSource.query(`SELECT commit_sha, status, objects, problems FROM kustomize_renders ORDER BY commit_seq`);
      expect(renders.map((r: { commit_sha: string; status: string }) => [r.commit_sha, r.status])).toEqual([[first, 'ok'], [second, 'problems']]);
      expect(renders[1].problems).toContainEqual(expect.objectContaining({ file: 'base/app.yaml', message: expect.stringMatching(/could not be read: \d+ bytes, over the repository's maxFileSize/) }));
      const current = await db.dataSource.query(`SELECT o.kind, o.namespace, o.name FROM desired_current dc JOIN objects o ON o.id = dc.object_id`);
      expect(current).toEqual([{ kind: 'ConfigMap', namespace: 'prod', name: 'app' }]);
    } finally {
      await db.drop();
      await big.cleanup();
    }
  });
});
