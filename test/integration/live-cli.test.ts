import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { DRIFTLINE_BIN, ROOT, runCli } from '../support/cli';
import type { SimCluster } from '../../api/src/cluster/sim';
import { configMap, currentNames, deployment, eventually, revisions, startSimCluster } from '../unit/cluster/support';

let db: TestDatabase;
let sim: SimCluster;
let configPath: string;
let env: Record<string, string>;

beforeAll(async () => {
  db = await freshDatabase();
  const s = await startSimCluster();
  sim = s.sim;
  const dir = mkdtempSync(join(tmpdir(), 'driftline-live-cli-'));
  configPath = join(dir, 'driftline.yaml');
  writeFileSync(configPath, `clusters:\n  - name: prod\n    kubeconfig: ${s.kubeconfig}\n    kinds: [ConfigMap, apps/Deployment]\n`);
  env = { DATABASE_URL: db.url, DRIFTLINE_DATA_DIR: join(dir, 'data') };
});
afterAll(async () => {
  await sim.stop();
  await db.drop();
});

describe('driftline snapshot and watch', () => {
  it('snapshot --json: one complete list, recorded as changes against the last state, with counts', async () => {
    sim.apply(configMap('a'));
    sim.apply(configMap('b'));
    sim.apply(deployment('web'));
    const r = await runCli(['snapshot', '--config', configPath, '--cluster', 'prod', '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cluster: 'prod', status: 'ok', kinds: 2, objects: 3, created: 3, configured: 0, deleted: 0, gaps: 0 });

    sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' });
    sim.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'b' }, { data: { x: '1' } });
    sim.forbid('apps', 'deployments');
    const again = await runCli(['snapshot', '--config', configPath], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^prod: 2 kinds, 1 objects: 0 created, 1 configured, 1 deleted; 1 gaps in [\d.]+s\n {2}apps\/Deployment: .*403/);
    sim.allow('apps', 'deployments');
    // The forbidden kind's objects are not called deleted.
    expect(await currentNames(db.dataSource, 'prod', 'Deployment')).toEqual(['web']);

    const unknown = await runCli(['snapshot', '--config', configPath, '--cluster', 'nope'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no cluster named "nope"');
  });

  it('watch: records until SIGTERM, then stops cleanly', async () => {
    const child = spawn(process.execPath, [DRIFTLINE_BIN, 'watch', '--config', configPath], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      await eventually(() => expect(stderr).toContain('recording prod'), 30_000);
      await sim.waitForWatches(2, 30_000);
      sim.apply(configMap('from-watch', { v: '1' }));
      await eventually(async () => expect((await revisions(db.dataSource, 'prod')).some((r) => r.name === 'from-watch' && r.source === 'watch')).toBe(true), 30_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('stopped (SIGTERM)');
      await eventually(() => expect(sim.openWatches).toBe(0));
      const g = await db.dataSource.query(`SELECT kind, reason, ended_at FROM live_gaps g JOIN clusters c ON c.id = g.cluster_id WHERE c.name = 'prod' AND reason = 'recorder stopped'`);
      expect(g.map((x: { kind: string }) => x.kind).sort()).toEqual(['ConfigMap', 'Deployment']);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
