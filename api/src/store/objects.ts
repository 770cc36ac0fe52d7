import type { EntityManager } from 'typeorm';
import { bulkInsert } from '../db/bulk';
import { identityKey, ObjectIdentity } from '../core/identity';

type Q = Pick<EntityManager, 'query'>;

/**
 * Object identities → ids, cached. `resolve` inserts unknown identities inside
 * the caller's transaction; the cache only learns ids once that transaction
 * committed (call `remember` after commit), so a rollback leaves no stale id.
 */
export class ObjectIds {
  private readonly cache = new Map<string, number>();

  get(key: string): number | undefined {
    return this.cache.get(key);
  }

  remember(ids: Map<string, number>): void {
    for (const [k, v] of ids) this.cache.set(k, v);
  }

  async resolve(q: Q, identities: Iterable<ObjectIdentity>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing = new Map<string, ObjectIdentity>();
    for (const id of identities) {
      const key = identityKey(id);
      const known = this.cache.get(key);
      if (known !== undefined) out.set(key, known);
      else missing.set(key, id);
    }
    if (missing.size === 0) return out;
    const list = [...missing.values()];
    await bulkInsert(
      q,
      'objects',
      [
        { name: 'group', type: 'text' },
        { name: 'kind', type: 'text' },
        { name: 'namespace', type: 'text' },
        { name: 'name', type: 'text' },
      ],
      list.map((i) => [i.group, i.kind, i.namespace, i.name]),
      'ON CONFLICT ON CONSTRAINT objects_identity_uq DO NOTHING',
    );
    const rows: { id: string; group: string; kind: string; namespace: string; name: string }[] = await q.query(
      `SELECT o.id, o."group", o.kind, o.namespace, o.name FROM objects o
         JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(g, k, ns, n)
           ON o."group" = u.g AND o.kind = u.k AND o.namespace = u.ns AND o.name = u.n`,
      [list.map((i) => i.group), list.map((i) => i.kind), list.map((i) => i.namespace), list.map((i) => i.name)],
    );
    for (const r of rows) out.set(identityKey(r), Number(r.id));
    return out;
  }
}
