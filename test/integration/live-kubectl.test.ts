import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { eventually, liveRecorder, revisions, startSimCluster } from '../unit/cluster/support';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl) console.log(`[live-kubectl] skipping: ${KUBECTL} is not installed`);

const run = promisify(execFile);

describe.skipIf(!haveKubectl)('changes made with kubectl are recorded with its field managers', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('apply, edit, scale, patch and label', async () => {
    const ds = db.dataSource;
    const { sim, kubeconfig } = await startSimCluster();
    const dir = mkdtempSync(join(tmpdir(), 'driftline-live-kubectl-'));
    const { service } = liveRecorder(ds, { clusters: [{ name: 'kc', kubeconfig, kinds: ['apps/Deployment', 'ConfigMap'] }] });
    const kubectl = async (args: string[], env: Record<string, string> = {}) => {
      const r = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000, env: { ...process.env, ...env } });
      return r.stdout.trim();
    };
    try {
      await service.startWatching();
      await sim.waitForWatches(2);
      const manifest = join(dir, 'web.yaml');
      writeFileSync(
        manifest,
        `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25"}
`,
      );
      expect(await kubectl(['apply', '-f', manifest])).toBe('deployment.apps/web created');
      const editor = join(dir, 'editor.sh');
      writeFileSync(editor, '#!/bin/sh\nsed -i "s/nginx:1.25/nginx:1.30/" "$1"\n');
      chmodSync(editor, 0o755);
      expect(await kubectl(['edit', 'deployment', 'web'], { KUBE_EDITOR: editor, EDITOR: editor })).toBe('deployment.apps/web edited');
      expect(await kubectl(['scale', 'deployment', 'web', '--replicas=4'])).toBe('deployment.apps/web scaled');
      expect(await kubectl(['create', 'configmap', 'settings', '--from-literal=mode=a'])).toBe('configmap/settings created');
      expect(await kubectl(['patch', 'configmap', 'settings', '-p', '{"data":{"mode":"b"}}'])).toBe('configmap/settings patched');
      expect(await kubectl(['label', 'configmap', 'settings', 'team=sre'])).toBe('configmap/settings labeled');

      await eventually(async () => {
        const revs = await revisions(ds, 'kc');
        const line = (r: (typeof revs)[number]) => `${r.change} ${r.manager}:${r.operation}`;
        expect(revs.filter((r) => r.kind === 'Deployment').map(line)).toEqual([
          'created kubectl-client-side-apply:Update',
          'configured kubectl-edit:Update',
          'configured kubectl:Update',
        ]);
        expect(revs.filter((r) => r.kind === 'ConfigMap').map(line)).toEqual(['created kubectl-create:Update', 'configured kubectl-patch:Update', 'configured kubectl-label:Update']);
      }, 20_000);
      const edited = (await revisions(ds, 'kc')).filter((r) => r.kind === 'Deployment')[1]!;
      expect(edited.body!.spec.template.spec.containers[0].image).toBe('nginx:1.30');
    } finally {
      await service.stopWatching();
      await sim.stop();
    }
  });
});
