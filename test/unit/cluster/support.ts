import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { dump } from 'js-yaml';
import type { DataSource } from 'typeorm';
import { parseConfig } from '../../../api/src/config/load';
import { SimCluster, type SimClusterOptions } from '../../../api/src/cluster/sim';
import { LiveRecorderService } from '../../../api/src/cluster/live-recorder.service';
import type { ClusterRecorderServiceOptions } from '../../../api/src/cluster/cluster.options';

export const TEST_KEY = Buffer.alloc(32, 7);

/** Options that make the recorder quick to react in tests. */
export const FAST: ClusterRecorderServiceOptions = {
  flushIntervalMs: 50,
  backoffBaseMs: 50,
  backoffMaxMs: 300,
  refreshMs: 500,
  leaseRetryMs: 300,
  heartbeatMs: 1000,
};

/** A started simulator with its kubeconfig written to a temporary file. */
export async function startSimCluster(opts: SimClusterOptions = {}): Promise<{ sim: SimCluster; kubeconfig: string }> {
  const sim = new SimCluster(opts);
  await sim.start();
  const kubeconfig = sim.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'driftline-live-')), 'kubeconfig'));
  return { sim, kubeconfig };
}

/** A LiveRecorderService over a test database, configured from a plain object like driftline.yaml. */
export function liveRecorder(
  ds: DataSource,
  config: Record<string, unknown>,
  o: { kind?: 'postgres' | 'embedded'; options?: ClusterRecorderServiceOptions; workers?: boolean } = {},
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'driftline-live-test-'));
  const { config: cfg } = parseConfig(dump({ dataDir, ...config }), 'test.yaml', {}, dataDir);
  const service = new LiveRecorderService(
    ds,
    cfg,
    pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    TEST_KEY,
    { database: o.kind ?? 'postgres', workers: o.workers ?? false },
    undefined,
    { ...FAST, ...o.options },
  );
  return { service, config: cfg };
}

/** Polls until the check passes or the time is up (then throws with the last failure). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

export const configMap = (name: string, data: Record<string, string> = {}, namespace = 'default') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

export const deployment = (name: string, image = 'nginx:1.25', replicas = 2, namespace = 'default') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } },
  },
});

export interface RevisionRow {
  kind: string;
  namespace: string;
  name: string;
  change: string;
  source: string;
  manager: string | null;
  operation: string | null;
  uid: string | null;
  resource_version: string | null;
  document_hash: string | null;
  body: Record<string, any> | null;
}

/** A cluster's live revisions in write order, with the identity and body of each. */
export async function revisions(ds: DataSource, cluster: string): Promise<RevisionRow[]> {
  return ds.query(
    `SELECT o.kind, o.namespace, o.name, r.change, r.source, r.manager, r.operation, r.uid, r.resource_version, r.document_hash, d.body
       FROM live_revisions r JOIN clusters c ON c.id = r.cluster_id JOIN objects o ON o.id = r.object_id
       LEFT JOIN documents d ON d.hash = r.document_hash
      WHERE c.name = $1 ORDER BY r.id`,
    [cluster],
  );
}

export async function gaps(ds: DataSource, cluster: string): Promise<{ group: string; kind: string; started_at: Date; ended_at: Date | null; reason: string }[]> {
  return ds.query(
    `SELECT g."group", g.kind, g.started_at, g.ended_at, g.reason FROM live_gaps g JOIN clusters c ON c.id = g.cluster_id WHERE c.name = $1 ORDER BY g.id`,
    [cluster],
  );
}

export async function currentNames(ds: DataSource, cluster: string, kind: string): Promise<string[]> {
  const rows: { name: string }[] = await ds.query(
    `SELECT o.name FROM live_current lc JOIN clusters c ON c.id = lc.cluster_id JOIN objects o ON o.id = lc.object_id WHERE c.name = $1 AND o.kind = $2 ORDER BY o.name`,
    [cluster, kind],
  );
  return rows.map((r) => r.name);
}

/**
 * A transparent HTTP proxy in front of the simulator, for faults the simulator
 * does not make by itself: `intercept` runs before each request is forwarded and
 * may answer it instead (return true); `expireWatches` ends every open watch
 * with an ERROR 410 event, as an API server whose watch cache moved on does.
 */
export async function startProxy(
  sim: SimCluster,
  intercept: (req: IncomingMessage, res: ServerResponse) => boolean | void = () => undefined,
): Promise<{ url: string; kubeconfig: string; expireWatches(): number; close(): Promise<void> }> {
  const target = new URL(sim.url);
  const sockets = new Set<Socket>();
  const watches = new Set<{ res: ServerResponse; up: ReturnType<typeof httpRequest> }>();
  const server = createServer((req, res) => {
    if (intercept(req, res)) return;
    const isWatch = /[?&]watch=(true|1)/.test(req.url ?? '');
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      res.flushHeaders();
      if (isWatch) {
        const entry = { res, up };
        watches.add(entry);
        res.on('close', () => watches.delete(entry));
      }
      r.on('data', (c) => res.write(c));
      r.on('end', () => res.end());
      r.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'driftline-live-proxy-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfigYaml().replace(sim.url, url));
  return {
    url,
    kubeconfig,
    expireWatches() {
      const all = [...watches];
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: the watch cache moved on', reason: 'Expired', code: 410 };
      for (const w of all) {
        watches.delete(w);
        w.up.destroy();
        w.res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
      }
      return all.length;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
