import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { gitIndexer } from '../support/git-index';

/**
 * render: auto through a Flux Kustomization with spec.postBuild.substitute: the desired state is
 * the substituted output (as kustomize-controller applies it), a change of a variable in the Flux
 * object is a desired change, and substituteFrom (cluster ConfigMaps) is a reported problem that
 * keeps the previous objects.
 */
const app = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { cluster: "\${CLUSTER_NAME}", tier: "\${TIER:=frontend}" }
spec:
  replicas: \${REPLICAS}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: registry.example.com/web:\${TAG}
          command: ["sh", "-c", "exec web --home $HOME"]
`;
const fluxKs = (vars: Record<string, string>, from = false) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: apps, namespace: flux-system }
spec:
  interval: 10m
  path: ./apps/web
  prune: true
  targetNamespace: shop
  sourceRef: { kind: GitRepository, name: flux-system }
  postBuild:
    substitute:
${Object.entries(vars).map(([k, v]) => `      ${k}: "${v}"`).join('\n')}
${from ? '    substituteFrom:\n      - { kind: ConfigMap, name: cluster-vars }\n' : ''}`;

describe('Flux post-build substitution across history', () => {
  let repo: GitRepoBuilder;
  let db: TestDatabase;
  const sha: Record<string, string> = {};
  beforeAll(async () => {
    repo = await GitRepoBuilder.create();
    sha.initial = await repo.commit({
      files: { 'apps/web/deployment.yaml': app, 'clusters/prod/apps.yaml': fluxKs({ CLUSTER_NAME: 'prod-eu', REPLICAS: '3', TAG: '1.4.2' }) },
      message: 'web for prod',
    });
    sha.bump = await repo.commit({ files: { 'clusters/prod/apps.yaml': fluxKs({ CLUSTER_NAME: 'prod-eu', REPLICAS: '3', TAG: '1.5.0' }) }, message: 'prod: web 1.5.0' });
    sha.from = await repo.commit({ files: { 'clusters/prod/apps.yaml': fluxKs({ CLUSTER_NAME: 'prod-eu', REPLICAS: '5', TAG: '1.5.0' }, true) }, message: 'prod: vars from the cluster' });
    db = await freshDatabase();
    await gitIndexer(db.dataSource, {
      repositories: [{ name: 'infra', path: repo.dir }],
      environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'], render: 'auto' }],
    }).index();
  });
  afterAll(async () => {
    await db?.drop();
    await repo?.cleanup();
  });

  const web = async (commit: string) => {
    const rows = await db.dataSource.query(
      `SELECT d.body FROM desired_revisions dr JOIN objects o ON o.id = dr.object_id JOIN documents d ON d.hash = dr.document_hash
        WHERE dr.environment = 'prod' AND o.kind = 'Deployment' AND dr.commit_sha = $1`,
      [commit],
    );
    return rows[0]?.body as any;
  };

  it('makes the substituted objects the desired state: numbers stay numbers, defaults apply, $HOME is left alone', async () => {
    const d = await web(sha.initial!);
    expect(d.metadata.namespace).toBe('shop');
    expect(d.metadata.labels).toEqual({ cluster: 'prod-eu', tier: 'frontend' });
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].image).toBe('registry.example.com/web:1.4.2');
    expect(d.spec.template.spec.containers[0].command[2]).toBe('exec web --home $HOME');
  });

  it('shows a change of a variable in the Flux Kustomization as a desired change of the object', async () => {
    expect((await web(sha.bump!)).spec.template.spec.containers[0].image).toBe('registry.example.com/web:1.5.0');
  });

  it('reports substituteFrom, which lives in the cluster, and keeps the previous objects', async () => {
    expect(await web(sha.from!)).toBeUndefined();
    const r = await db.dataSource.query(`SELECT status, problems FROM kustomize_renders WHERE environment = 'prod' AND commit_sha = $1`, [sha.from]);
    expect(r).toHaveLength(1);
    expect(r[0].status).not.toBe('ok');
    expect(JSON.stringify(r[0].problems)).toContain('spec.postBuild.substituteFrom');
    const current = await db.dataSource.query(
      `SELECT d.body FROM desired_current dc JOIN objects o ON o.id = dc.object_id JOIN documents d ON d.hash = dc.document_hash WHERE dc.environment = 'prod' AND o.kind = 'Deployment'`,
    );
    expect(current[0].body.spec.template.spec.containers[0].image).toBe('registry.example.com/web:1.5.0');
  });
});
