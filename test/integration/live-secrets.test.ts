import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { dumpDatabase } from '../support/git-index';
import { currentNames, eventually, liveRecorder, revisions, startSimCluster } from '../unit/cluster/support';

let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db.drop();
});

const PLANTED = 'pl4nted-Secr3t-value-7c1e9a';
const ROTATED = 'r0tated-Secr3t-value-55d0b2';
const ENV_TOKEN = 'env-t0ken-value-a8f3e1';

describe('secrets in the live state', () => {
  it('a Secret value planted in the cluster never reaches the database, in any encoding, and its change is still recorded', async () => {
    const ds = db.dataSource;
    const { sim, kubeconfig } = await startSimCluster();
    const { service } = liveRecorder(ds, { clusters: [{ name: 'vault', kubeconfig, kinds: ['Secret', 'ConfigMap', 'apps/Deployment'] }] });
    try {
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, type: 'Opaque', stringData: { password: PLANTED } };
      // As kubectl apply writes it: the whole manifest, values in clear, in the last-applied annotation.
      sim.apply(
        { ...secret, metadata: { ...secret.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(secret) + '\n' } } },
        { manager: 'kubectl-client-side-apply' },
      );
      sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'default' }, data: { db_password: PLANTED, color: 'blue' } });
      sim.apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:1', env: [{ name: 'API_TOKEN', value: ENV_TOKEN }] }] } },
        },
      });
      await service.startWatching();
      await sim.waitForWatches(3);
      await eventually(async () => expect(await currentNames(ds, 'vault', 'Secret')).toEqual(['db']));
      sim.patch({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'db' }, { stringData: { password: ROTATED } }, { manager: 'kubectl-patch' });
      await eventually(async () => expect((await revisions(ds, 'vault')).filter((r) => r.kind === 'Secret')).toHaveLength(2));
      await service.stopWatching();

      const [created, rotated] = (await revisions(ds, 'vault')).filter((r) => r.kind === 'Secret');
      expect(created!.body!.data.password).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      expect(rotated!.body!.data.password).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      expect(rotated!.body!.data.password).not.toBe(created!.body!.data.password); // the rotation is visible
      expect(rotated).toMatchObject({ change: 'configured', manager: 'kubectl-patch' });

      const dump = await dumpDatabase(ds, db.url);
      expect(dump).toContain('hmac-sha256:');
      for (const value of [PLANTED, ROTATED, ENV_TOKEN]) {
        for (const form of [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url'), Buffer.from(value).toString('hex')]) {
          expect(dump.includes(form), `the dump holds ${form}`).toBe(false);
        }
      }
      // Not in the managedFields/last-applied meta documents either (checked above as part of the dump), and color is kept.
      expect((await revisions(ds, 'vault')).find((r) => r.kind === 'ConfigMap')!.body!.data.color).toBe('blue');
    } finally {
      await service.stopWatching();
      await sim.stop();
    }
  });
});
