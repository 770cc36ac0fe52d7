import type { DataSource } from 'typeorm';
import { canonicalJson, sha256Hex } from '../../api/src/core/canonical';
import { chainHash } from '../../api/src/core/chain';
import { groupOf, identityKey } from '../../api/src/core/identity';
import { redactObject } from '../../api/src/core/redact';
import { normalizeLiveObject } from '../../api/src/core/normalize-live';
import { storeDocuments } from '../../api/src/store/documents';
import { ObjectIds } from '../../api/src/store/objects';
import { TEST_KEY } from './git-index';

/**
 * A test builder for live state: records what a cluster showed at a time, the
 * way the watcher stores it (redacted, normalized, content-addressed, a row
 * only when the document changed), so drift can be tested without a watcher.
 */
export class LiveBuilder {
  private readonly ids = new ObjectIds();
  private chain: string | null = null;
  private readonly current = new Map<string, string>();

  private constructor(
    private readonly ds: DataSource,
    readonly clusterId: number,
  ) {}

  static async create(ds: DataSource, cluster: string): Promise<LiveBuilder> {
    const rows = await ds.query(`INSERT INTO clusters (name, connected) VALUES ($1, true) ON CONFLICT (name) DO UPDATE SET connected = true RETURNING id`, [cluster]);
    return new LiveBuilder(ds, Number(rows[0].id));
  }

  /** Record `obj` (null with `deleteId` to delete) as observed at `at`, written by `manager`. Returns false when nothing changed. */
  async observe(
    obj: Record<string, any> | { delete: { apiVersion: string; kind: string; namespace?: string; name: string } },
    at: Date,
    manager = 'kustomize-controller',
    operation = 'Apply',
    managedFields?: Record<string, unknown>[],
  ): Promise<boolean> {
    const del = 'delete' in obj ? (obj.delete as { apiVersion: string; kind: string; namespace?: string; name: string }) : null;
    const raw = obj as Record<string, any>;
    const meta = del ?? { apiVersion: raw.apiVersion, kind: raw.kind, namespace: raw.metadata?.namespace ?? '', name: raw.metadata?.name };
    const identity = { group: groupOf(meta.apiVersion), kind: meta.kind, namespace: meta.namespace ?? '', name: meta.name };
    const key = identityKey(identity);
    let docHash: string | null = null;
    let metaHash: string | null = null;
    const docs = new Map<string, string>();
    if (!del) {
      const withFields = structuredClone(raw);
      withFields.metadata = { ...withFields.metadata, managedFields: managedFields ?? [{ manager, operation, time: at.toISOString(), fieldsType: 'FieldsV1', fieldsV1: {} }] };
      const n = normalizeLiveObject(redactObject(withFields, { key: TEST_KEY }));
      const body = canonicalJson(n.body);
      docHash = sha256Hex(body);
      docs.set(docHash, body);
      const m = canonicalJson({ v: 1, managedFields: n.managedFields, lastApplied: n.lastApplied ?? null });
      metaHash = sha256Hex(m);
      docs.set(metaHash, m);
    }
    const prev = this.current.get(key);
    if ((prev ?? null) === docHash) return false;
    await this.ds.transaction(async (m) => {
      await storeDocuments(m, docs);
      const ids = await this.ids.resolve(m, [identity]);
      const objectId = ids.get(key)!;
      const change = !prev ? 'created' : docHash ? 'configured' : 'deleted';
      const hash = chainHash(this.chain, { cluster: this.clusterId, object: key, at: at.toISOString(), document: docHash, change });
      await m.query(
        `INSERT INTO live_revisions (cluster_id, object_id, observed_at, changed_at, document_hash, meta_hash, manager, operation, change, source, prev_hash, hash)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, 'watch', $9, $10)`,
        [this.clusterId, objectId, at, docHash, metaHash, manager, operation, change, this.chain, hash],
      );
      if (docHash) {
        await m.query(
          `INSERT INTO live_current (cluster_id, object_id, document_hash, meta_hash, observed_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (cluster_id, object_id) DO UPDATE SET document_hash = EXCLUDED.document_hash, meta_hash = EXCLUDED.meta_hash, observed_at = EXCLUDED.observed_at`,
          [this.clusterId, objectId, docHash, metaHash, at],
        );
      } else await m.query(`DELETE FROM live_current WHERE cluster_id = $1 AND object_id = $2`, [this.clusterId, objectId]);
      this.chain = hash;
      this.ids.remember(ids);
    });
    if (docHash) this.current.set(key, docHash);
    else this.current.delete(key);
    return true;
  }
}
