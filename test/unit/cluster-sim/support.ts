import * as k8s from '@kubernetes/client-node';
import { SimCluster, type SimClusterOptions } from '../../../api/src/cluster/sim';

/** A started simulator and a client-node KubeConfig pointing at it. */
export async function startSim(opts: SimClusterOptions = {}): Promise<{ sim: SimCluster; kc: k8s.KubeConfig }> {
  const sim = new SimCluster(opts);
  await sim.start();
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfigYaml());
  return { sim, kc };
}

/** Polls until the check passes or the time is up (then throws with the last failure). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export const configMap = (name: string, data: Record<string, string> = {}, namespace = 'default', labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data,
});

export const deployment = (name: string, image = 'nginx:1.25', replicas = 2, namespace = 'default') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name, image, ports: [{ containerPort: 80 }] }] },
    },
  },
});

/** Status body of a client-node ApiException. */
export function statusOf(e: unknown): any {
  const body = (e as { body?: unknown }).body;
  return typeof body === 'string' ? JSON.parse(body) : body;
}
