/**
 * A year of GitOps history for the report benchmark, written with bulk SQL into
 * a migrated database: commits, desired revisions, live revisions (applier
 * applies after a delay, some never applied, some superseded, hand edits that
 * the applier reverts), drift intervals (their chained events come from the
 * database trigger), and a few recording gaps. Every commit, desired revision
 * and live revision carries the same hash chain the product writes (records
 * built with the compiled api), so `report verify` can check a bench report.
 *
 * Erasable TypeScript only: Node 24 runs it directly.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { prng } from '../../api/src/core/prng.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'api', 'dist', 'api', 'src');
const require = createRequire(import.meta.url);

export function compiled<T = any>(rel: string): T {
  const path = join(DIST, rel);
  if (!existsSync(path)) throw new Error(`${path} is missing: build the api first (npx tsc -p api/tsconfig.build.json)`);
  return require(path) as T;
}

export interface DatasetOptions {
  changes: number;
  objects: number;
  handEdits: number;
  year: number;
  seed: number;
}

export interface DatasetSummary {
  commits: number;
  desiredRevisions: number;
  liveRevisions: number;
  driftIntervals: number;
  documents: number;
  handEdits: number;
  neverApplied: number;
  seconds: number;
}

interface LiveEvent {
  at: number;
  object: number;
  doc: string | null;
  meta: string | null;
  manager: string;
  operation: string;
}

const DAY = 86_400_000;

function hex40(n: number): string {
  return (n.toString(16).padStart(8, '0') + 'a5'.repeat(16)).slice(0, 40);
}

function isoGit(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + '+00:00';
}

/** Bulk insert through unnest: one statement per batch. */
async function insert(c: DataSource, table: string, cols: [string, string][], rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const part = rows.slice(i, i + 5000);
    const params = cols.map((_, j) => part.map((r) => r[j] ?? null));
    const sel = cols.map(([, t], j) => (t === 'jsonb' ? `u.c${j}::jsonb` : t === 'text[]' ? `string_to_array(u.c${j}, ',')` : `u.c${j}`));
    const args = cols.map(([, t], j) => `$${j + 1}::${t === 'jsonb' || t === 'text[]' ? 'text' : t}[]`);
    await c.query(
      `INSERT INTO ${table} (${cols.map(([n]) => (n === 'group' ? '"group"' : n)).join(', ')}) SELECT ${sel.join(', ')} FROM unnest(${args.join(', ')}) AS u(${cols.map((_, j) => `c${j}`).join(', ')})`,
      params,
    );
  }
}

export async function generateDataset(c: DataSource, o: DatasetOptions): Promise<DatasetSummary> {
  const started = performance.now();
  const { canonicalJson, sha256Hex } = compiled('core/canonical.js');
  const { chainHash } = compiled('core/chain.js');
  const { identityKey } = compiled('core/identity.js');
  const { liveRevisionRecord } = compiled('cluster/live-writer.js');
  const rand = prng(o.seed);
  const start = Date.UTC(o.year, 0, 1);
  const span = Date.UTC(o.year + 1, 0, 1) - start;

  const repoId = Number((await c.query(`INSERT INTO repositories (name, branch, source) VALUES ('infra', 'main', 'path:/srv/infra') RETURNING id`))[0].id);
  const clusterId = Number((await c.query(`INSERT INTO clusters (name, connected) VALUES ('prod-eu', true) RETURNING id`))[0].id);

  // Objects: half Deployments, half ConfigMaps, in 20 namespaces.
  const objects = Array.from({ length: o.objects }, (_, i) => ({
    group: i % 2 ? '' : 'apps',
    kind: i % 2 ? 'ConfigMap' : 'Deployment',
    namespace: `team-${i % 20}`,
    name: `app-${i}`,
  }));
  await insert(c, 'objects', [['group', 'text'], ['kind', 'text'], ['namespace', 'text'], ['name', 'text']], objects.map((x) => [x.group, x.kind, x.namespace, x.name]));
  const idRows = (await c.query(`SELECT id::int, name FROM objects`)) as { id: number; name: string }[];
  const objectId = new Map(idRows.map((r) => [r.name, r.id]));
  const ids = objects.map((x) => objectId.get(x.name)!);
  const keys = objects.map((x) => identityKey(x));

  const docs = new Map<string, string>();
  const store = (body: unknown): string => {
    const json = canonicalJson(body);
    const h = sha256Hex(json);
    docs.set(h, json);
    return h;
  };
  const desiredBody = (i: number, v: number) => {
    const x = objects[i]!;
    if (x.kind === 'ConfigMap') return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: x.name, namespace: x.namespace }, data: { VERSION: `1.${v}`, LOG_LEVEL: 'info', POOL: String(4 + (v % 5)) } };
    return {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: x.name, namespace: x.namespace, labels: { app: x.name } },
      spec: {
        replicas: 2 + (v % 3), selector: { matchLabels: { app: x.name } },
        template: { metadata: { labels: { app: x.name } }, spec: { containers: [{ name: 'app', image: `registry.example.com/${x.name}:1.${v}`, ports: [{ containerPort: 8080 }], env: [{ name: 'VERSION', value: `1.${v}` }], resources: { limits: { cpu: '500m', memory: '256Mi' } } }] } },
      },
    };
  };
  /** What the cluster shows after an apply: API-server defaults, quantities rewritten. */
  const liveBody = (i: number, v: number, hand: boolean) => {
    const b = desiredBody(i, v) as any;
    if (b.kind === 'Deployment') {
      b.spec.revisionHistoryLimit = 10;
      b.spec.progressDeadlineSeconds = 600;
      b.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      const k = b.spec.template.spec.containers[0];
      k.imagePullPolicy = 'IfNotPresent';
      k.terminationMessagePath = '/dev/termination-log';
      k.terminationMessagePolicy = 'File';
      k.resources.limits = { cpu: '0.5', memory: '256Mi' };
      b.spec.template.spec.restartPolicy = 'Always';
      b.spec.template.spec.dnsPolicy = 'ClusterFirst';
      if (hand) k.env.push({ name: 'DEBUG', value: '1' });
    } else if (hand) b.data.LOG_LEVEL = 'debug';
    return b;
  };
  const meta = (i: number, at: number, hand: boolean) => {
    const x = objects[i]!;
    const applier = { manager: 'kustomize-controller', operation: 'Apply', apiVersion: x.group ? 'apps/v1' : 'v1', time: new Date(at).toISOString().slice(0, 19) + 'Z', fieldsType: 'FieldsV1', fieldsV1: x.kind === 'ConfigMap' ? { 'f:data': { 'f:VERSION': {}, 'f:LOG_LEVEL': {}, 'f:POOL': {} } } : { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:env': {}, 'f:resources': {} } } } } } } };
    const edit = { manager: 'kubectl-edit', operation: 'Update', apiVersion: applier.apiVersion, time: applier.time, fieldsType: 'FieldsV1', fieldsV1: x.kind === 'ConfigMap' ? { 'f:data': { 'f:LOG_LEVEL': {} } } : { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:env': { 'k:{"name":"DEBUG"}': { '.': {}, 'f:name': {}, 'f:value': {} } } } } } } } } };
    return store({ v: 1, managedFields: hand ? [applier, edit] : [applier], lastApplied: null });
  };

  // Commits: two objects each; every object's first change creates it.
  const commits = Math.ceil(o.changes / 2);
  const commitRows: unknown[][] = [];
  const desiredRows: unknown[][] = [];
  const versions = new Array<number>(o.objects).fill(0);
  const perObject: { at: number; v: number; applied: number | null }[][] = objects.map(() => []);
  let commitChain: string | null = null;
  let desiredChain: string | null = null;
  let neverApplied = 0;
  const authors = Array.from({ length: 40 }, (_, i) => ({ name: `Engineer ${i}`, email: `engineer${i}@example.com` }));
  let revs = 0;
  for (let k = 0; k < commits && revs < o.changes; k++) {
    const at = start + Math.floor(((k + rand() * 0.5) / commits) * span);
    const sha = hex40(k + 1);
    const parents = k ? [hex40(k)] : [];
    const who = authors[Math.floor(rand() * authors.length)]!;
    const pr = rand() < 0.7 ? 1000 + k : null;
    const subject = pr ? `Bump services (#${pr})` : 'Tune configuration';
    const message = `${subject}\n\nAutomated change ${k}.\n`;
    const person = { name: who.name, email: who.email, time: isoGit(at), tz: '+0000' };
    const hash: string = chainHash(commitChain, { sha, parents, author: person, committer: person, message });
    commitRows.push([repoId, sha, k + 1, parents.join(','), true, who.name, who.email, new Date(at), '+0000', who.name, who.email, new Date(at), '+0000', subject, message, pr, pr ? 'github-pr' : null, commitChain, hash]);
    commitChain = hash;
    const picks = new Set<number>();
    if (k * 2 < o.objects) {
      picks.add(k * 2);
      if (k * 2 + 1 < o.objects) picks.add(k * 2 + 1);
    } else while (picks.size < 2) picks.add(Math.floor(rand() * o.objects));
    for (const i of picks) {
      if (revs >= o.changes) break;
      const v = ++versions[i]!;
      const doc = store(desiredBody(i, v));
      const change = v === 1 ? 'created' : 'configured';
      const path = `clusters/prod/${objects[i]!.namespace}/${objects[i]!.name}.yaml`;
      const h: string = chainHash(desiredChain, { environment: 'prod', object: keys[i], commit: sha, document: doc, path, change });
      desiredRows.push(['prod', ids[i], repoId, sha, k + 1, new Date(at), doc, path, change, desiredChain, h]);
      desiredChain = h;
      revs++;
      // The applier follows 20 s to 5 min later; 1% never.
      const skip = rand() < 0.01;
      if (skip) neverApplied++;
      perObject[i]!.push({ at, v, applied: skip ? null : at + 20_000 + Math.floor(rand() * 280_000) });
    }
  }

  // Live: per object, applies in order (a change overtaken before its apply is superseded), plus hand edits the applier reverts.
  const live: LiveEvent[] = [];
  const intervals: unknown[][] = [];
  let handEdits = 0;
  const editTargets = new Set<number>();
  while (editTargets.size < Math.min(o.handEdits, o.objects)) editTargets.add(Math.floor(rand() * o.objects));
  for (let i = 0; i < o.objects; i++) {
    const list = perObject[i]!;
    let lastApplied = -Infinity;
    let openSince: number | null = null;
    let openBy: unknown = null;
    for (let j = 0; j < list.length; j++) {
      const ch = list[j]!;
      const next = list[j + 1];
      if (openSince === null) {
        openSince = ch.at;
        openBy = { source: 'git', commit: hex40(0), author: null };
      }
      if (ch.applied === null || (next && ch.applied >= next.at)) continue; // never applied, or superseded before its apply
      const at = Math.max(ch.applied, lastApplied + 1);
      live.push({ at, object: i, doc: store(liveBody(i, ch.v, false)), meta: meta(i, at, false), manager: 'kustomize-controller', operation: 'Apply' });
      lastApplied = at;
      intervals.push(['prod', ids[i], ch.v === 1 ? 'missing' : 'modified', new Date(openSince), new Date(at), JSON.stringify(openBy), JSON.stringify({ source: 'live', revision: '0', manager: 'kustomize-controller', operation: 'Apply' }), ch.v === 1 ? 'in Git, not in the cluster' : 'spec differs from Git', '[]']);
      openSince = null;
      // A hand edit in the quiet time after this apply, reverted by the applier 5 to 60 minutes later.
      if (editTargets.has(i) && handEdits < o.handEdits && next && next.at - at > 2 * 3_600_000 && rand() < 0.5) {
        const te = at + 600_000 + Math.floor(rand() * 600_000);
        const tr = te + 300_000 + Math.floor(rand() * 3_300_000);
        if (tr < next.at) {
          live.push({ at: te, object: i, doc: store(liveBody(i, ch.v, true)), meta: meta(i, te, true), manager: 'kubectl-edit', operation: 'Update' });
          live.push({ at: tr, object: i, doc: store(liveBody(i, ch.v, false)), meta: meta(i, tr, false), manager: 'kustomize-controller', operation: 'Apply' });
          intervals.push(['prod', ids[i], 'modified', new Date(te), new Date(tr), JSON.stringify({ source: 'live', revision: '0', manager: 'kubectl-edit', operation: 'Update' }), JSON.stringify({ source: 'live', revision: '0', manager: 'kustomize-controller', operation: 'Apply' }), '+spec.template.spec.containers[app].env[DEBUG] (kubectl-edit)', '[]']);
          lastApplied = tr;
          handEdits++;
        }
      }
    }
    if (openSince !== null) intervals.push(['prod', ids[i], 'modified', new Date(openSince), null, JSON.stringify(openBy), null, 'spec differs from Git', '[]']);
  }
  live.sort((a, b) => a.at - b.at || a.object - b.object);

  await insert(c, 'documents', [['hash', 'text'], ['body', 'jsonb'], ['size', 'integer']], [...docs].map(([h, j]) => [h, j, Buffer.byteLength(j)]));
  await insert(c, 'commits', [
    ['repository_id', 'bigint'], ['sha', 'text'], ['seq', 'bigint'], ['parents', 'text[]'], ['first_parent', 'boolean'], ['author_name', 'text'], ['author_email', 'text'],
    ['authored_at', 'timestamptz'], ['author_tz', 'text'], ['committer_name', 'text'], ['committer_email', 'text'], ['committed_at', 'timestamptz'], ['committer_tz', 'text'],
    ['subject', 'text'], ['message', 'text'], ['pr_number', 'integer'], ['pr_kind', 'text'], ['prev_hash', 'text'], ['hash', 'text'],
  ], commitRows);
  await c.query(`UPDATE repositories SET next_seq = $2, head_sha = $3, last_indexed_sha = $3 WHERE id = $1`, [repoId, commits + 1, hex40(commits)]);
  await insert(c, 'desired_revisions', [
    ['environment', 'text'], ['object_id', 'bigint'], ['repository_id', 'bigint'], ['commit_sha', 'text'], ['commit_seq', 'bigint'], ['committed_at', 'timestamptz'],
    ['document_hash', 'text'], ['path', 'text'], ['change', 'text'], ['prev_hash', 'text'], ['hash', 'text'],
  ], desiredRows);

  // Monthly partitions, as the live writer keeps them.
  const { RevisionPartitions } = compiled('cluster/partitions.js');
  await new RevisionPartitions(c).ensure(live.map((e) => new Date(e.at)));
  let liveChain: string | null = null;
  const seen = new Set<number>();
  let rv = 1000;
  const liveRows = live.map((e) => {
    const change = seen.has(e.object) ? 'configured' : 'created';
    seen.add(e.object);
    const observedAt = new Date(e.at);
    const rec = { key: keys[e.object], observedAt, changedAt: observedAt, resourceVersion: String(++rv), uid: `uid-${e.object}`, documentHash: e.doc, metaHash: e.meta, manager: e.manager, operation: e.operation, change, source: 'watch' };
    const h = chainHash(liveChain, liveRevisionRecord('prod-eu', rec));
    const row = [clusterId, ids[e.object], observedAt, observedAt, rec.resourceVersion, rec.uid, e.doc, e.meta, e.manager, e.operation, change, 'watch', liveChain, h];
    liveChain = h;
    return row;
  });
  await insert(c, 'live_revisions', [
    ['cluster_id', 'bigint'], ['object_id', 'bigint'], ['observed_at', 'timestamptz'], ['changed_at', 'timestamptz'], ['resource_version', 'text'], ['uid', 'text'],
    ['document_hash', 'text'], ['meta_hash', 'text'], ['manager', 'text'], ['operation', 'text'], ['change', 'text'], ['source', 'text'], ['prev_hash', 'text'], ['hash', 'text'],
  ], liveRows);
  await c.query(`UPDATE clusters SET chain_head = $2 WHERE id = $1`, [clusterId, liveChain]);
  // Drift intervals; the trigger appends one chained drift event per row.
  intervals.sort((a, b) => (a[3] as Date).getTime() - (b[3] as Date).getTime());
  await insert(c, 'drift_intervals', [
    ['environment', 'text'], ['object_id', 'bigint'], ['type', 'text'], ['opened_at', 'timestamptz'], ['closed_at', 'timestamptz'], ['opened_by', 'jsonb'], ['closed_by', 'jsonb'], ['summary', 'text'], ['changes', 'jsonb'],
  ], intervals);
  // Two recording gaps (a watch that was forbidden for a few hours).
  await c.query(
    `INSERT INTO live_gaps (cluster_id, "group", kind, started_at, ended_at, reason) VALUES ($1, 'apps', 'Deployment', $2, $3, 'watch failed: 403 forbidden'), ($1, '', 'ConfigMap', $4, $5, 'API server unreachable')`,
    [clusterId, new Date(start + 100 * DAY), new Date(start + 100 * DAY + 4 * 3_600_000), new Date(start + 200 * DAY), new Date(start + 200 * DAY + 3_600_000)],
  );
  await c.query('ANALYZE');
  return {
    commits: commitRows.length,
    desiredRevisions: desiredRows.length,
    liveRevisions: liveRows.length,
    driftIntervals: intervals.length,
    documents: docs.size,
    handEdits,
    neverApplied,
    seconds: (performance.now() - started) / 1000,
  };
}
