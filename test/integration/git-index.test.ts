import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { gitIndexer, dumpDatabase } from '../support/git-index';
import { parseManifestFile } from '../../api/src/core/manifests';
import { identityKey } from '../../api/src/core/identity';
import { GitRepository } from '../../api/src/git/git.repository';

const deployment = (name: string, image: string, replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: ${name}
          image: ${image}
`;
const configMap = (name: string, data: Record<string, string>) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: shop }
data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;

const env = (name: string, paths: string[]) => ({ name, repository: 'infra', paths, defaultNamespace: 'shop' });

async function revisions(db: TestDatabase, environment: string) {
  return db.dataSource.query(
    `SELECT o.kind, o.namespace, o.name, dr.change, dr.path, c.subject FROM desired_revisions dr
       JOIN objects o ON o.id = dr.object_id JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha
      WHERE dr.environment = $1 ORDER BY dr.commit_seq, o.kind, o.name`,
    [environment],
  );
}

describe('git index', () => {
  let db: TestDatabase;
  let repo: GitRepoBuilder;
  beforeEach(async () => {
    db = await freshDatabase();
    repo = await GitRepoBuilder.create();
  });
  afterEach(async () => {
    await db.drop();
    await repo.cleanup();
  });

  it('indexes every commit with authors, zones, PR numbers and co-authors, and counts what git counts', async () => {
    await repo.commit({ files: { 'clusters/prod/web.yaml': deployment('web', 'nginx:1.25') }, message: 'Add web (#12)', author: { name: 'Ada', email: 'ada@example.com' }, date: '2026-03-01T10:00:00+02:00' });
    await repo.branch('feature');
    await repo.checkout('feature');
    await repo.commit({ files: { 'clusters/prod/web.yaml': deployment('web', 'nginx:1.26') }, message: 'Bump nginx\n\nCo-authored-by: Bob <bob@example.com>', date: '2026-03-02T10:00:00-05:00' });
    await repo.checkout('main');
    await repo.commit({ files: { 'dns/zones/example.org.zone': '$ORIGIN example.org.\n@ IN A 192.0.2.1\n' }, message: 'See merge request infra/dns!45', date: '2026-03-03T10:00:00Z' });
    await repo.merge('feature', { message: 'Merge pull request #77 from acme/feature' });
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    const s = await ix.index();
    const count = Number(spawnSync('git', ['rev-list', '--count', 'main'], { cwd: repo.dir, encoding: 'utf8' }).stdout.trim());
    expect(s.commits).toBe(count);
    expect(s.commits).toBe(4);
    const rows = await db.dataSource.query(`SELECT subject, pr_number, pr_kind, author_tz, co_authors, first_parent FROM commits ORDER BY seq`);
    expect(rows.find((r: { subject: string }) => r.subject === 'Add web (#12)')).toMatchObject({ pr_number: 12, pr_kind: 'github-pr', author_tz: '+0200' });
    expect(rows.find((r: { subject: string }) => r.subject.startsWith('See merge request'))).toMatchObject({ pr_number: 45, pr_kind: 'gitlab-mr' });
    expect(rows.find((r: { subject: string }) => r.subject === 'Bump nginx')).toMatchObject({ co_authors: [{ name: 'Bob', email: 'bob@example.com' }], first_parent: false, author_tz: '-0500' });
    // The bump reached the branch through the merge: that is the desired change, with the PR number.
    const revs = await revisions(db, 'prod');
    expect(revs.map((r: { change: string; subject: string }) => `${r.change}:${r.subject}`)).toEqual(['created:Add web (#12)', 'configured:Merge pull request #77 from acme/feature']);
    // Non-Kubernetes files are still file changes in history.
    const zone = await db.dataSource.query(`SELECT status FROM file_changes WHERE path = 'dns/zones/example.org.zone'`);
    expect(zone).toEqual([{ status: 'A' }]);
  });

  it('records renames as file changes but not as object changes; deletions as deleted revisions', async () => {
    await repo.commit({ files: { 'clusters/prod/web.yaml': deployment('web', 'nginx:1.25') }, message: 'add' });
    await repo.commit({ renames: { 'clusters/prod/web.yaml': 'clusters/prod/apps/web.yaml' }, message: 'move whole folder' });
    await repo.commit({ files: { 'clusters/prod/apps/web.yaml': null }, message: 'remove web' });
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    await ix.index();
    const moved = await db.dataSource.query(`SELECT status, old_path, path FROM file_changes fc JOIN commits c ON c.sha = fc.commit_sha WHERE c.subject = 'move whole folder'`);
    expect(moved).toEqual([{ status: 'R', old_path: 'clusters/prod/web.yaml', path: 'clusters/prod/apps/web.yaml' }]);
    expect((await revisions(db, 'prod')).map((r: { change: string; subject: string; path: string }) => `${r.change}:${r.subject}:${r.path}`)).toEqual([
      'created:add:clusters/prod/web.yaml',
      'deleted:remove web:clusters/prod/apps/web.yaml',
    ]);
  });

  it('keeps the two Kustomization kinds apart and defaults namespaces per environment', async () => {
    await repo.commit({
      files: {
        'clusters/prod/flux.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: apps, namespace: flux-system }\nspec: { path: ./apps, interval: 5m, prune: true, sourceRef: { kind: GitRepository, name: infra } }\n',
        'clusters/prod/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata: { name: apps }\nresources: [flux.yaml]\n',
        'clusters/prod/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n',
        'clusters/prod/list.yaml': 'apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: ServiceAccount, metadata: { name: a } }\n  - { apiVersion: v1, kind: ServiceAccount, metadata: { name: b, namespace: other } }\n',
      },
    });
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    await ix.index();
    const objects = await db.dataSource.query(`SELECT o."group", o.kind, o.namespace, o.name FROM desired_current dc JOIN objects o ON o.id = dc.object_id ORDER BY o.kind, o.name`);
    expect(objects).toEqual([
      { group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      { group: '', kind: 'Namespace', namespace: '', name: 'shop' },
      { group: '', kind: 'ServiceAccount', namespace: 'shop', name: 'a' },
      { group: '', kind: 'ServiceAccount', namespace: 'other', name: 'b' },
    ]);
  });

  it('records every kind of bad input on the blob with a reason, and goes on', async () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
    await repo.commit({ files: { 'clusters/prod/good.yaml': configMap('good', { a: '1' }) }, message: 'good' });
    await repo.commit({
      message: 'everything bad',
      files: {
        'clusters/prod/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x\n',
        'clusters/prod/chart/templates/dep.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n',
        'clusters/prod/logo.yaml': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01]),
        'clusters/prod/huge.yaml': 'a: ' + 'x'.repeat(6 * 1024 * 1024) + '\n',
        'clusters/prod/sops.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: { name: db }\ndata:\n  password: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\nsops:\n  version: 3.8.1\n',
        'clusters/prod/crlf.yaml': configMap('crlf', { b: '2' }).replace(/\n/g, '\r\n'),
        'clusters/prod/tabs.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabs\n',
        'clusters/prod/dupe.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: d }\ndata: { k: "1", k: "2" }\n',
        'clusters/prod/empty.yaml': '---\n# nothing here\n---\n',
        'clusters/prod/bomb.yaml': bomb.join('\n') + '\n',
      },
    });
    await repo.commit({ files: { 'clusters/prod/good.yaml': configMap('good', { a: '2' }) }, message: 'still indexing after bad input' });
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    const s = await ix.index();
    expect(s.commits).toBe(3);
    const blobs: { path: string; status: string; reason_code: string; reason: string }[] = await db.dataSource.query(
      `SELECT f.path, b.status, b.reason_code, b.reason FROM file_changes f JOIN blobs b ON b.sha = f.new_blob ORDER BY f.path`,
    );
    const by = (p: string) => blobs.find((b) => b.path === 'clusters/prod/' + p)!;
    expect(by('broken.yaml')).toMatchObject({ status: 'error', reason_code: 'yaml-syntax' });
    expect(by('broken.yaml').reason).toMatch(/line \d+/);
    expect(by('chart/templates/dep.yaml')).toMatchObject({ status: 'skipped', reason_code: 'template' });
    expect(by('logo.yaml')).toMatchObject({ status: 'error', reason_code: 'binary' });
    expect(by('huge.yaml')).toMatchObject({ status: 'skipped', reason_code: 'too-large' });
    expect(by('sops.yaml').status).toBe('ok');
    expect(by('crlf.yaml').status).toBe('ok');
    expect(by('tabs.yaml')).toMatchObject({ status: 'error', reason_code: 'yaml-syntax' });
    expect(by('dupe.yaml')).toMatchObject({ status: 'error', reason_code: 'duplicate-key' });
    expect(by('dupe.yaml').reason).toContain('k');
    expect(by('empty.yaml')).toMatchObject({ status: 'not-kubernetes', reason_code: 'empty' });
    expect(by('bomb.yaml')).toMatchObject({ status: 'error', reason_code: 'alias-bomb' });
    expect(s.parseErrors).toBeGreaterThanOrEqual(5);
    // The encrypted Secret is an opaque object; its ciphertext is not stored.
    const dumped = await dumpDatabase(db.dataSource, db.url);
    expect(dumped).not.toContain('ENC[AES256_GCM,data:abc');
    const names = (await db.dataSource.query(`SELECT o.name FROM desired_current dc JOIN objects o ON o.id = dc.object_id ORDER BY o.name`)).map((r: { name: string }) => r.name);
    expect(names).toEqual(['crlf', 'db', 'good']);
    // The API lists the problems with their reasons.
    const problems = await new GitRepository(db.dataSource).blobProblems(1, 100);
    expect(problems.map((p) => p.reason_code).sort()).toEqual(['alias-bomb', 'binary', 'duplicate-key', 'template', 'too-large', 'yaml-syntax', 'yaml-syntax']);
  });

  it('keeps the last good objects of a file while it is broken', async () => {
    await repo.commit({ files: { 'clusters/prod/app.yaml': configMap('app', { a: '1' }) }, message: 'good' });
    await repo.commit({ files: { 'clusters/prod/app.yaml': 'apiVersion: v1\nkind: [' }, message: 'broken' });
    await repo.commit({ files: { 'clusters/prod/app.yaml': configMap('app', { a: '2' }) }, message: 'fixed' });
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    await ix.index();
    expect((await revisions(db, 'prod')).map((r: { change: string; subject: string }) => `${r.change}:${r.subject}`)).toEqual(['created:good', 'configured:fixed']);
  });

  it('never stores a Secret value: pg_dump of the database has no plaintext', async () => {
    const marker = 'PLAINTEXT-MARKER-7f3a9c';
    await repo.commit({
      files: {
        'clusters/prod/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Secret","stringData":{"password":"${marker}"}}'\nstringData:\n  password: ${marker}\ndata:\n  token: ${Buffer.from(marker + '-b64').toString('base64')}\n`,
        'clusters/prod/cm.yaml': configMap('app', { DB_PASSWORD: marker + '-cm' }),
      },
    });
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    await ix.index();
    const dumped = await dumpDatabase(db.dataSource, db.url);
    expect(dumped).toContain('hmac-sha256:');
    expect(dumped).not.toContain(marker);
    expect(dumped).not.toContain(Buffer.from(marker + '-b64').toString('base64'));
  });

  it('survives a force push: unreachable commits are kept and flagged, new ones indexed, nothing twice', async () => {
    const bare = await GitRepoBuilder.createBare();
    try {
      const base = await repo.commit({ files: { 'clusters/prod/app.yaml': configMap('app', { v: '1' }) }, message: 'base' });
      await repo.commit({ files: { 'clusters/prod/app.yaml': configMap('app', { v: '2' }) }, message: 'doomed' });
      await repo.pushTo(bare);
      const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', url: 'file://' + bare.dir }], environments: [env('prod', ['clusters/prod/**'])] });
      expect((await ix.index()).commits).toBe(2);
      await repo.resetHard(base);
      await repo.commit({ files: { 'clusters/prod/app.yaml': configMap('app', { v: '3' }) }, message: 'rewritten' });
      await repo.forcePushTo(bare);
      const s = await ix.index();
      expect(s.rewritten).toBe(true);
      expect(s.unreachable).toBe(1);
      expect(s.commits).toBe(2);
      const all = await db.dataSource.query(`SELECT subject, reachable FROM commits ORDER BY seq`);
      expect(all).toEqual([
        { subject: 'base', reachable: true },
        { subject: 'doomed', reachable: false },
        { subject: 'rewritten', reachable: true },
      ]);
      const rev = await revisions(db, 'prod');
      expect(rev.map((r: { change: string; subject: string }) => `${r.change}:${r.subject}`)).toEqual(['created:base', 'configured:doomed', 'configured:rewritten']);
      // Desired state now follows the new history.
      const desired = await db.dataSource.query(`SELECT d.body->'data'->>'v' AS v FROM desired_current dc JOIN documents d ON d.hash = dc.document_hash`);
      expect(desired).toEqual([{ v: '3' }]);
      expect((await ix.index()).newCommits).toBe(0);
    } finally {
      await bare.cleanup();
    }
  });

  it('gives the desired state at a commit equal to the objects parsed from git ls-tree of that commit', async () => {
    const shas: string[] = [];
    for (let i = 0; i < 12; i++) {
      const files: Record<string, string | null> = { [`clusters/prod/app${i % 4}.yaml`]: deployment(`app${i % 4}`, `nginx:1.${i}`, 1 + (i % 3)) };
      if (i === 7) files['clusters/prod/app1.yaml'] = null;
      if (i === 9) files['clusters/staging/other.yaml'] = configMap('other', { x: String(i) });
      shas.push(await repo.commit({ files, message: `c${i}` }));
    }
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    await ix.index();
    const gitRepo = new GitRepository(db.dataSource);
    for (const sha of [shas[3]!, shas[7]!, shas[11]!]) {
      const seq = (await db.dataSource.query(`SELECT seq FROM commits WHERE sha = $1`, [sha]))[0].seq;
      const state = await gitRepo.desiredAt('prod', 1, Number(seq), false);
      const fromIndex = state.map((o) => identityKey(o)).sort();
      const tree = spawnSync('git', ['ls-tree', '-r', '--name-only', sha, 'clusters/prod'], { cwd: repo.dir, encoding: 'utf8' }).stdout.trim().split('\n');
      const fromGit = tree
        .flatMap((path) => parseManifestFile(path, Buffer.from(spawnSync('git', ['show', `${sha}:${path}`], { cwd: repo.dir }).stdout), { maxBytes: 5e6, defaultNamespace: 'shop' }).objects)
        .map((o) => identityKey(o.identity))
        .sort();
      expect(fromIndex).toEqual(fromGit);
    }
  });

  it('is incremental, and two concurrent runs on one repository insert nothing twice', async () => {
    for (let i = 0; i < 5; i++) await repo.commit({ files: { [`clusters/prod/cm${i}.yaml`]: configMap(`cm${i}`, { i: String(i) }) } });
    const ix = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    const other = gitIndexer(db.dataSource, { repositories: [{ name: 'infra', path: repo.dir }], environments: [env('prod', ['clusters/prod/**'])] });
    const [a, b] = await Promise.all([ix.index({ batchSize: 2 }), other.index({ batchSize: 2 })]);
    expect(a.newCommits + b.newCommits).toBe(5);
    await repo.commit({ files: { 'clusters/prod/cm0.yaml': configMap('cm0', { i: 'changed' }) }, message: 'one more' });
    const inc = await ix.index();
    expect(inc).toMatchObject({ newCommits: 1, objectRevisions: 1, commits: 6 });
    expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM desired_revisions`))[0].n)).toBe(6);
  });
});

afterAll(() => undefined);
