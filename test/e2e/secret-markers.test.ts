import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { ChatReceiver } from '../support/chat-receivers';
import { eventually, startSimCluster } from '../unit/cluster/support';
import type { SimCluster } from '../../api/src/cluster/sim';
import { GitIndexService } from '../../api/src/git/git-index.service';
import { LiveRecorderService } from '../../api/src/cluster/live-recorder.service';
import { DriftEngineService } from '../../api/src/drift/drift-engine.service';
import { AlertEvaluatorService } from '../../api/src/alerts/alert-evaluator.service';
import { DeliveryWorkerService } from '../../api/src/alerts/delivery-worker.service';
import { ReportsService } from '../../api/src/reports/reports.service';
import { describeHits, findMarkers, Haystack, LogCapture, marker, pdfTexts, pgDump } from '../support/secret-markers';

/**
 * Issue 10's acceptance: unique markers planted wherever a secret lives — a Git
 * Secret (data and stringData, over several commits), a live Secret (and the
 * last-applied annotation kubectl writes), ConfigMap keys, env vars and
 * annotations that `sensitive:` names, a chat webhook URL and signing secret, a
 * repository's webhook secret — then every feature is used, and the database
 * (pg_dump), the logs and every API answer (headers and bodies, reports in CSV,
 * JSON and PDF included) are searched for them: zero hits. A value planted in a
 * field that is not sensitive takes the same path and must be found everywhere
 * it is shown, so a zero means redaction, not a search that cannot find.
 */

const ENV = 'prod';
const NS = 'shop';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** One marker per place a secret lives. */
const M = {
  gitSecretData1: marker(),
  gitSecretString1: marker(),
  gitSecretData2: marker(),
  gitSecretString2: marker(),
  gitSecretData3: marker(),
  gitConfigMapKey1: marker(),
  gitConfigMapKey2: marker(),
  gitEnvPassword: marker(),
  gitEnvCustom: marker(),
  gitAnnotation: marker(),
  gitPodAnnotation: marker(),
  gitDeletedSecret: marker(),
  gitListSecret: marker(),
  gitBrokenSecret: marker(),
  kustLiteral: marker(),
  kustBadLiteral: marker(),
  kustEnvFile: marker(),
  kustPemLine: marker(),
  kustConfigMapLiteral: marker(),
  liveSecretCreated: marker(),
  liveSecretRotated: marker(),
  liveSecretAdded: marker(),
  liveConfigMapKey: marker(),
  liveConfigMapEdited: marker(),
  liveEnvPassword: marker(),
  liveEnvCustom: marker(),
  liveAnnotation: marker(),
  livePodAnnotation: marker(),
  liveBinaryKey: marker(),
  liveDeletedSecret: marker(),
  webhookUrlPath: marker(),
  deadWebhookUrlPath: marker(),
  channelSigningSecret: marker(),
  repoWebhookSecret: marker(),
};
/** Planted in a field no rule calls sensitive: it must show up (the positive control). */
const VISIBLE = { git: marker(), live: marker() };

/** Git history begins three hours ago, a commit every ten minutes; the cluster is recorded now. */
const T0 = Date.now() - 3 * 3_600_000;
const gitTime = (n: number) => new Date(T0 + n * 600_000).toISOString();

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secretYaml(data: Record<string, string>, stringData: Record<string, string>, name = 'db-creds'): string {
  const d = Object.entries(data).map(([k, v]) => `  ${k}: ${b64(v)}\n`).join('');
  const s = Object.entries(stringData).map(([k, v]) => `  ${k}: "${v}"\n`).join('');
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ntype: Opaque\n${d ? 'data:\n' + d : ''}${s ? 'stringData:\n' + s : ''}`;
}

function configMapYaml(dsn: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: ${NS}
  annotations:
    acme.io/signing-key: "${M.gitAnnotation}"
data:
  primary_dsn: "${dsn}"
  color: "${VISIBLE.git}"
`;
}

function deploymentYaml(): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: ${NS}
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata:
      labels: { app: api }
      annotations: { acme.io/signing-cert: "${M.gitPodAnnotation}" }
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0
          env:
            - { name: DB_PASSWORD, value: "${M.gitEnvPassword}" }
            - { name: PRIMARY_DSN, value: "${M.gitEnvCustom}" }
            - { name: LOG_LEVEL, value: info }
`;
}

/** An object as `kubectl apply` writes it: the whole manifest, values in clear, in the last-applied annotation. */
function kubectlApplied<T extends { metadata: { annotations?: Record<string, string> } }>(obj: T): T {
  const annotations = { ...(obj.metadata.annotations ?? {}), [LAST_APPLIED]: JSON.stringify(obj) + '\n' };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

const liveSecret = () =>
  kubectlApplied({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-creds', namespace: NS } as { name: string; namespace: string; annotations?: Record<string, string> }, type: 'Opaque', stringData: { password: M.liveSecretCreated } });
const liveConfigMap = () =>
  kubectlApplied({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-config', namespace: NS, annotations: { 'acme.io/signing-key': M.liveAnnotation } as Record<string, string> },
    data: { primary_dsn: M.liveConfigMapKey, color: VISIBLE.live },
    binaryData: { tls_private_key: b64(M.liveBinaryKey) },
  });
const liveDeployment = () =>
  kubectlApplied({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: NS } as { name: string; namespace: string; annotations?: Record<string, string> },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' }, annotations: { 'acme.io/signing-cert': M.livePodAnnotation } },
        spec: {
          containers: [
            {
              name: 'api',
              image: 'registry.example.com/api:1.0',
              env: [
                { name: 'DB_PASSWORD', value: M.liveEnvPassword },
                { name: 'PRIMARY_DSN', value: M.liveEnvCustom },
                { name: 'LOG_LEVEL', value: 'info' },
              ],
            },
          ],
        },
      },
    },
  });

interface Captured {
  label: string;
  status: number;
  headers: string;
  body: Buffer;
}

let db: TestDatabase;
let app: TestServer;
let repo: GitRepoBuilder;
let sim: SimCluster;
let receiver: ChatReceiver;
let hookUrl: string;
const logs = new LogCapture();
const captured: Captured[] = [];
const shas: string[] = [];
const extra: Haystack[] = [];
let dataDump = '';
let schemaDump = '';
let streamed: Promise<string>;

const currentLiveNames = async (kind: string): Promise<string[]> =>
  (await db.dataSource.query(`SELECT o.name FROM live_current lc JOIN objects o ON o.id = lc.object_id WHERE o.kind = $1 ORDER BY o.name`, [kind])).map((r: { name: string }) => r.name);

/** Calls the API as the admin and keeps the whole answer, headers and body, for the search. */
async function call(path: string, init: RequestInit & { expect?: number } = {}): Promise<Captured> {
  const { expect: want, ...rest } = init;
  const res = await app.get(path, rest);
  const c: Captured = {
    label: `${rest.method ?? 'GET'} ${path}`,
    status: res.status,
    headers: [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n'),
    body: Buffer.from(await res.arrayBuffer()),
  };
  captured.push(c);
  if (want !== undefined && c.status !== want) throw new Error(`${c.label}: expected ${want}, got ${c.status}: ${c.body.toString('utf8').slice(0, 500)}`);
  return c;
}
const json = async <T = any>(path: string, init: RequestInit & { expect?: number } = {}): Promise<T> => JSON.parse((await call(path, { expect: 200, ...init })).body.toString('utf8')) as T;
const post = (path: string, body?: unknown, expectStatus?: number) =>
  call(path, { method: 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), expect: expectStatus });

/** Reads a server-sent event stream until `until` holds for what arrived (or the time is up), then closes it; `onReady` runs once the stream has taken its starting point. */
async function readStream(path: string, until: (text: string) => boolean, onReady: () => void, timeoutMs = 20_000): Promise<string> {
  const ac = new AbortController();
  const res = await app.get(path, { signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      if (/^event: ready$/m.test(text)) onReady();
      if (until(text)) break;
    }
  } catch {
    // aborted at the deadline: what arrived is searched all the same
  } finally {
    clearTimeout(timer);
    ac.abort();
    onReady(); // never leave the caller waiting on a stream that ended early
  }
  captured.push({ label: `GET ${path} (event stream)`, status: res.status, headers: [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n'), body: Buffer.from(text) });
  return text;
}

function haystacks(): Haystack[] {
  const out: Haystack[] = [];
  for (const c of captured) {
    out.push({ where: `${c.label} → ${c.status} (headers)`, text: c.headers });
    const isPdf = c.body.subarray(0, 5).toString('latin1') === '%PDF-';
    if (isPdf) for (const p of pdfTexts(c.body)) out.push({ where: `${c.label} (PDF ${p.part})`, text: p.text });
    else out.push({ where: `${c.label} → ${c.status} (body)`, text: c.body.toString('utf8') });
  }
  out.push({ where: 'logs', text: logs.text });
  out.push({ where: 'pg_dump --data-only', text: dataDump });
  out.push({ where: 'pg_dump --schema-only', text: schemaDump });
  out.push(...extra);
  return out;
}

beforeAll(async () => {
  db = await freshDatabase();
  repo = await GitRepoBuilder.create();
  // Git: three commits that change the Secret's values (data and stringData), the sensitive ConfigMap key twice.
  shas.push(
    await repo.commit({
      files: {
        'clusters/prod/secret.yaml': secretYaml({ password: M.gitSecretData1 }, { token: M.gitSecretString1 }),
        'clusters/prod/config.yaml': configMapYaml(M.gitConfigMapKey1),
        'clusters/prod/api.yaml': deploymentYaml(),
        'clusters/prod/old-secret.yaml': secretYaml({ password: M.gitDeletedSecret }, {}, 'old-creds'),
        // A List holding a Secret, as `kubectl get -o yaml` writes it.
        'clusters/prod/list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: { name: list-creds, namespace: ${NS} }\n    stringData: { apiKey: "${M.gitListSecret}" }\n`,
        // Kustomize generators: literals and an env file…
        'kust/good/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${NS}
secretGenerator:
  - name: kust-creds
    literals: [password=${M.kustLiteral}]
    envs: [secrets.env]
configMapGenerator:
  - name: kust-config
    literals: [db_password=${M.kustConfigMapLiteral}, color=${VISIBLE.git}]
`,
        'kust/good/secrets.env': `API_TOKEN=${M.kustEnvFile}\n`,
        // …and ones that do not render: a literal written with ':' instead of '=', an env file with a multi-line PEM value.
        'kust/broken/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${NS}
secretGenerator:
  - name: broken-creds
    literals: ["DB_PASSWORD:${M.kustBadLiteral}"]
    envs: [secrets.env]
`,
        'kust/broken/secrets.env': `TLS_KEY=-----BEGIN PRIVATE KEY-----\n${M.kustPemLine}+/x9Qw\n-----END PRIVATE KEY-----\n`,
        // A Secret that does not parse: its problem is reported, its value is not.
        'clusters/prod/broken-secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: { name: broken, namespace: ${NS} }\nstringData:\n  password: "${M.gitBrokenSecret}\n   bad: [indent\n`,
      },
      message: 'Add the api, its config and its credentials',
      date: gitTime(0),
    }),
  );
  shas.push(
    await repo.commit({
      files: { 'clusters/prod/secret.yaml': secretYaml({ password: M.gitSecretData2 }, { token: M.gitSecretString2 }), 'clusters/prod/config.yaml': configMapYaml(M.gitConfigMapKey2) },
      message: 'Rotate the database credentials',
      date: gitTime(1),
    }),
  );
  shas.push(
    await repo.commit({
      files: { 'clusters/prod/secret.yaml': secretYaml({ password: M.gitSecretData2, replica: M.gitSecretData3 }, {}), 'clusters/prod/old-secret.yaml': null },
      message: 'Add the replica password; tokens come from elsewhere now',
      date: gitTime(2),
    }),
  );

  const s = await startSimCluster();
  sim = s.sim;
  sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  sim.apply(liveSecret(), { manager: 'kubectl-client-side-apply' });
  sim.apply(liveConfigMap(), { manager: 'kubectl-client-side-apply' });
  sim.apply(liveDeployment(), { manager: 'kubectl-client-side-apply' });

  receiver = await ChatReceiver.start('webhook', { secret: M.channelSigningSecret });
  // The receiver answers any path ending in its token; the marker sits in the path the way real webhook credentials do.
  const u = new URL(receiver.url);
  hookUrl = `${u.origin}/hooks/${M.webhookUrlPath}/${receiver.token}`;

  // A port nothing listens on (taken, then freed): delivering there fails with a network error.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));

  const dataDir = mkdtempSync(join(tmpdir(), 'driftline-markers-'));
  app = await startTestServer({
    databaseUrl: db.url,
    dataDir,
    workers: false,
    logger: pino({ level: 'trace' }, logs),
    config: {
      dataDir,
      server: { baseUrl: 'https://driftline.example.com' },
      repositories: [{ name: 'infra', path: repo.dir, webhookSecret: M.repoWebhookSecret }],
      clusters: [{ name: 'prod-eu', kubeconfig: s.kubeconfig, kinds: ['Secret', 'ConfigMap', 'apps/Deployment'] }],
      environments: [
        { name: ENV, repository: 'infra', cluster: 'prod-eu', paths: ['clusters/prod/**'], namespaces: [NS] },
        { name: 'kust', repository: 'infra', paths: ['kust/**'], render: 'kustomize', entries: ['kust/good', 'kust/broken'] },
      ],
      channels: [
        { name: 'ops', type: 'webhook', url: hookUrl, secret: M.channelSigningSecret },
        // Refused: the failure is recorded and logged, and must not carry the URL either.
        { name: 'down', type: 'slack', url: `http://127.0.0.1:${deadPort}/services/${M.deadWebhookUrlPath}`, timeout: '2s' },
      ],
      alerts: [{ name: 'prod-drift', environments: [ENV], schedule: '*/5 * * * *', channels: ['ops', 'down'], maxAttempts: 1 }],
      sensitive: { configMapKeys: ['*_dsn'], envNames: ['*_DSN'], annotations: ['acme.io/signing-*'] },
    },
  });

  // ── every feature, once through ──────────────────────────────────────────
  await app.app.get(GitIndexService).index();
  await post('/api/v1/repositories/infra/index?fetch=false', undefined, 200);
  const recorder = app.app.get(LiveRecorderService);
  await recorder.snapshot();
  await post('/api/v1/clusters/prod-eu/snapshot', undefined, 200);

  // Watch, while the timeline stream is open: the Secret is rotated and gains a key, the ConfigMap is edited.
  await recorder.startWatching();
  await sim.waitForWatches(3);
  const objects0 = await json<{ items: { objectId: number; kind: string; name: string }[] }>('/api/v1/objects?limit=100');
  const secretId = objects0.items.find((o) => o.kind === 'Secret')!.objectId;
  const historyLength = async () => (await json<{ revisions: unknown[] }>(`/api/v1/objects/${secretId}/history`)).revisions.length;
  const before = await historyLength();
  let ready!: () => void;
  const streamReady = new Promise<void>((r) => (ready = r));
  streamed = readStream(`/api/v1/environments/${ENV}/timeline/stream`, (t) => (t.match(/^event: event$/gm) ?? []).length >= 2, () => ready());
  await streamReady;
  sim.patch({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'db-creds' }, { stringData: { password: M.liveSecretRotated, replica: M.liveSecretAdded } }, { manager: 'kubectl-patch' });
  sim.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'app-config' }, { data: { primary_dsn: M.liveConfigMapEdited } }, { manager: 'kubectl-edit' });
  // A Secret made by hand and deleted again: both its revisions are recorded.
  sim.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'temp-creds', namespace: NS }, stringData: { password: M.liveDeletedSecret } }, { manager: 'kubectl-create' });
  sim.delete({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'temp-creds' }, { manager: 'kubectl' });
  await eventually(async () => expect(await historyLength()).toBeGreaterThan(before));
  await streamed;
  await eventually(async () => expect(await currentLiveNames('Secret')).toEqual(['db-creds']));
  await recorder.stopWatching();

  await app.app.get(DriftEngineService).catchUp(ENV);
  await app.app.get(AlertEvaluatorService).evaluate('prod-drift', { trigger: 'manual' });
  await app.app.get(DeliveryWorkerService).pass();

  // Push webhooks: GitLab's token, GitHub's signature, and a wrong token.
  const hookBody = JSON.stringify({ ref: 'refs/heads/main' });
  await call('/api/v1/hooks/git/infra', { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': M.repoWebhookSecret }, body: hookBody, expect: 202 });
  const signature = 'sha256=' + createHmac('sha256', M.repoWebhookSecret).update(hookBody).digest('hex');
  await call('/api/v1/hooks/git/infra', { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature, 'x-github-event': 'push' }, body: hookBody, expect: 202 });
  await call('/api/v1/hooks/git/infra', { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': M.repoWebhookSecret + 'x' }, body: hookBody, expect: 401 });

  // Chat: a test message on each channel (one arrives, one fails).
  await post('/api/v1/alerts/channels/ops/test', undefined, 200);
  await post('/api/v1/alerts/channels/down/test');

  // Reports in every format, generated by the worker and downloaded.
  const window = { from: new Date(T0 - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
  const reportIds: string[] = [];
  for (const format of ['csv', 'json', 'pdf']) reportIds.push(JSON.parse((await post('/api/v1/reports', { environments: [ENV, 'kust'], ...window, format }, 202)).body.toString()).id);
  await app.app.get(ReportsService).tick();
  await app.app.get(ReportsService).tick();
  await app.app.get(ReportsService).tick();
  await json('/api/v1/reports?limit=50');
  for (const id of reportIds) {
    expect((await json(`/api/v1/reports/${id}`)).status).toBe('done');
    await call(`/api/v1/reports/${id}/download`, { expect: 200 });
  }

  // ── every read the API offers ────────────────────────────────────────────
  for (const p of ['/healthz', '/readyz', '/metrics', '/api/docs', '/api/docs-json', '/api/v1/info', '/api/v1/auth/config', '/api/v1/auth/me', '/api/v1/tokens']) await call(p, { expect: 200 });
  await json('/api/v1/repositories');
  await json('/api/v1/repositories/infra/problems');
  const commits: string[] = [];
  for (let cursor: string | null = null, first = true; first || cursor; first = false) {
    const page: { items: { sha: string }[]; nextCursor: string | null } = await json(`/api/v1/commits?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    commits.push(...page.items.map((c) => c.sha));
    cursor = page.nextCursor;
  }
  await json(`/api/v1/commits?environment=${ENV}&path=clusters/prod/secret.yaml`);
  for (const sha of commits) {
    await json(`/api/v1/commits/${sha}`);
    await json(`/api/v1/environments/${ENV}/desired?commit=${sha}`);
    await json(`/api/v1/environments/kust/desired?commit=${sha}`);
  }
  await json(`/api/v1/environments/${ENV}/desired`);
  await json(`/api/v1/environments/kust/desired`);
  await json(`/api/v1/environments/kust/state?side=desired&bodies=true`);
  await json(`/api/v1/environments/kust/timeline?from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}`);
  await json('/api/v1/environments');
  await json(`/api/v1/environments/${ENV}/drift`);
  await json(`/api/v1/environments/${ENV}/drift?unmanaged=true`);
  await json(`/api/v1/environments/${ENV}/drift/history?from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}`);
  for (const side of ['desired', 'live']) {
    await json(`/api/v1/environments/${ENV}/state?side=${side}&bodies=true`);
    await json(`/api/v1/environments/${ENV}/state?side=${side}`);
  }
  await json(`/api/v1/environments/${ENV}/state?side=desired&bodies=true&at=${encodeURIComponent(gitTime(1.5))}`);
  await json(`/api/v1/environments/${ENV}/diff?from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}&side=both`);
  await json(`/api/v1/environments/${ENV}/timeline?from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}`);
  await json(`/api/v1/environments/${ENV}/timeline?from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}&lanes=git,live,drift&kind=Secret`);
  await json('/api/v1/clusters');
  const objects = await json<{ items: { objectId: number; kind: string; name: string }[] }>('/api/v1/objects?limit=100');
  for (const kind of ['Secret', 'ConfigMap', 'Deployment']) await json(`/api/v1/objects?kind=${kind}`);
  for (const o of objects.items) {
    const h = await json<{ revisions: { observedAt: string }[] }>(`/api/v1/objects/${o.objectId}/history`);
    await json(`/api/v1/objects/${o.objectId}/diff?a=desired&b=live&environment=${ENV}`);
    await json(`/api/v1/objects/${o.objectId}/diff?a=${encodeURIComponent(`desired@${gitTime(0.5)}`)}&b=desired&environment=${ENV}`);
    const oldest = h.revisions.at(-1)?.observedAt;
    if (oldest) await json(`/api/v1/objects/${o.objectId}/diff?a=${encodeURIComponent(`live@${oldest}`)}&b=live&environment=${ENV}`);
  }
  await json('/api/v1/alerts/channels');
  await json('/api/v1/alerts/rules');
  await json('/api/v1/alerts/deliveries');
  // A few refusals: problem+json answers echo what was asked, never what is stored.
  await call(`/api/v1/objects/999999/history`);
  await call(`/api/v1/commits/${'0'.repeat(40)}`);
  await call('/api/v1/alerts/channels/nope/test', { method: 'POST' });

  dataDump = pgDump(db.url, 'data');
  schemaDump = pgDump(db.url, 'schema');
}, 180_000);

afterAll(async () => {
  await app?.close();
  await sim?.stop();
  await receiver?.close();
  await db?.drop();
  await repo?.cleanup();
});

describe('planted secrets', () => {
  it('were planted where secrets live, and reached the places that must have them (positive control)', async () => {
    // In Git, in clear, in the commits the indexer read.
    const head = await repo.git(['show', `${shas[1]}:clusters/prod/secret.yaml`]);
    expect(head).toContain(M.gitSecretString2);
    expect(head).toContain(b64(M.gitSecretData2));
    // In the cluster, as the API server holds it (stringData folded into data, base64).
    const live = sim.get({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'db-creds' })! as { data: Record<string, string>; metadata: { annotations: Record<string, string> } };
    expect(live.data.password).toBe(b64(M.liveSecretRotated));
    expect(live.metadata.annotations[LAST_APPLIED]).toContain(M.liveSecretCreated);
    // The chat receiver got the messages at the secret URL, signed with the secret.
    const atHook = receiver.requests.filter((r) => r.path === new URL(hookUrl).pathname);
    expect(atHook.length).toBeGreaterThanOrEqual(2); // the drift alert and the test message
    expect(atHook.every((r) => r.status === 200 && r.problems.length === 0)).toBe(true);
    // The timeline stream carried the live changes as they were recorded.
    expect(await streamed).toMatch(/^event: event$/m);
    // The failing channel was tried, and failed for good.
    const deliveries = await json<{ items: { channel: string; status: string }[] }>('/api/v1/alerts/deliveries?status=dead');
    expect(deliveries.items.some((d) => d.channel === 'down')).toBe(true);
    // The Secret that does not parse is reported as a problem.
    const problems = await json<{ path: string }[]>('/api/v1/repositories/infra/problems');
    expect(problems.map((p) => p.path)).toContain('clusters/prod/broken-secret.yaml');
    // The kustomize environment rendered its generators, and reported the malformed lines by position alone.
    const kust = await json<{ objects: { kind: string; name: string }[] }>('/api/v1/environments/kust/desired');
    expect(kust.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(expect.arrayContaining([expect.stringMatching(/^Secret\/kust-creds-/), expect.stringMatching(/^ConfigMap\/kust-config-/)]));
    const renderProblems = JSON.stringify(await json(`/api/v1/commits/${shas[0]}`));
    expect(renderProblems).toContain('invalid literal, expected KEY=VALUE');
    expect(renderProblems).toContain('line 2: not KEY=VALUE');
    // The search finds what it is looking for: the unredacted value is in the dump, the API, the logs' neighbours…
    const visible = findMarkers(VISIBLE, haystacks());
    const places = new Set(visible.map((h) => h.where.replace(/\?.*$/, '').replace(/ →.*$/, '')));
    expect(visible.some((h) => h.where === 'pg_dump --data-only')).toBe(true);
    expect([...places].some((w) => w.includes(`/state`))).toBe(true);
    expect([...places].some((w) => w.includes('/objects/') && w.includes('/history'))).toBe(true);
  });

  it('a Secret rotation is still visible as drift and as a change, by its keyed hash', async () => {
    const drift = await json<{ items: { kind: string; name: string; type: string }[] }>(`/api/v1/environments/${ENV}/drift`);
    expect(drift.items).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'Secret', name: 'db-creds', type: 'modified' }), expect.objectContaining({ kind: 'ConfigMap', name: 'app-config', type: 'modified' })]));
    const rows: { body: { data: Record<string, string> } }[] = await db.dataSource.query(
      `SELECT d.body FROM live_revisions r JOIN objects o ON o.id = r.object_id JOIN documents d ON d.hash = r.document_hash WHERE o.kind = 'Secret' ORDER BY r.id`,
    );
    const passwords = new Set(rows.map((r) => r.body.data.password));
    expect(passwords.size).toBeGreaterThanOrEqual(2);
    for (const p of passwords) expect(p).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  });

  it('are nowhere in the database dump, the logs or any API answer', () => {
    expect(captured.length).toBeGreaterThan(60);
    expect(logs.lines.length).toBeGreaterThan(20);
    expect(logs.text).toContain('"url":"/api/v1/'); // request logs are among what was searched
    expect(dataDump).toContain('hmac-sha256:');
    const hits = findMarkers(M, haystacks());
    expect(hits, describeHits(hits)).toEqual([]);
  });
});
