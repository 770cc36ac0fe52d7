import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { GitIndexService } from '../../api/src/git/git-index.service';

const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { v: "${v}" }\n`;
const overlay = (extra = '') => `resources: [../../base]\nnamespace: prod\n${extra}`;

describe('Rendering API', () => {
  let db: TestDatabase;
  let app: TestServer;
  let repo: GitRepoBuilder;
  const shas: string[] = [];
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    repo = await GitRepoBuilder.create();
    shas.push(await repo.commit({ files: { 'base/kustomization.yaml': 'resources: [app.yaml]\n', 'base/app.yaml': cm('app', '1'), 'overlays/prod/kustomization.yaml': overlay() }, message: 'Add app', date: '2026-05-01T10:00:00Z' }));
    shas.push(await repo.commit({ files: { 'overlays/prod/kustomization.yaml': overlay('helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n') }, message: 'Add a chart', date: '2026-05-02T10:00:00Z' }));
    shas.push(await repo.commit({ files: { 'README.md': 'docs\n' }, message: 'Docs', date: '2026-05-03T10:00:00Z' }));
    app = await startTestServer({
      databaseUrl: db.url,
      workers: false,
      config: {
        repositories: [{ name: 'infra', path: repo.dir }],
        environments: [
          { name: 'prod', repository: 'infra', paths: ['overlays/prod/**'], render: 'kustomize', entries: ['overlays/prod'] },
          { name: 'plain', repository: 'infra', paths: ['base/**'] },
        ],
      },
    });
    await app.app.get(GitIndexService).index();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await repo?.cleanup();
  });

  it('lists the entries in effect now, each with the commit of its last render and its problems', async () => {
    const r = await app.get('/api/v1/environments/prod/renders');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ environment: 'prod', render: 'kustomize', commit: shas[2], problemCount: 1 });
    expect(body.entries).toEqual([
      expect.objectContaining({
        entry: 'overlays/prod',
        source: 'config',
        renderer: 'builtin',
        status: 'problems',
        commit: shas[1],
        objects: 1,
        problems: [expect.objectContaining({ file: 'overlays/prod/kustomization.yaml', field: 'helmCharts', code: 'unsupported' })],
      }),
    ]);
  });

  it('answers for a commit or a time before the problem', async () => {
    const atCommit = await (await app.get(`/api/v1/environments/prod/renders?commit=${shas[0]}`)).json();
    expect(atCommit.entries).toEqual([expect.objectContaining({ entry: 'overlays/prod', status: 'ok', commit: shas[0], objects: 1, problems: [] })]);
    const atTime = await (await app.get('/api/v1/environments/prod/renders?at=2026-05-01T12:00:00Z')).json();
    expect(atTime).toMatchObject({ commit: shas[0], problemCount: 0 });
    const plain = await (await app.get('/api/v1/environments/plain/renders')).json();
    expect(plain).toMatchObject({ render: 'plain', entries: [] });
  });

  it('rejects bad input and unknown environments', async () => {
    expect((await app.get('/api/v1/environments/prod/renders?at=yesterday')).status).toBe(400);
    expect((await app.get('/api/v1/environments/nope/renders')).status).toBe(404);
  });

  it('shows the render problems of a commit in its detail, per environment', async () => {
    const detail = await (await app.get(`/api/v1/commits/${shas[1]}`)).json();
    expect(detail.renders).toEqual([
      { environment: 'prod', entries: [expect.objectContaining({ entry: 'overlays/prod', status: 'problems', problems: [expect.objectContaining({ field: 'helmCharts' })] })] },
    ]);
    const docs = await (await app.get(`/api/v1/commits/${shas[2]}`)).json();
    expect(docs.renders).toEqual([]);
  });
});
