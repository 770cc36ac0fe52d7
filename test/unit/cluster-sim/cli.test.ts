import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterEach, expect, it } from 'vitest';
import { startSimFromArgs, type SimCluster } from '../../../api/src/cluster/sim';

let sim: SimCluster | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('starts from arguments, seeds objects from YAML (CRDs before their objects) and writes a kubeconfig', async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
  const seed = join(dir, 'seed.yaml');
  writeFileSync(
    seed,
    `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {path: ./apps, prune: true}
---
apiVersion: v1
kind: Namespace
metadata: {name: flux-system}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: kustomizations.kustomize.toolkit.fluxcd.io}
spec:
  group: kustomize.toolkit.fluxcd.io
  scope: Namespaced
  names: {kind: Kustomization, plural: kustomizations, singular: kustomization, listKind: KustomizationList}
  versions: [{name: v1, served: true, storage: true}]
`,
  );
  const lines: string[] = [];
  const kubeconfig = join(dir, 'kubeconfig');
  sim = await startSimFromArgs(['--kubeconfig', kubeconfig, '--context', 'demo', '-f', seed, '--manager', 'kustomize-controller'], (l) => lines.push(l));
  expect(lines[0]).toBe(`simulated cluster listening on ${sim.url} (kubeconfig: ${kubeconfig}, context demo)`);

  const kc = new k8s.KubeConfig();
  kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
  expect(kc.getCurrentContext()).toBe('demo');
  const list = await k8s.KubernetesObjectApi.makeApiClient(kc).list('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system');
  expect(list.items.map((i) => [i.metadata?.name, i.metadata?.managedFields?.[0]?.manager])).toEqual([['apps', 'kustomize-controller']]);
});

it('refuses a bad option with a message naming it', async () => {
  await expect(startSimFromArgs(['--port', 'eighty'])).rejects.toThrow('--port must be a non-negative integer, got "eighty"');
});
