import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CONFIG } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';
import { DomainError, notFound } from '../common/errors';
import { loadDocuments } from '../store/documents';
import { unifiedYamlDiff } from '../core/diff';
import { ClusterRepository, type LiveRevisionRow } from './cluster.repository';
import type { ClusterStatusDto, LiveObjectPageDto, LiveRevisionDto, ObjectHistoryDto } from './cluster.dto';

/** A recorder whose heartbeat is older than this is not running, whatever `connected` last said. */
const HEARTBEAT_STALE_MS = 60_000;

export interface LiveObjectQuery {
  cluster?: string;
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  cursor?: string;
  limit: number;
}

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** Reads for the cluster context's API: cluster status, live objects, an object's live history with diffs. */
@Injectable()
export class ClusterQueryService {
  constructor(
    private readonly repo: ClusterRepository,
    private readonly ds: DataSource,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
  ) {}

  async clusters(): Promise<ClusterStatusDto[]> {
    const [rows, kinds, gaps, counts] = await Promise.all([this.repo.listClusters(), this.repo.listKinds(), this.repo.openGaps(), this.repo.countObjects()]);
    const byName = new Map(rows.map((r) => [r.name, r]));
    const names = [...new Set([...this.config.clusters.map((c) => c.name), ...rows.map((r) => r.name)])];
    const now = Date.now();
    return names.map((name) => {
      const r = byName.get(name);
      const id = r?.id;
      const countOf = (group: string, kind: string) => counts.find((c) => c.cluster_id === id && c.group === group && c.kind === kind)?.n ?? 0;
      const alive = !!r?.heartbeat_at && now - new Date(r.heartbeat_at).getTime() < HEARTBEAT_STALE_MS;
      return {
        name,
        configured: this.config.clusters.some((c) => c.name === name),
        server: r?.server ?? null,
        connected: !!r?.connected && alive,
        leader: alive ? (r?.leader ?? null) : null,
        leaderSince: alive ? iso(r?.leader_since) : null,
        heartbeatAt: iso(r?.heartbeat_at),
        lastEventAt: iso(r?.last_event_at),
        lastListAt: iso(r?.last_list_at),
        lagSeconds: r?.lag_ms == null ? null : r.lag_ms / 1000,
        lastError: r?.last_error ?? null,
        objects: counts.filter((c) => c.cluster_id === id).reduce((n, c) => n + c.n, 0),
        kinds: kinds
          .filter((k) => k.cluster_id === id)
          .map((k) => ({
            group: k.group,
            version: k.version,
            kind: k.kind,
            plural: k.plural,
            namespaced: k.namespaced,
            watched: k.watched,
            status: k.status,
            lastError: k.last_error,
            resourceVersion: k.resource_version,
            objects: countOf(k.group, k.kind),
            lastListAt: iso(k.last_list_at),
            lastEventAt: iso(k.last_event_at),
          })),
        openGaps: gaps.filter((g) => g.cluster_id === id).map((g) => ({ group: g.group, kind: g.kind, startedAt: iso(g.started_at)!, endedAt: null, reason: g.reason })),
      };
    });
  }

  async objects(q: LiveObjectQuery): Promise<LiveObjectPageDto> {
    let clusterId: number | undefined;
    if (q.cluster !== undefined) {
      const id = await this.repo.clusterIdByName(q.cluster);
      if (id === null) {
        if (!this.config.clusters.some((c) => c.name === q.cluster)) throw notFound('cluster', q.cluster);
        return { items: [], nextCursor: null };
      }
      clusterId = id;
    }
    const after = q.cursor ? decodeCursor(q.cursor, objectsCursor) : null;
    const rows = await this.repo.findLiveObjects({ clusterId, group: q.group, kind: q.kind, namespace: q.namespace, name: q.name, after, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        objectId: r.object_id,
        cluster: r.cluster,
        group: r.group,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        uid: r.uid,
        resourceVersion: r.resource_version,
        documentHash: r.document_hash,
        observedAt: iso(r.observed_at)!,
        lastChange: r.change ? { change: r.change, manager: r.manager, operation: r.operation, changedAt: iso(r.changed_at)! } : null,
      })),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor({ kind: last.kind, namespace: last.namespace, name: last.name, group: last.group, clusterId: last.cluster_id })
          : null,
    };
  }

  /** Live revisions of an object (newest first), each with a unified YAML diff from the one before it in the same cluster. */
  async history(objectId: number, q: { cluster?: string; cursor?: string; limit: number }): Promise<ObjectHistoryDto> {
    const obj = await this.repo.objectById(objectId);
    if (!obj) throw notFound('object', String(objectId));
    let clusterId: number | undefined;
    if (q.cluster !== undefined) {
      const id = await this.repo.clusterIdByName(q.cluster);
      if (id === null) throw notFound('cluster', q.cluster);
      clusterId = id;
    }
    const before = q.cursor ? decodeCursor(q.cursor, historyCursor) : null;
    const rows = await this.repo.objectRevisions(objectId, { clusterId, before, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    // The revision before each one in the same cluster: the next older row of the page, or one more read.
    const previous = new Map<number, LiveRevisionRow | null>();
    const oldestSeen = new Map<number, LiveRevisionRow>();
    for (const r of [...page].reverse()) {
      if (!oldestSeen.has(r.cluster_id)) {
        previous.set(r.id, await this.repo.previousRevision(objectId, r.cluster_id, { at: r.observed_at, id: r.id }));
      } else previous.set(r.id, oldestSeen.get(r.cluster_id)!);
      oldestSeen.set(r.cluster_id, r);
    }
    const hashes = new Set<string>();
    for (const r of page) if (r.document_hash) hashes.add(r.document_hash);
    for (const p of previous.values()) if (p?.document_hash) hashes.add(p.document_hash);
    const docs = await loadDocuments(this.ds, [...hashes]);
    const label = (r: LiveRevisionRow | null | undefined) =>
      r ? `${r.cluster} ${iso(r.observed_at)}${r.resource_version ? ` rv ${r.resource_version}` : ''}${r.document_hash ? '' : ' (deleted)'}` : '(none)';
    const revisions: LiveRevisionDto[] = page.map((r) => {
      const prev = previous.get(r.id) ?? null;
      const a = prev?.document_hash ? (docs.get(prev.document_hash) ?? null) : null;
      const b = r.document_hash ? (docs.get(r.document_hash) ?? null) : null;
      return {
        id: r.id,
        cluster: r.cluster,
        observedAt: iso(r.observed_at)!,
        changedAt: iso(r.changed_at)!,
        change: r.change,
        source: r.source,
        manager: r.manager,
        operation: r.operation,
        resourceVersion: r.resource_version,
        uid: r.uid,
        documentHash: r.document_hash,
        hash: r.hash,
        diff: unifiedYamlDiff(a, b, { labelA: label(prev), labelB: label(r) }),
      };
    });
    const last = page[page.length - 1];
    return {
      objectId: obj.id,
      group: obj.group,
      kind: obj.kind,
      namespace: obj.namespace,
      name: obj.name,
      revisions,
      nextCursor: rows.length > q.limit && last ? encodeCursor({ at: iso(last.observed_at), id: last.id }) : null,
    };
  }
}

function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

const objectsCursor = z.strictObject({ kind: z.string(), namespace: z.string(), name: z.string(), group: z.string(), clusterId: z.number().int() });
const historyCursor = z.strictObject({ at: z.iso.datetime(), id: z.number().int() });

function decodeCursor<T extends z.ZodType>(c: string, schema: T): z.output<T> {
  try {
    const r = schema.safeParse(JSON.parse(Buffer.from(c, 'base64url').toString('utf8')));
    if (r.success) return r.data;
  } catch {
    /* fall through */
  }
  throw new DomainError('validation.failed', 'cursor: not a cursor this endpoint returned', 400);
}
