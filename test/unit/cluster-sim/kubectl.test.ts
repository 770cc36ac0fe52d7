import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimCluster } from '../../../api/src/cluster/sim';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl) console.log(`[cluster-sim] skipping the kubectl tests: ${KUBECTL} is missing`);

const run = promisify(execFile);

describe.skipIf(!haveKubectl)('kubectl against the simulator', () => {
  let sim: SimCluster;
  let dir: string;

  beforeAll(async () => {
    sim = new SimCluster();
    await sim.start();
    dir = mkdtempSync(join(tmpdir(), 'sim-kubectl-'));
    sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs kubectl with a private kubeconfig and discovery cache; answers stdout, or stderr on failure. */
  async function kubectl(...args: string[]): Promise<{ ok: boolean; out: string }> {
    try {
      const { stdout } = await run(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { timeout: 20_000 });
      return { ok: true, out: stdout.trim() };
    } catch (e) {
      return { ok: false, out: String((e as { stderr?: string }).stderr ?? e).trim() };
    }
  }

  function manifest(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  }

  const deploymentYaml = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        env: [{name: MODE, value: prod}]
`;
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' };
  const managers = () => sim.get(ref)!.metadata.managedFields.map((e: any) => `${e.manager}:${e.operation}${e.subresource ? `:${e.subresource}` : ''}`);

  it('get lists what the cluster holds', async () => {
    const r = await kubectl('get', 'namespaces', '-o', 'name');
    expect(r).toEqual({ ok: true, out: 'namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system' });
  });

  it('client-side apply creates, then patches, recording kubectl-client-side-apply and the last-applied annotation', async () => {
    const path = manifest('web.yaml', deploymentYaml('nginx:1.25'));
    expect(await kubectl('apply', '-f', path)).toEqual({ ok: true, out: 'deployment.apps/web created' });
    const created = sim.get(ref)!;
    expect(JSON.parse(created.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'])).toMatchObject({ kind: 'Deployment', spec: { replicas: 2 } });
    expect(managers()).toEqual(['kubectl-client-side-apply:Update']);

    expect(await kubectl('apply', '-f', path)).toEqual({ ok: true, out: 'deployment.apps/web unchanged' });
    manifest('web.yaml', deploymentYaml('nginx:1.26'));
    expect(await kubectl('apply', '-f', path)).toEqual({ ok: true, out: 'deployment.apps/web configured' });
    const updated = sim.get(ref)!;
    expect(updated.spec.template.spec.containers[0]).toMatchObject({ name: 'web', image: 'nginx:1.26', env: [{ name: 'MODE', value: 'prod' }] });
    expect(updated.metadata.generation).toBe(2);
  });

  it('patch and scale record kubectl-patch and kubectl (scale subresource)', async () => {
    expect(await kubectl('patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}')).toEqual({
      ok: true,
      out: 'deployment.apps/web patched',
    });
    expect(await kubectl('scale', 'deployment', 'web', '--replicas=5')).toEqual({ ok: true, out: 'deployment.apps/web scaled' });
    const d = sim.get(ref)!;
    expect(d.spec.replicas).toBe(5);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.27');
    expect(managers()).toEqual(['kubectl-client-side-apply:Update', 'kubectl-patch:Update', 'kubectl:Update:scale']);
    expect((await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).out).toBe('5');
  });

  it('create -f records kubectl-create; server-side apply records an Apply manager; delete removes', async () => {
    const cm = manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {a: "1"}\n');
    expect(await kubectl('create', '-f', cm)).toEqual({ ok: true, out: 'configmap/settings created' });
    const again = await kubectl('create', '-f', cm);
    expect(again.ok).toBe(false);
    expect(again.out).toMatch(/AlreadyExists.*configmaps "settings" already exists/);

    manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {a: "2"}\n');
    expect(await kubectl('apply', '--server-side', '-f', cm)).toEqual({ ok: true, out: 'configmap/settings serverside-applied' });
    const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' };
    expect(sim.get(cmRef)!.data).toEqual({ a: '2' });
    // kubectl-create keeps only the data map itself (shared); the applier took over the key it changed.
    expect(sim.get(cmRef)!.metadata.managedFields.map((e: any) => [`${e.manager}:${e.operation}`, e.fieldsV1])).toEqual([
      ['kubectl-create:Update', { 'f:data': { '.': {} } }],
      ['kubectl:Apply', { 'f:data': { '.': {}, 'f:a': {} } }],
    ]);

    expect(await kubectl('delete', 'deployment', 'web')).toEqual({ ok: true, out: 'deployment.apps "web" deleted' });
    expect(sim.get(ref)).toBeUndefined();
    const missing = await kubectl('get', 'deployment', 'web');
    expect(missing).toEqual({ ok: false, out: 'Error from server (NotFound): deployments.apps "web" not found' });
  });

  it("create's generators (which post protobuf) make namespaces, secrets and deployments", async () => {
    expect(await kubectl('create', 'namespace', 'shop')).toEqual({ ok: true, out: 'namespace/shop created' });
    expect(await kubectl('-n', 'shop', 'create', 'secret', 'generic', 'db', '--from-literal=password=hunter2')).toEqual({ ok: true, out: 'secret/db created' });
    expect(await kubectl('-n', 'shop', 'create', 'deployment', 'cart', '--image=shop/cart:1.0', '--port=8080', '--replicas=3')).toEqual({
      ok: true,
      out: 'deployment.apps/cart created',
    });
    expect(sim.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'db' })!.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    const cart = sim.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'cart' })!;
    expect(cart.spec).toMatchObject({ replicas: 3, selector: { matchLabels: { app: 'cart' } } });
    expect(cart.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'cart', image: 'shop/cart:1.0', ports: [{ containerPort: 8080, protocol: 'TCP' }] })]);
    expect(cart.metadata.managedFields.map((e: any) => e.manager)).toEqual(['kubectl-create']);
    const unsupported = await kubectl('-n', 'shop', 'create', 'job', 'once', '--image=busybox');
    expect(unsupported.ok).toBe(false);
    expect(unsupported.out).toMatch(/use kubectl create -f/);
  });

  it('applies custom resources once their CRD exists', async () => {
    sim.registerCrd({ group: 'helm.toolkit.fluxcd.io', kind: 'HelmRelease', versions: ['v2'], shortNames: ['hr'] });
    const hr = (interval: string) => `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo, namespace: default}\nspec:\n  interval: ${interval}\n  values: {replicaCount: 2}\n`;
    const path = manifest('hr.yaml', hr('5m'));
    expect(await kubectl('apply', '-f', path)).toEqual({ ok: true, out: 'helmrelease.helm.toolkit.fluxcd.io/podinfo created' });
    manifest('hr.yaml', hr('10m'));
    expect(await kubectl('apply', '-f', path)).toEqual({ ok: true, out: 'helmrelease.helm.toolkit.fluxcd.io/podinfo configured' });
    expect(sim.get({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace: 'default', name: 'podinfo' })!.spec).toEqual({ interval: '10m', values: { replicaCount: 2 } });
    expect((await kubectl('get', 'hr', '-o', 'name')).out).toBe('helmrelease.helm.toolkit.fluxcd.io/podinfo');
  });
});
