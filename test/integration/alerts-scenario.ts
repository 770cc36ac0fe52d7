import pino from 'pino';
import { load } from 'js-yaml';
import type { DataSource } from 'typeorm';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { gitIndexer } from '../support/git-index';
import { LiveBuilder } from '../support/live-builder';
import { DriftRepository } from '../../api/src/drift/drift.repository';
import { DriftEngineService } from '../../api/src/drift/drift-engine.service';
import { AlertsRepository } from '../../api/src/alerts/alerts.repository';
import { AlertEvaluatorService } from '../../api/src/alerts/alert-evaluator.service';
import { DeliveryWorkerService } from '../../api/src/alerts/delivery-worker.service';
import { AlertsService } from '../../api/src/alerts/alerts.service';
import type { AlertsOptions } from '../../api/src/alerts/alerts.options';

/**
 * Drift for alert tests, made the way production makes it: manifests committed
 * to a Git repository and indexed, live objects recorded as a cluster showed
 * them, and drift intervals computed by the drift engine. Times are minutes
 * after `t0`; the alert clock is set by the test.
 */

export const T0 = new Date('2026-06-01T10:00:00Z');
export const at = (min: number) => new Date(T0.getTime() + min * 60_000);

export function deployment(name: string, image: string, replicas = 2): string {
  return `apiVersion: apps/v1
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
`;
}

/** What the cluster shows once the GitOps tool applied a manifest (API-server defaults added). */
export function applied(manifest: string): Record<string, any> {
  const o = load(manifest) as Record<string, any>;
  o.spec.revisionHistoryLimit = 10;
  o.spec.progressDeadlineSeconds = 600;
  o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  const c = o.spec.template.spec.containers[0];
  c.imagePullPolicy = 'IfNotPresent';
  c.terminationMessagePath = '/dev/termination-log';
  c.terminationMessagePolicy = 'File';
  o.spec.template.spec.restartPolicy = 'Always';
  o.spec.template.spec.dnsPolicy = 'ClusterFirst';
  o.status = { replicas: o.spec.replicas };
  return o;
}

export function baseConfig(repoDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { baseUrl: 'https://driftline.example.com' },
    repositories: [{ name: 'infra', path: repoDir }],
    clusters: [{ name: 'prod-eu', kubeconfig: '/dev/null' }],
    environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'], cluster: 'prod-eu', namespaces: ['shop'] }],
    ...extra,
  };
}

export interface Scenario {
  repo: GitRepoBuilder;
  live: LiveBuilder;
  config: ReturnType<typeof gitIndexer>['config'];
  /** The raw config (as driftline.yaml would say it). */
  raw: Record<string, unknown>;
  images: Map<string, string>;
  /** Commit these deployments at `min` and apply them a minute later (in sync). */
  deploy(names: string[], min: number): Promise<void>;
  /** A hand change in the cluster: a new image by `manager`. */
  edit(name: string, image: string, min: number, manager?: string): Promise<void>;
  /** The GitOps tool puts Git's version back. */
  revert(name: string, min: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function scenario(ds: DataSource, extra: (repoDir: string) => Record<string, unknown>): Promise<Scenario> {
  const repo = await GitRepoBuilder.create();
  const raw = baseConfig(repo.dir, extra(repo.dir));
  const ix = gitIndexer(ds, raw);
  const live = await LiveBuilder.create(ds, 'prod-eu');
  const images = new Map<string, string>();
  return {
    repo,
    live,
    config: ix.config,
    raw,
    images,
    async deploy(names, min) {
      const files: Record<string, string> = {};
      for (const n of names) {
        images.set(n, images.get(n) ?? `registry.example.com/${n}:1.0`);
        files[`clusters/prod/${n}.yaml`] = deployment(n, images.get(n)!);
      }
      await repo.commit({ files, message: `deploy ${names.join(', ')}`, date: at(min).toISOString(), author: { name: 'Jane Doe', email: 'jane@example.com' } });
      await ix.index();
      for (const n of names) await live.observe(applied(deployment(n, images.get(n)!)), at(min + 1));
    },
    async edit(name, image, min, manager = 'kubectl-edit') {
      const o = applied(deployment(name, images.get(name)!));
      o.spec.template.spec.containers[0].image = image;
      await live.observe(o, at(min), manager, 'Update');
    },
    async revert(name, min) {
      await live.observe(applied(deployment(name, images.get(name)!)), at(min), 'kustomize-controller', 'Apply');
    },
    cleanup: () => repo.cleanup(),
  };
}

export const silent = pino({ level: 'silent' });

/** The alert services over a database, wired as the module wires them (no Nest). */
export function alertServices(ds: DataSource, config: Scenario['config'], options: AlertsOptions = {}, database: 'postgres' | 'embedded' = 'postgres') {
  const repo = new AlertsRepository(ds);
  const engine = new DriftEngineService(ds, new DriftRepository(ds), config, silent);
  const evaluator = new AlertEvaluatorService(ds, repo, engine, config, silent, { database }, options);
  const worker = new DeliveryWorkerService(repo, config, silent, { workers: false }, options);
  const alerts = new AlertsService(ds, repo, evaluator, worker, config);
  return { repo, engine, evaluator, worker, alerts };
}

/** A response's JSON, typed loosely for assertions. */
export async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}
