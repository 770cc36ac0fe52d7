import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launch, screenshot } from '../support/browser';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { GitIndexService } from '../../api/src/git/git-index.service';

const unavailable = browserUnavailable();
if (unavailable) process.stdout.write(`\n[browser] ${unavailable}\n`);

const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { v: "${v}" }\n`;
const overlay = (env: string, extra = '') => `resources: [../../base]\nnamespace: ${env}\n${extra}`;

describe.skipIf(!!unavailable)('kustomize rendering in the web app', () => {
  let db: TestDatabase;
  let app: TestServer;
  let repo: GitRepoBuilder;
  let broken: string;
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    repo = await GitRepoBuilder.create();
    await repo.commit({
      files: { 'base/kustomization.yaml': 'resources: [app.yaml]\n', 'base/app.yaml': cm('app', '1'), 'overlays/dev/kustomization.yaml': overlay('dev'), 'overlays/prod/kustomization.yaml': overlay('prod') },
      message: 'Add app with dev and prod overlays',
    });
    broken = await repo.commit({
      files: { 'overlays/prod/kustomization.yaml': overlay('prod', 'helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n    version: 19.0.0\n') },
      message: 'prod: add redis from a Helm chart (#42)',
    });
    app = await startTestServer({
      databaseUrl: db.url,
      workers: false,
      config: {
        repositories: [{ name: 'infra', path: repo.dir }],
        environments: [
          { name: 'dev', repository: 'infra', paths: ['overlays/dev/**'], render: 'kustomize', entries: ['overlays/dev'] },
          { name: 'prod', repository: 'infra', paths: ['overlays/prod/**'], render: 'kustomize', entries: ['overlays/prod'] },
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

  it('badges the environment with rendering problems and shows them, with file and field, on the commit that caused them', async () => {
    const b = await launch({ signIn: { url: app.url, token: app.token } });
    try {
      await b.page.goto(`${app.url}/environments`);
      const prod = b.page.getByRole('listitem').filter({ has: b.page.getByRole('heading', { name: 'prod' }) });
      const badge = prod.getByRole('link', { name: '1 rendering problem' });
      await badge.waitFor();
      const dev = b.page.getByRole('listitem').filter({ has: b.page.getByRole('heading', { name: 'dev' }) });
      await dev.getByText('kustomize · 1 entry').waitFor();
      expect(await dev.getByRole('link', { name: /rendering problem/ }).count()).toBe(0);
      await screenshot(b.page, 'kustomize-environments');

      await badge.click();
      await b.page.getByRole('heading', { name: /^Rendering/ }).waitFor();
      expect(new URL(b.page.url()).pathname).toBe(`/commits/${broken}`);
      const problems = b.page.getByRole('list', { name: 'Problems rendering overlays/prod' });
      await expect(problems.getByRole('note').first().textContent()).resolves.toContain('overlays/prod/kustomization.yaml · helmCharts');
      await b.page.getByText('problems: kept the previous objects').waitFor();
      await screenshot(b.page, 'kustomize-commit-rendering');
    } finally {
      await b.close();
    }
  });
});
