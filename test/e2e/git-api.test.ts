import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { GitIndexService } from '../../api/src/git/git-index.service';

const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { v: "${v}" }\n`;

describe('Git API', () => {
  let db: TestDatabase;
  let app: TestServer;
  let repo: GitRepoBuilder;
  const shas: string[] = [];
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    repo = await GitRepoBuilder.create();
    shas.push(await repo.commit({ files: { 'clusters/prod/app.yaml': cm('app', '1'), 'clusters/staging/app.yaml': cm('app', '1') }, message: 'Add app (#1)', author: { name: 'Ada', email: 'ada@example.com' }, date: '2026-05-01T10:00:00Z' }));
    shas.push(await repo.commit({ files: { 'clusters/prod/app.yaml': cm('app', '2') }, message: 'Bump prod (#2)', author: { name: 'Bob', email: 'bob@example.com' }, date: '2026-05-02T10:00:00Z' }));
    shas.push(await repo.commit({ files: { 'clusters/prod/bad.yaml': 'kind: [' }, message: 'Oops', author: { name: 'Bob', email: 'bob@example.com' }, date: '2026-05-03T10:00:00Z' }));
    app = await startTestServer({
      databaseUrl: db.url,
      workers: false,
      config: {
        repositories: [{ name: 'infra', path: repo.dir, webhookSecret: 's3cret' }],
        environments: [
          { name: 'prod', repository: 'infra', paths: ['clusters/prod/**'] },
          { name: 'staging', repository: 'infra', paths: ['clusters/staging/**'] },
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

  it('lists repositories with their index status', async () => {
    const r = await (await app.get('/api/v1/repositories')).json();
    expect(r).toEqual([expect.objectContaining({ name: 'infra', status: 'up-to-date', commits: 3, parseErrors: 1, headSha: shas[2], lastIndexedSha: shas[2] })]);
  });

  it('pages commits newest first and filters by environment, author and time', async () => {
    const page1 = await (await app.get('/api/v1/commits?limit=2')).json();
    expect(page1.items.map((c: { subject: string }) => c.subject)).toEqual(['Oops', 'Bump prod (#2)']);
    const page2 = await (await app.get(`/api/v1/commits?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.items.map((c: { subject: string }) => c.subject)).toEqual(['Add app (#1)']);
    expect(page2.nextCursor).toBeNull();
    const staging = await (await app.get('/api/v1/commits?environment=staging')).json();
    expect(staging.items.map((c: { subject: string }) => c.subject)).toEqual(['Add app (#1)']);
    const bob = await (await app.get('/api/v1/commits?author=bob&from=2026-05-02T00:00:00Z&to=2026-05-02T23:59:59Z')).json();
    expect(bob.items.map((c: { pullRequest: { number: number } }) => c.pullRequest?.number)).toEqual([2]);
  });

  it('rejects bad query input with a problem naming the field', async () => {
    const r = await app.get('/api/v1/commits?from=yesterday&limit=5000');
    expect(r.status).toBe(400);
    const p = await r.json();
    expect(p.detail).toContain('from');
    expect(p.detail).toContain('limit');
    expect((await app.get('/api/v1/commits/not-a-sha')).status).toBe(400);
    expect((await app.get('/api/v1/commits/' + 'a'.repeat(40))).status).toBe(404);
  });

  it('shows a commit with its files, parse problems and per-environment object diffs', async () => {
    const c = await (await app.get(`/api/v1/commits/${shas[1]!.slice(0, 10)}`)).json();
    expect(c.sha).toBe(shas[1]);
    expect(c.files).toEqual([expect.objectContaining({ path: 'clusters/prod/app.yaml', status: 'M', parse: expect.objectContaining({ status: 'ok' }) })]);
    expect(c.environments).toHaveLength(1);
    const change = c.environments[0].objects[0];
    expect(change).toMatchObject({ kind: 'ConfigMap', name: 'app', namespace: 'default', change: 'configured' });
    expect(change.diff).toMatch(/^-  v: '1'$/m);
    expect(change.diff).toMatch(/^\+  v: '2'$/m);
    const bad = await (await app.get(`/api/v1/commits/${shas[2]}`)).json();
    expect(bad.files[0].parse).toMatchObject({ status: 'error', reasonCode: 'yaml-syntax' });
    const problems = await (await app.get('/api/v1/repositories/infra/problems')).json();
    expect(problems).toEqual([expect.objectContaining({ path: 'clusters/prod/bad.yaml', reasonCode: 'yaml-syntax' })]);
  });

  it('returns the desired state of an environment at a time or a commit', async () => {
    const atFirst = await (await app.get(`/api/v1/environments/prod/desired?commit=${shas[0]}`)).json();
    expect(atFirst.objects.map((o: { body: { data: { v: string } } }) => o.body.data.v)).toEqual(['1']);
    const byTime = await (await app.get('/api/v1/environments/prod/desired?at=2026-05-02T12:00:00Z')).json();
    expect(byTime.commit).toBe(shas[1]);
    expect(byTime.objects.map((o: { body: { data: { v: string } } }) => o.body.data.v)).toEqual(['2']);
    const before = await (await app.get('/api/v1/environments/prod/desired?at=2020-01-01T00:00:00Z')).json();
    expect(before).toMatchObject({ commit: null, objects: [] });
    expect((await app.get('/api/v1/environments/nope/desired')).status).toBe(404);
  });

  it('verifies push webhooks: GitHub signature, GitLab token, refusing the rest', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const sig = 'sha256=' + createHmac('sha256', 's3cret').update(body).digest('hex');
    const post = (headers: Record<string, string>, b = body) => app.get('/api/v1/hooks/git/infra', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
    expect((await post({ 'x-hub-signature-256': sig })).status).toBe(202);
    expect((await post({ 'x-gitlab-token': 's3cret' })).status).toBe(202);
    expect((await post({ 'x-hub-signature-256': sig.replace(/.$/, '0') })).status).toBe(401);
    expect((await post({ 'x-gitlab-token': 'wrong' })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    const other = await (await post({ 'x-gitlab-token': 's3cret' }, JSON.stringify({ ref: 'refs/heads/feature' }))).json();
    expect(other.status).toBe('ignored');
  });
});
