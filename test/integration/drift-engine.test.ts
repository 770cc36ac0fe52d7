import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { load } from 'js-yaml';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { gitIndexer } from '../support/git-index';
import { LiveBuilder } from '../support/live-builder';
import { runCli } from '../support/cli';
import { DriftRepository } from '../../api/src/drift/drift.repository';
import { DriftEngineService } from '../../api/src/drift/drift-engine.service';
import { DriftQueryService } from '../../api/src/drift/drift-query.service';

const deployment = (name: string, image: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: shop }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: ${name}
          image: ${image}
          resources: { limits: { memory: 512Mi, cpu: 500m } }
`;

/** What the cluster shows after the GitOps tool applied a manifest: API-server defaults added, in other forms. */
function applied(manifest: string): Record<string, any> {
  const o = load(manifest) as Record<string, any>;
  o.spec.revisionHistoryLimit = 10;
  o.spec.progressDeadlineSeconds = 600;
  o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  const c = o.spec.template.spec.containers[0];
  c.imagePullPolicy = 'IfNotPresent';
  c.terminationMessagePath = '/dev/termination-log';
  c.terminationMessagePolicy = 'File';
  c.resources.limits = { memory: '0.5Gi', cpu: '0.5' };
  o.spec.template.spec.restartPolicy = 'Always';
  o.spec.template.spec.dnsPolicy = 'ClusterFirst';
  o.status = { replicas: o.spec.replicas };
  return o;
}

const cfg = (dir: string) => ({
  repositories: [{ name: 'infra', path: dir }],
  clusters: [{ name: 'prod-eu', kubeconfig: '/dev/null' }],
  environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'], cluster: 'prod-eu', namespaces: ['shop'] }],
});

async function intervals(db: TestDatabase) {
  return db.dataSource.query(
    `SELECT o.name, d.type, d.opened_at, d.closed_at, d.opened_by, d.closed_by, d.summary FROM drift_intervals d JOIN objects o ON o.id = d.object_id
      ORDER BY o.name, d.opened_at, d.type`,
  );
}

describe('drift engine', () => {
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

  function engine(config: ReturnType<typeof gitIndexer>['config']) {
    const r = new DriftRepository(db.dataSource);
    const e = new DriftEngineService(db.dataSource, r, config, pino({ level: 'silent' }));
    return { engine: e, query: new DriftQueryService(db.dataSource, r, e, config) };
  }

  it('opens drift on a hand edit, says since when and by whom, and closes it when Git catches up', async () => {
    const t0 = new Date('2026-06-01T10:00:00Z');
    const at = (min: number) => new Date(t0.getTime() + min * 60_000);
    const v1 = deployment('web', 'nginx:1.25', 2);
    await repo.commit({ files: { 'clusters/prod/web.yaml': v1 }, message: 'add web', date: at(0).toISOString() });
    const ix = gitIndexer(db.dataSource, cfg(repo.dir));
    await ix.index();
    const live = await LiveBuilder.create(db.dataSource, 'prod-eu');
    const { engine: e, query } = engine(ix.config);
    await live.observe(applied(v1), at(1));
    await e.catchUp();
    // Between the commit and the apply, the object was missing; after the apply with defaults in other forms it is in sync.
    expect((await query.driftAt('prod')).status).toBe('in-sync');
    const hotfix = applied(v1);
    hotfix.spec.template.spec.containers[0].image = 'nginx:1.25-hotfix';
    hotfix.spec.template.spec.containers[0].env = [{ name: 'DEBUG', value: '1' }];
    const web = 'k:{"name":"web"}';
    await live.observe(hotfix, at(30), 'kubectl-edit', 'Update', [
      { manager: 'kustomize-controller', operation: 'Apply', time: at(1).toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { [web]: { '.': {}, 'f:name': {}, 'f:image': {} } } } } } } },
      { manager: 'kubectl-edit', operation: 'Update', time: at(30).toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { [web]: { 'f:image': {}, 'f:env': { '.': {}, 'k:{"name":"DEBUG"}': { '.': {}, 'f:name': {}, 'f:value': {} } } } } } } } } },
    ]);
    await e.catchUp();
    const report = await query.driftAt('prod');
    expect(report.status).toBe('drifted');
    expect(report.items).toHaveLength(1);
    const item = report.items[0]!;
    expect(item).toMatchObject({ kind: 'Deployment', name: 'web', type: 'modified', since: at(30).toISOString(), openedBy: { source: 'live', manager: 'kubectl-edit' } });
    expect(item.changes.map((c) => c.path).sort()).toEqual(['spec.template.spec.containers[web].env[DEBUG]', 'spec.template.spec.containers[web].image']);
    expect(item.diff).toMatch(/^\+\s+image: nginx:1.25-hotfix$/m);
    // Git adopts the hotfix; the applier applies it: the interval closes, naming what closed it.
    const v2 = deployment('web', 'nginx:1.25-hotfix', 2).replace('          resources:', '          env: [{ name: DEBUG, value: "1" }]\n          resources:');
    const sha = await repo.commit({ files: { 'clusters/prod/web.yaml': v2 }, message: 'adopt hotfix', date: at(45).toISOString() });
    await ix.index();
    await e.catchUp();
    expect((await query.driftAt('prod')).status).toBe('in-sync');
    const history = await query.history('prod');
    expect(history).toEqual([
      expect.objectContaining({ name: 'web', type: 'modified', openedAt: at(30).toISOString(), closedAt: at(45).toISOString(), closedBy: { source: 'git', commit: sha, author: 'Test Author' } }),
      expect.objectContaining({ name: 'web', type: 'missing', openedAt: at(0).toISOString(), closedAt: at(1).toISOString() }),
    ]);
    // Point in time: drift as it was at minute 40.
    const past = await query.driftAt('prod', at(40).toISOString());
    expect(past.items.map((i) => [i.name, i.type, i.since])).toEqual([['web', 'modified', at(30).toISOString()]]);
  });

  it('gives the same intervals from incremental evaluation and from --rebuild over 200 commits and 2,000 live changes', async () => {
    const ix = gitIndexer(db.dataSource, cfg(repo.dir));
    const live = await LiveBuilder.create(db.dataSource, 'prod-eu');
    const { engine: e } = engine(ix.config);
    const t0 = Date.parse('2026-07-01T00:00:00Z');
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const desired = new Map<string, string>();
    let t = t0;
    let liveChanges = 0;
    for (let round = 0; round < 20; round++) {
      const pending: { obj: Record<string, any> | { delete: { apiVersion: string; kind: string; namespace: string; name: string } }; at: Date; manager: string }[] = [];
      for (let c = 0; c < 10; c++) {
        t += 60_000;
        const name = `app${rnd(25)}`;
        const remove = desired.has(name) && rnd(12) === 0;
        const manifest = remove ? null : deployment(name, `registry/app:${round}.${c}`, 1 + rnd(4));
        await repo.commit({ files: { [`clusters/prod/${name}.yaml`]: manifest }, message: `${remove ? 'remove' : 'bump'} ${name}`, date: new Date(t).toISOString() });
        if (manifest) desired.set(name, manifest);
        else desired.delete(name);
        // The applier follows 20–80 s later (sometimes never: stays drifted).
        if (rnd(10) > 0) pending.push({ obj: manifest ? applied(manifest) : { delete: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name } }, at: new Date(t + 20_000 + rnd(60_000)), manager: 'kustomize-controller' });
      }
      while (liveChanges < (round + 1) * 100) {
        const names = [...desired.keys()];
        const name = names[rnd(names.length)]!;
        const o = applied(desired.get(name)!);
        const kind = rnd(4);
        if (kind === 0) o.spec.replicas = 1 + rnd(9);
        else if (kind === 1) o.spec.template.spec.containers[0].env = [{ name: 'HOTFIX', value: String(rnd(100)) }];
        else if (kind === 2) o.metadata.labels = { touched: String(rnd(5)) };
        pending.push({ obj: o, at: new Date(t - rnd(600_000) + 30_000), manager: kind === 3 ? 'kustomize-controller' : rnd(2) ? 'kubectl-edit' : 'kubectl-patch' });
        liveChanges++;
      }
      pending.sort((a, b) => a.at.getTime() - b.at.getTime());
      // Live changes arrive first, then the commits get indexed: evaluation must replay from the earlier commit times.
      for (const p of pending) await live.observe(p.obj, p.at, p.manager, p.manager === 'kustomize-controller' ? 'Apply' : 'Update');
      await e.catchUp();
      await ix.index();
      await e.catchUp();
    }
    expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM commits`))[0].n)).toBe(200);
    expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM live_revisions`))[0].n)).toBeGreaterThan(1500);
    const incremental = await intervals(db);
    expect(incremental.length).toBeGreaterThan(50);
    const r = await e.rebuild('prod');
    expect(r.objects).toBeGreaterThan(10);
    const rebuilt = await intervals(db);
    expect(rebuilt).toEqual(incremental);
    // The same with replays of a few events each (a year's backlog is cut into replays of ~10,000 events so
    // that it fits in the server's heap): a rebuild, and a catch-up of everything as one backlog.
    e.chunkEvents = 7;
    expect(await e.rebuild('prod')).toEqual(r);
    expect(await intervals(db)).toEqual(incremental);
    await db.dataSource.query(`DELETE FROM drift_intervals`);
    await db.dataSource.query(`DELETE FROM drift_cursors`);
    const [caught] = await e.catchUp();
    expect(caught!.objects).toBe(r.objects);
    expect(await intervals(db)).toEqual(incremental);
  });

  it('catches up a backlog of more live revisions than one function call takes arguments (140,000)', async () => {
    // A cluster recorded for a long while before the first evaluation (or while the drift worker was down): the
    // engine once passed every new revision's time to Math.min(...) and failed with "Maximum call stack size
    // exceeded" on every tick from ~125,000 revisions on, so drift never caught up.
    const t0 = new Date('2026-06-01T10:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app, namespace: shop }\ndata: { v: "${v}" }\n`;
    await repo.commit({ files: { 'clusters/prod/app.yaml': cm('1') }, message: 'add app', date: at(0).toISOString() });
    const ix = gitIndexer(db.dataSource, cfg(repo.dir));
    await ix.index();
    const live = await LiveBuilder.create(db.dataSource, 'prod-eu');
    await live.observe(load(cm('1')) as Record<string, any>, at(60));
    await live.observe(load(cm('2')) as Record<string, any>, at(120), 'kubectl-edit', 'Update');
    // 140,000 more observations in sync with Git (copies of the first), one a second, then the edit once more.
    const n = 140_000;
    await db.dataSource.query(
      `INSERT INTO live_revisions (cluster_id, object_id, observed_at, changed_at, document_hash, meta_hash, manager, operation, change, source, hash)
       SELECT r.cluster_id, r.object_id, $1::timestamptz + g * interval '1 second', $1::timestamptz + g * interval '1 second', r.document_hash, r.meta_hash,
              r.manager, r.operation, 'configured', 'watch', md5(g::text) || md5(g::text)
         FROM (SELECT * FROM live_revisions ORDER BY id LIMIT 1) r, generate_series(0, $2 - 1) g`,
      [at(180), n],
    );
    await db.dataSource.query(
      `INSERT INTO live_revisions (cluster_id, object_id, observed_at, changed_at, document_hash, meta_hash, manager, operation, change, source, hash)
       SELECT r.cluster_id, r.object_id, $1, $1, r.document_hash, r.meta_hash, r.manager, r.operation, 'configured', 'watch', repeat('f', 64)
         FROM (SELECT * FROM live_revisions ORDER BY id LIMIT 1 OFFSET 1) r`,
      [at(180 + n)],
    );
    const { engine: e, query } = engine(ix.config);
    await e.catchUp();
    const rows = await intervals(db);
    expect(rows.map((r: { type: string; opened_at: Date; closed_at: Date | null }) => [r.type, r.opened_at.toISOString(), r.closed_at?.toISOString() ?? null])).toEqual([
      // In Git before the cluster had it, then the edit and its revert, then the edit again (still open).
      ['missing', at(0).toISOString(), at(60).toISOString()],
      ['modified', at(120).toISOString(), at(180).toISOString()],
      ['modified', at(180 + n).toISOString(), null],
    ]);
    expect((await query.driftAt('prod')).items).toMatchObject([{ kind: 'ConfigMap', name: 'app', type: 'modified', since: at(180 + n).toISOString() }]);
    const [cursor] = await db.dataSource.query(`SELECT last_live_id::int AS id, (SELECT max(id)::int FROM live_revisions) AS max FROM drift_cursors WHERE environment = 'prod'`);
    expect(cursor.id).toBe(cursor.max);
  });

  it('driftline drift exits 0 in sync, 1 on drift, 2 on error', async () => {
    const v1 = deployment('web', 'nginx:1.25', 2);
    await repo.commit({ files: { 'clusters/prod/web.yaml': v1 }, date: '2026-06-01T10:00:00Z' });
    const dir = mkdtempSync(join(tmpdir(), 'driftline-drift-cli-'));
    const config = join(dir, 'driftline.yaml');
    writeFileSync(config, JSON.stringify({ ...cfg(repo.dir), dataDir: dir }));
    const env = { DATABASE_URL: db.url, DRIFTLINE_INSTALL_KEY: TEST_KEY_HEX };
    expect((await runCli(['index', '--config', config], { env })).code).toBe(0);
    // No live state recorded yet: drift is unknown, which is an error for a pipeline.
    const unknown = await runCli(['drift', '--config', config, '--environment', 'prod'], { env });
    expect(unknown.code).toBe(2);
    const live = await LiveBuilder.create(db.dataSource, 'prod-eu');
    await live.observe(applied(v1), new Date('2026-06-01T10:01:00Z'));
    const ok = await runCli(['drift', '--config', config, '--environment', 'prod', '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ environment: 'prod', status: 'in-sync', items: [] });
    const edited = applied(v1);
    edited.spec.replicas = 7;
    await live.observe(edited, new Date('2026-06-01T11:00:00Z'), 'kubectl-scale', 'Update');
    const drift = await runCli(['drift', '--config', config, '--environment', 'prod'], { env });
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('modified  Deployment shop/web since 2026-06-01T11:00:00.000Z');
    expect(drift.stdout).toMatch(/replicas/);
    const back = await runCli(['drift', '--config', config, '--environment', 'prod', '--at', '2026-06-01T10:30:00Z'], { env });
    expect(back.code).toBe(0);
    const bad = await runCli(['drift', '--config', config, '--environment', 'nope'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no environment named "nope"');
    const badTime = await runCli(['drift', '--config', config, '--at', 'yesterday'], { env });
    expect(badTime.code).toBe(2);
  });
});

const TEST_KEY_HEX = Buffer.alloc(32, 7).toString('hex');
