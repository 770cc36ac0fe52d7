import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CONFIG } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';
import { DomainError, notFound } from '../common/errors';
import { compareObject, CompareOptions, countsAsDrift, LiveInput, ManagedFieldsEntry, DriftType } from '../core/drift';
import { unifiedYamlDiff, jsonPatch } from '../core/diff';
import { identityKey } from '../core/identity';
import { globToLike, liveInEnvironmentSql } from '../store/environment-scope';
import { DriftEngineService, describeResult, EnvironmentContext } from './drift-engine.service';
import { DesiredPoint, DriftRepository, LivePoint } from './drift.repository';

export interface DriftItem {
  objectId: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  type: DriftType;
  countsAsDrift: boolean;
  summary: string;
  since: string | null;
  openedBy: Record<string, unknown> | null;
  changes: { pointer: string; path: string; op: string; reason: string; manager?: string; desired?: unknown; live?: unknown }[];
  diff: string;
  patch: unknown[];
}

export interface StateObject {
  objectId: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  hash: string;
  at: string;
  body?: Record<string, unknown>;
}

export interface SetChange {
  objectId: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  change: 'created' | 'configured' | 'deleted';
  diff?: string;
  patch?: unknown[];
}

const MAX_DIFFS = 200;
/** In-sync verdicts remembered per compare options (about 200 bytes each). */
const MAX_IN_SYNC = 100_000;

/** Reads for the drift context: status per environment, drift at a point, intervals, state and diffs over time. */
@Injectable()
export class DriftQueryService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: DriftRepository,
    private readonly engine: DriftEngineService,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
  ) {}

  /**
   * compareObject is pure and documents are content-addressed, so the verdict
   * for a (desired, live, meta) triple of hashes under one options object
   * never changes. The in-sync ones (nearly every object) are remembered, so a
   * repeated driftAt neither loads nor compares them again.
   */
  private readonly inSync = new WeakMap<CompareOptions, Set<string>>();

  private async ctx(env: string): Promise<EnvironmentContext> {
    if (!this.config.environments.some((e) => e.name === env)) throw notFound('environment', env);
    return this.engine.context(env);
  }

  async environments() {
    const counts = await this.repo.openCounts();
    const lastCommits = new Map((await this.repo.lastChanges()).map((r) => [r.environment, r.last_commit_at]));
    const since = new Date(Date.now() - 7 * 86_400_000);
    const out = [];
    for (const env of this.config.environments) {
      const ctx = await this.engine.context(env.name);
      const byType: Record<string, number> = { missing: 0, modified: 0, orphaned: 0, unmanaged: 0 };
      for (const c of counts) if (c.environment === env.name) byType[c.type] = c.n;
      const drifted = byType.missing! + byType.modified! + byType.orphaned!;
      const lastLive: Date | null = ctx.clusterId === null
        ? null
        : (await this.ds.query(
            `SELECT max(lr.observed_at) AS t FROM live_revisions lr JOIN objects o ON o.id = lr.object_id
              WHERE lr.cluster_id = $1 AND ${liveInEnvironmentSql({ live: 'lr', object: 'o', namespacePatterns: '$2', environment: '$3' })}`,
            [ctx.clusterId, ctx.env.namespaces.map(globToLike), env.name],
          ))[0].t;
      const spark = await this.sparkline(ctx, since);
      out.push({
        name: env.name,
        repository: env.repository,
        cluster: env.cluster ?? null,
        status: ctx.clusterId === null || ctx.repoId === null ? 'unknown' : drifted > 0 ? 'drifted' : 'in-sync',
        drift: { ...byType, total: drifted },
        lastCommitAt: lastCommits.get(env.name)?.toISOString() ?? null,
        lastLiveChangeAt: lastLive?.toISOString() ?? null,
        changesPerDay: spark,
      });
    }
    return out;
  }

  /** Desired and live changes per day over the last 7 days: a sparkline's data. */
  private async sparkline(ctx: EnvironmentContext, since: Date): Promise<{ day: string; desired: number; live: number }[]> {
    const days: { day: string; desired: number; live: number }[] = [];
    for (let i = 6; i >= 0; i--) days.push({ day: new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10), desired: 0, live: 0 });
    const idx = new Map(days.map((d, i) => [d.day, i]));
    const d: { day: string; n: number }[] = await this.ds.query(
      `SELECT to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS n FROM desired_revisions WHERE environment = $1 AND committed_at >= $2 GROUP BY 1`,
      [ctx.env.name, since],
    );
    for (const r of d) if (idx.has(r.day)) days[idx.get(r.day)!]!.desired = r.n;
    if (ctx.clusterId !== null) {
      const l: { day: string; n: number }[] = await this.ds.query(
        `SELECT to_char(lr.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS n FROM live_revisions lr JOIN objects o ON o.id = lr.object_id
          WHERE lr.cluster_id = $1 AND lr.observed_at >= $2 AND ${liveInEnvironmentSql({ live: 'lr', object: 'o', namespacePatterns: '$3', environment: '$4' })} GROUP BY 1`,
        [ctx.clusterId, since, ctx.env.namespaces.map(globToLike), ctx.env.name],
      );
      for (const r of l) if (idx.has(r.day)) days[idx.get(r.day)!]!.live = r.n;
    }
    return days;
  }

  private async points(ctx: EnvironmentContext, at: Date | null) {
    const [desired, live] = await Promise.all([
      ctx.repoId === null ? [] : this.repo.desiredAt(ctx.env.name, ctx.repoId, at, null),
      ctx.clusterId === null ? [] : this.repo.liveAt(ctx.clusterId, at, null),
    ]);
    return { desired, live };
  }

  /** Drift of an environment at a time (now when omitted), computed from the revisions, each with a diff. */
  async driftAt(envName: string, atIso?: string, opts: { includeUnmanaged?: boolean } = {}): Promise<{ environment: string; at: string; status: string; items: DriftItem[]; counts: Record<string, number> }> {
    const ctx = await this.ctx(envName);
    const at = atIso ? new Date(atIso) : null;
    if (ctx.clusterId === null || ctx.repoId === null) {
      return { environment: envName, at: (at ?? new Date()).toISOString(), status: 'unknown', items: [], counts: {} };
    }
    const [{ desired, live }, openRows] = await Promise.all([this.points(ctx, at), this.repo.openIntervals(envName, null)]);
    const open = new Map(openRows.map((i) => [i.object_id, i]));
    const byId = new Map<number, { d?: DesiredPoint; l?: LivePoint }>();
    for (const d of desired) byId.set(d.object_id, { d });
    for (const l of live) {
      const e = byId.get(l.object_id);
      if (e) e.l = l;
      else if (l.namespace !== '' && ctx.inNamespaces(l.namespace)) byId.set(l.object_id, { l });
      else if (l.namespace === '') byId.set(l.object_id, { l });
    }
    let known = this.inSync.get(ctx.options);
    if (!known) this.inSync.set(ctx.options, (known = new Set()));
    const keyOf = (d?: DesiredPoint, l?: LivePoint) => `${d?.document_hash ?? ''}/${l?.document_hash ?? ''}/${l?.meta_hash ?? ''}`;
    const hashes: string[] = [];
    for (const { d, l } of byId.values()) {
      if (known.has(keyOf(d, l))) continue;
      if (d) hashes.push(d.document_hash);
      if (l) hashes.push(l.document_hash);
      if (l?.meta_hash) hashes.push(l.meta_hash);
    }
    const docs = await this.repo.documents(hashes);
    const items: DriftItem[] = [];
    const counts: Record<string, number> = { missing: 0, modified: 0, orphaned: 0, unmanaged: 0 };
    for (const [objectId, { d, l }] of byId) {
      const key = keyOf(d, l);
      if (known.has(key)) continue;
      const meta = l?.meta_hash ? (docs.get(l.meta_hash) as { managedFields?: ManagedFieldsEntry[]; lastApplied?: object | null } | undefined) : undefined;
      const liveInput: LiveInput | null = l ? { body: docs.get(l.document_hash) ?? {}, managedFields: meta?.managedFields, lastApplied: meta?.lastApplied ?? null } : null;
      const r = compareObject(d ? docs.get(d.document_hash) ?? null : null, liveInput, ctx.options);
      if (r.type === 'in-sync') {
        // Only a verdict on documents that were all there (a missing one reads as empty).
        if ((!d || docs.has(d.document_hash)) && (!l || (docs.has(l.document_hash) && (!l.meta_hash || docs.has(l.meta_hash))))) {
          if (known.size >= MAX_IN_SYNC) known.clear();
          known.add(key);
        }
        continue;
      }
      const ref = (d ?? l)!;
      if (r.type === 'unmanaged' && ref.namespace === '') continue;
      counts[r.type] = (counts[r.type] ?? 0) + 1;
      if (r.type === 'unmanaged' && !opts.includeUnmanaged) continue;
      const interval = at === null ? open.get(objectId) : undefined;
      items.push({
        objectId,
        group: ref.group,
        kind: ref.kind,
        namespace: ref.namespace,
        name: ref.name,
        type: r.type,
        countsAsDrift: countsAsDrift(r.type),
        summary: describeResult(r),
        since: interval?.opened_at.toISOString() ?? null,
        openedBy: interval?.opened_by ?? null,
        changes: r.changes.map((c) => ({ pointer: c.pointer, path: c.path, op: c.op, reason: c.reason, manager: c.manager, desired: c.desired, live: c.live })),
        diff: unifiedYamlDiff(r.normalizedDesired, r.normalizedLive, { labelA: 'git', labelB: 'cluster' }),
        patch: jsonPatch(r.normalizedDesired, r.normalizedLive),
      });
    }
    if (at !== null) {
      // Since when, at a past time: the interval open at that time.
      const rows: { object_id: number; opened_at: Date; opened_by: Record<string, unknown> }[] = await this.ds.query(
        `SELECT object_id::int, opened_at, opened_by FROM drift_intervals WHERE environment = $1 AND opened_at <= $2 AND (closed_at IS NULL OR closed_at > $2)`,
        [envName, at],
      );
      const m = new Map(rows.map((r) => [r.object_id, r]));
      for (const i of items) {
        const r = m.get(i.objectId);
        if (r) {
          i.since = r.opened_at.toISOString();
          i.openedBy = r.opened_by;
        }
      }
    }
    items.sort((a, b) => (a.since ?? '').localeCompare(b.since ?? '') || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    const drifted = counts.missing! + counts.modified! + counts.orphaned!;
    return { environment: envName, at: (at ?? new Date()).toISOString(), status: drifted ? 'drifted' : 'in-sync', items, counts };
  }

  async history(envName: string, from?: string, to?: string, limit = 500) {
    await this.ctx(envName);
    const rows = await this.repo.intervals(envName, from ? new Date(from) : null, to ? new Date(to) : null, limit);
    return rows.map((r) => ({
      id: r.id,
      objectId: r.object_id,
      group: r.group,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      type: r.type,
      openedAt: r.opened_at.toISOString(),
      closedAt: r.closed_at?.toISOString() ?? null,
      durationSeconds: Math.round(((r.closed_at ?? new Date()).getTime() - r.opened_at.getTime()) / 1000),
      openedBy: r.opened_by,
      closedBy: r.closed_by,
      summary: r.summary,
    }));
  }

  async state(envName: string, side: 'desired' | 'live', atIso?: string, withBodies = false): Promise<{ environment: string; side: string; at: string; objects: StateObject[] }> {
    const ctx = await this.ctx(envName);
    const at = atIso ? new Date(atIso) : null;
    let rows: (DesiredPoint | LivePoint)[] = [];
    if (side === 'desired') rows = ctx.repoId === null ? [] : await this.repo.desiredAt(envName, ctx.repoId, at, null);
    else if (ctx.clusterId !== null) {
      // Cluster-scoped objects count for an environment only when its Git declared them (not the cluster's own namespaces).
      const declared = new Set<number>(
        (await this.ds.query(`SELECT DISTINCT object_id::int AS id FROM desired_revisions dr JOIN objects o ON o.id = dr.object_id WHERE dr.environment = $1 AND o.namespace = ''`, [envName])).map((r: { id: number }) => r.id),
      );
      rows = (await this.repo.liveAt(ctx.clusterId, at, null)).filter((l) => (l.namespace === '' ? declared.has(l.object_id) : ctx.inNamespaces(l.namespace)));
    }
    const docs = withBodies ? await this.repo.documents(rows.map((r) => r.document_hash)) : null;
    rows.sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    return {
      environment: envName,
      side,
      at: (at ?? new Date()).toISOString(),
      objects: rows.map((r) => ({
        objectId: r.object_id,
        group: r.group,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        hash: r.document_hash,
        at: ('committed_at' in r ? r.committed_at : r.observed_at).toISOString(),
        ...(docs ? { body: docs.get(r.document_hash) } : {}),
      })),
    };
  }

  /** What was created, changed and deleted on one side between two times, with YAML diffs and JSON patches. */
  async diff(envName: string, fromIso: string, toIso: string, side: 'desired' | 'live' | 'both') {
    const from = new Date(fromIso);
    const to = new Date(toIso);
    if (!(from < to)) throw new DomainError('diff.bad_range', '`from` must be before `to`', 400);
    const sides: ('desired' | 'live')[] = side === 'both' ? ['desired', 'live'] : [side];
    const out: Record<string, { created: SetChange[]; configured: SetChange[]; deleted: SetChange[]; counts: { created: number; configured: number; deleted: number } }> = {};
    // The sides are independent: read and diff them together.
    const perSide = await Promise.all(sides.map(async (s) => {
      const [a, b] = await Promise.all([this.state(envName, s, fromIso), this.state(envName, s, toIso)]);
      const before = new Map(a.objects.map((o) => [o.objectId, o]));
      const after = new Map(b.objects.map((o) => [o.objectId, o]));
      const created: SetChange[] = [];
      const configured: SetChange[] = [];
      const deleted: SetChange[] = [];
      for (const [id, o] of after) {
        const p = before.get(id);
        if (!p) created.push({ ...ref(o), change: 'created' });
        else if (p.hash !== o.hash) configured.push({ ...ref(o), change: 'configured' });
      }
      for (const [id, o] of before) if (!after.has(id)) deleted.push({ ...ref(o), change: 'deleted' });
      const withDiff = [...configured, ...created, ...deleted].slice(0, MAX_DIFFS);
      const hashes = withDiff.flatMap((c) => [before.get(c.objectId)?.hash, after.get(c.objectId)?.hash]).filter((h): h is string => !!h);
      const docs = await this.repo.documents(hashes);
      for (const c of withDiff) {
        const x = before.get(c.objectId);
        const y = after.get(c.objectId);
        const bx = x ? docs.get(x.hash) ?? null : null;
        const by = y ? docs.get(y.hash) ?? null : null;
        c.diff = unifiedYamlDiff(bx, by, { labelA: fromIso, labelB: toIso });
        c.patch = jsonPatch(bx ?? {}, by ?? {});
      }
      const sort = (l: SetChange[]) => l.sort((p, q) => identityKey(p).localeCompare(identityKey(q)));
      return { created: sort(created), configured: sort(configured), deleted: sort(deleted), counts: { created: created.length, configured: configured.length, deleted: deleted.length } };
    }));
    sides.forEach((s, i) => (out[s] = perSide[i]!));
    return { environment: envName, from: from.toISOString(), to: to.toISOString(), ...out };
  }

  /**
   * Diff of one object between two points, each `desired@<ISO>` or `live@<ISO>`
   * (or `desired` / `live` for now). Desired points need the environment.
   */
  async objectDiff(objectId: number, a: string, b: string, envName?: string) {
    const [pa, pb] = [parsePoint(a), parsePoint(b)];
    const ref = (await this.repo.objectRefs([objectId])).get(objectId);
    if (!ref) throw notFound('object', String(objectId));
    const env = envName ?? this.config.environments[0]?.name;
    if (!env) throw new DomainError('diff.no_environment', 'no environment is configured', 400);
    const ctx = await this.ctx(env);
    const point = async (p: { side: 'desired' | 'live'; at: Date | null }): Promise<{ body: Record<string, unknown>; meta: string | null } | null> => {
      if (p.side === 'desired') {
        if (ctx.repoId === null) return null;
        const rows = await this.repo.desiredAt(env, ctx.repoId, p.at, [objectId]);
        const body = rows[0] ? (await this.repo.documents([rows[0].document_hash])).get(rows[0].document_hash) : undefined;
        return body ? { body, meta: null } : null;
      }
      if (ctx.clusterId === null) return null;
      const rows = await this.repo.liveAt(ctx.clusterId, p.at, [objectId]);
      const body = rows[0] ? (await this.repo.documents([rows[0].document_hash])).get(rows[0].document_hash) : undefined;
      return body ? { body, meta: rows[0]!.meta_hash } : null;
    };
    const [x, y] = await Promise.all([point(pa), point(pb)]);
    let before = x?.body ?? null;
    let after = y?.body ?? null;
    // Git against the cluster: compare as drift does (defaults, quantities, keyed lists, field owners),
    // so the diff shows what differs rather than every default the API server added.
    if (pa.side !== pb.side && x && y) {
      const [d, l] = pa.side === 'desired' ? [x, y] : [y, x];
      const meta = l.meta ? ((await this.repo.documents([l.meta])).get(l.meta) as { managedFields?: ManagedFieldsEntry[]; lastApplied?: object | null } | undefined) : undefined;
      const r = compareObject(d.body, { body: l.body, managedFields: meta?.managedFields, lastApplied: meta?.lastApplied ?? null }, ctx.options);
      [before, after] = pa.side === 'desired' ? [r.normalizedDesired, r.normalizedLive] : [r.normalizedLive, r.normalizedDesired];
    }
    return {
      objectId,
      ...ref,
      a,
      b,
      normalized: pa.side !== pb.side,
      diff: unifiedYamlDiff(before, after, { labelA: a, labelB: b }),
      patch: jsonPatch(before ?? {}, after ?? {}),
      before,
      after,
    };
  }
}

function ref(o: StateObject) {
  return { objectId: o.objectId, group: o.group, kind: o.kind, namespace: o.namespace, name: o.name };
}

function parsePoint(s: string): { side: 'desired' | 'live'; at: Date | null } {
  const m = /^(desired|live)(?:@(.+))?$/.exec(s);
  if (!m) throw new DomainError('diff.bad_point', `"${s}" is not a point: use desired, live, desired@<ISO time> or live@<ISO time>`, 400);
  const at = m[2] ? new Date(m[2]) : null;
  if (at && Number.isNaN(at.getTime())) throw new DomainError('diff.bad_point', `"${m[2]}" is not an ISO time`, 400);
  return { side: m[1] as 'desired' | 'live', at };
}
