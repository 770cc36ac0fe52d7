import type { DataSource } from 'typeorm';
import { identityKey, type ObjectIdentity } from '../core/identity';
import type { RedactOptions } from '../core/redact';
import type { ObjectIds } from '../store/objects';
import type { ApiResource } from './discovery';
import { kindKey } from './kinds';
import { changesFor, identityOf, metaDocumentJson, metadataOf, observeLiveObject, type CurrentEntry, type LiveChange, type LiveSource } from './live-object';
import type { LiveWriter, PendingRevision } from './live-writer';
import { sha256Hex } from '../core/canonical';

/**
 * The recorded state of one cluster, in memory: per kind, per "namespace/name",
 * the uid, resourceVersion and document hash — hashes only, never bodies. Loaded
 * from live_current at start; kept in step with what the writer is given.
 */
export class LiveState {
  private readonly kinds = new Map<string, Map<string, CurrentEntry>>();

  static async load(ds: DataSource, clusterId: number, objectIds: ObjectIds): Promise<LiveState> {
    const state = new LiveState();
    const rows: { id: string; group: string; kind: string; namespace: string; name: string; uid: string | null; resource_version: string | null; document_hash: string }[] =
      await ds.query(
        `SELECT o.id, o."group", o.kind, o.namespace, o.name, lc.uid, lc.resource_version, lc.document_hash
           FROM live_current lc JOIN objects o ON o.id = lc.object_id WHERE lc.cluster_id = $1`,
        [clusterId],
      );
    const ids = new Map<string, number>();
    for (const r of rows) {
      state.set(r, { uid: r.uid, resourceVersion: r.resource_version, documentHash: r.document_hash });
      ids.set(identityKey(r), Number(r.id));
    }
    objectIds.remember(ids);
    return state;
  }

  private bucket(group: string, kind: string): Map<string, CurrentEntry> {
    const k = kindKey({ group, kind });
    let b = this.kinds.get(k);
    if (!b) this.kinds.set(k, (b = new Map()));
    return b;
  }

  get(id: ObjectIdentity): CurrentEntry | undefined {
    return this.kinds.get(kindKey(id))?.get(`${id.namespace}/${id.name}`);
  }

  set(id: ObjectIdentity, e: CurrentEntry): void {
    this.bucket(id.group, id.kind).set(`${id.namespace}/${id.name}`, e);
  }

  delete(id: ObjectIdentity): void {
    this.kinds.get(kindKey(id))?.delete(`${id.namespace}/${id.name}`);
  }

  /** Identities of a kind's recorded objects. */
  *objectsOf(group: string, kind: string): Iterable<[ObjectIdentity, CurrentEntry]> {
    const b = this.kinds.get(kindKey({ group, kind }));
    if (!b) return;
    for (const [nsName, e] of b) {
      const slash = nsName.indexOf('/');
      yield [{ group, kind, namespace: nsName.slice(0, slash), name: nsName.slice(slash + 1) }, e];
    }
  }

  get size(): number {
    let n = 0;
    for (const b of this.kinds.values()) n += b.size;
    return n;
  }

  countOf(group: string, kind: string): number {
    return this.kinds.get(kindKey({ group, kind }))?.size ?? 0;
  }
}

export interface ObserveCounts {
  created: number;
  configured: number;
  deleted: number;
}

/**
 * Turns observations into revisions: compares each object with the recorded
 * state, hands changes to the writer, and moves the state along. Objects outside
 * the cluster's namespace scope are ignored.
 */
export class LiveObserver {
  readonly counts: ObserveCounts = { created: 0, configured: 0, deleted: 0 };

  constructor(
    private readonly state: LiveState,
    private readonly writer: LiveWriter,
    private readonly redact: RedactOptions,
    private readonly inScope: (namespace: string) => boolean,
  ) {}

  /** ADDED, MODIFIED, or a list item. Answers the changes recorded. */
  upsert(r: ApiResource, raw: Record<string, unknown>, source: LiveSource, at: Date): LiveChange[] {
    const id = identityOf(r, raw);
    if (!id || !this.inScope(id.namespace)) return [];
    const prev = this.state.get(id);
    const md = metadataOf(raw);
    // Same uid and resourceVersion: the same stored object, nothing to hash.
    if (prev && md.resourceVersion !== null && prev.resourceVersion === md.resourceVersion && prev.uid === md.uid) return [];
    const obs = observeLiveObject(raw, r, this.redact);
    if (!obs) return [];
    const changes = changesFor(prev, obs);
    if (changes.length === 0) {
      prev!.resourceVersion = obs.resourceVersion; // a status-only change: remember where we are, write nothing
      return [];
    }
    const key = identityKey(id);
    const metaJson = metaDocumentJson(obs);
    const metaHash = sha256Hex(metaJson);
    for (const change of changes) {
      if (change === 'deleted') {
        this.writer.add(this.deletion(id, key, prev!, source, at, null), []);
        continue;
      }
      const rev: PendingRevision = {
        identity: id,
        key,
        change,
        source,
        observedAt: at,
        changedAt: obs.changedAt ?? at,
        resourceVersion: obs.resourceVersion,
        uid: obs.uid,
        documentHash: obs.documentHash,
        metaHash,
        manager: obs.manager,
        operation: obs.operation,
      };
      this.writer.add(rev, [
        [obs.documentHash, obs.bodyJson],
        [metaHash, metaJson],
      ]);
    }
    for (const c of changes) this.counts[c]++;
    this.state.set(id, { uid: obs.uid, resourceVersion: obs.resourceVersion, documentHash: obs.documentHash });
    return changes;
  }

  /** A DELETED event. */
  remove(r: ApiResource, raw: Record<string, unknown>, source: LiveSource, at: Date): boolean {
    const id = identityOf(r, raw);
    if (!id || !this.inScope(id.namespace)) return false;
    const prev = this.state.get(id);
    if (!prev) return false;
    const md = metadataOf(raw);
    // A DELETED for an older incarnation (different uid) than the one recorded says nothing about the current one.
    if (md.uid && prev.uid && md.uid !== prev.uid) return false;
    const deletedAt = md.deletionTimestamp ? new Date(md.deletionTimestamp) : null;
    this.writer.add(this.deletion(id, identityKey(id), prev, source, at, deletedAt && !Number.isNaN(deletedAt.getTime()) ? deletedAt : null, md.resourceVersion), []);
    this.state.delete(id);
    this.counts.deleted++;
    return true;
  }

  /**
   * After a complete list: every recorded object of the kind (in scope) that the
   * list lacks was deleted while nobody watched. Answers how many.
   */
  reconcile(r: ApiResource, seen: Set<string>, source: LiveSource, at: Date): number {
    const missing: [ObjectIdentity, CurrentEntry][] = [];
    for (const [id, e] of this.state.objectsOf(r.group, r.kind)) {
      if (!this.inScope(id.namespace)) continue; // out of scope now: left as last recorded, not called deleted
      if (!seen.has(`${id.namespace}/${id.name}`)) missing.push([id, e]);
    }
    for (const [id, e] of missing) {
      this.writer.add(this.deletion(id, identityKey(id), e, source, at, null), []);
      this.state.delete(id);
      this.counts.deleted++;
    }
    return missing.length;
  }

  private deletion(id: ObjectIdentity, key: string, prev: CurrentEntry, source: LiveSource, at: Date, deletedAt: Date | null, rv: string | null = null): PendingRevision {
    return {
      identity: id,
      key,
      change: 'deleted',
      source,
      observedAt: at,
      changedAt: deletedAt ?? at,
      resourceVersion: rv,
      uid: prev.uid,
      documentHash: null,
      metaHash: null,
      manager: null,
      operation: null,
    };
  }
}
