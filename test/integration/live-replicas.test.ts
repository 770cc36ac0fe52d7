import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import type { SimCluster } from '../../api/src/cluster/sim';
import { clusterRecorderOptions } from '../../api/src/cluster/cluster.options';
import { LiveRecorderService } from '../../api/src/cluster/live-recorder.service';
import { configMap, eventually, FAST, gaps, revisions, startSimCluster } from '../unit/cluster/support';

let db: TestDatabase;
let sim: SimCluster;
let kubeconfig: string;
const servers: TestServer[] = [];
// One data dir: replicas of one installation share the install key.
const dataDir = mkdtempSync(join(tmpdir(), 'driftline-replicas-'));

beforeAll(async () => {
  db = await freshDatabase();
  ({ sim, kubeconfig } = await startSimCluster());
});
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  await sim.stop();
  await db.drop();
});

async function replica(): Promise<TestServer> {
  const s = await startTestServer({
    databaseUrl: db.url,
    dataDir,
    config: { clusters: [{ name: 'prod', kubeconfig, kinds: ['ConfigMap', 'apps/Deployment'] }] },
    features: [clusterRecorderOptions({ ...FAST, leaseRetryMs: 500 })],
    workers: true,
  });
  servers.push(s);
  return s;
}

const recorder = (s: TestServer) => s.app.get(LiveRecorderService);
const leaders = (all: TestServer[]) => all.filter((s) => recorder(s).leading().includes('prod'));
const leaseHolders = async () =>
  db.dataSource.query(
    `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'driftline-cluster-lease' AND a.datname = current_database()`,
  );

describe('two replicas on one database', () => {
  it('exactly one watches a cluster; another takes over within 30 s when it stops or dies', async () => {
    sim.apply(configMap('before'));
    const a = await replica();
    const b = await replica();
    const [first] = await eventually(async () => {
      const l = leaders([a, b]);
      expect(l).toHaveLength(1);
      return l;
    });
    const standby = first === a ? b : a;
    await sim.waitForWatches(2);
    // Still one leader and one set of watches a while later (the standby keeps retrying and failing).
    await new Promise((r) => setTimeout(r, 1500));
    expect(leaders([a, b])).toEqual([first]);
    expect(sim.openWatches).toBe(2);
    expect(await leaseHolders()).toHaveLength(1);
    sim.apply(configMap('while-a-leads'));
    await eventually(async () => expect((await revisions(db.dataSource, 'prod')).map((r) => r.name)).toEqual(['before', 'while-a-leads']));
    const row = await db.dataSource.query(`SELECT leader FROM clusters WHERE name = 'prod'`);
    expect(row[0].leader).toBe(recorder(first!).identity);

    // The leader stops (a rolling update): the standby takes over.
    const t0 = Date.now();
    await first!.close();
    servers.splice(servers.indexOf(first!), 1);
    await eventually(() => expect(leaders([standby])).toEqual([standby]), 30_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    sim.apply(configMap('after-failover'));
    await eventually(async () => expect((await revisions(db.dataSource, 'prod')).map((r) => r.name)).toEqual(['before', 'while-a-leads', 'after-failover']));
    // The handover is recorded as a gap per kind, closed by the new leader's first list.
    await eventually(async () => {
      const g = await gaps(db.dataSource, 'prod');
      expect(g.map((x) => `${x.kind} ${x.reason}`).sort()).toEqual(['ConfigMap recorder stopped', 'Deployment recorder stopped']);
      expect(g.every((x) => x.ended_at !== null)).toBe(true);
    });

    // A third replica stands by; the leader's database session dies (as when its process is killed).
    const c = await replica();
    await new Promise((r) => setTimeout(r, 1000));
    expect(leaders([standby, c])).toEqual([standby]);
    const holders = await leaseHolders();
    expect(holders).toHaveLength(1);
    const t1 = Date.now();
    await db.dataSource.query(`SELECT pg_terminate_backend($1)`, [holders[0].pid]);
    await eventually(() => expect(leaders([standby, c])).toEqual([c]), 30_000);
    expect(Date.now() - t1).toBeLessThan(30_000);
    await eventually(async () => expect(sim.openWatches).toBe(2));
    sim.apply(configMap('after-kill'));
    await eventually(async () => expect((await revisions(db.dataSource, 'prod')).map((r) => r.name)).toEqual(['before', 'while-a-leads', 'after-failover', 'after-kill']));
    // Nothing was recorded twice across the handovers.
    const dup = await db.dataSource.query(`SELECT object_id, count(*) FROM live_revisions GROUP BY object_id HAVING count(*) > 1`);
    expect(dup).toEqual([]);
  });
});
