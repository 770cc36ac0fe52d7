import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../api/src/db/open';
import { configMap, currentNames, eventually, gaps, liveRecorder, revisions, startSimCluster } from '../unit/cluster/support';

describe('live recorder on the embedded database (PGlite, one session)', () => {
  it('watches, records, and stops without a lease and without waiting on a second connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftline-live-embedded-'));
    const db = await openDatabase({ dataDir: dir, logger: pino({ level: 'silent' }), migrate: true });
    const { sim, kubeconfig } = await startSimCluster();
    try {
      expect(db.kind).toBe('embedded');
      const ds = db.dataSource;
      const { service } = liveRecorder(ds, { clusters: [{ name: 'laptop', kubeconfig, kinds: ['ConfigMap'] }] }, { kind: 'embedded' });
      for (let i = 0; i < 30; i++) sim.apply(configMap(`c${i}`, { i: String(i) }));
      await service.startWatching();
      await sim.waitForWatches(1);
      await eventually(async () => expect(await currentNames(ds, 'laptop', 'ConfigMap')).toHaveLength(30), 30_000);
      sim.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'c1' }, { data: { i: 'one' } }, { manager: 'kubectl-edit' });
      sim.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'c2' });
      await eventually(async () => expect((await revisions(ds, 'laptop')).length).toBe(32), 30_000);
      expect(service.leading()).toEqual(['laptop']);
      await service.stopWatching();
      expect((await gaps(ds, 'laptop')).map((g) => g.reason)).toEqual(['recorder stopped']);
      // A snapshot of the unchanged cluster afterwards writes nothing new and closes the gap.
      const [s] = await service.snapshot();
      expect(s).toMatchObject({ status: 'ok', objects: 29, created: 0, configured: 0, deleted: 0 });
      expect((await revisions(ds, 'laptop')).length).toBe(32);
      expect((await gaps(ds, 'laptop'))[0]!.ended_at).not.toBeNull();
    } finally {
      await sim.stop();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
