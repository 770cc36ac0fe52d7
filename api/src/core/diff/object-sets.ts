import { parseIdentityKey, type ObjectIdentity } from '../identity';
import { jsonPatch, type JsonPatchOperation } from './json-patch';

/** One object of a set: its content address and body (as in `documents`). */
export interface VersionedObject {
  hash: string;
  body: unknown;
}

export interface ObjectSetItem {
  key: string;
  /** Parsed from the key when it is an identity key ("apps/Deployment/shop/web"). */
  identity?: ObjectIdentity;
  hash: string;
  body: unknown;
}

export interface ObjectSetChange {
  key: string;
  identity?: ObjectIdentity;
  beforeHash: string;
  afterHash: string;
  before: unknown;
  after: unknown;
  /** RFC 6902 patch before → after, when asked for. */
  patch?: JsonPatchOperation[];
}

export interface ObjectSetDiff {
  created: ObjectSetItem[];
  changed: ObjectSetChange[];
  deleted: ObjectSetItem[];
  counts: { created: number; changed: number; deleted: number; unchanged: number; before: number; after: number };
}

function identityOf(key: string): ObjectIdentity | undefined {
  try {
    return parseIdentityKey(key);
  } catch {
    return undefined;
  }
}

/**
 * Difference between two states of an environment (object key → version),
 * e.g. the desired or live state at two points in time. Objects compare by
 * hash only (content addresses), so the bodies are never walked unless
 * `patches` is set. Results are sorted by key.
 */
export function diffObjectSets(
  before: ReadonlyMap<string, VersionedObject>,
  after: ReadonlyMap<string, VersionedObject>,
  opts: { patches?: boolean } = {},
): ObjectSetDiff {
  const created: ObjectSetItem[] = [];
  const changed: ObjectSetChange[] = [];
  const deleted: ObjectSetItem[] = [];
  let unchanged = 0;
  for (const [key, b] of before) {
    const a = after.get(key);
    const identity = identityOf(key);
    if (a === undefined) {
      deleted.push({ key, ...(identity ? { identity } : {}), hash: b.hash, body: b.body });
    } else if (a.hash !== b.hash) {
      changed.push({
        key,
        ...(identity ? { identity } : {}),
        beforeHash: b.hash,
        afterHash: a.hash,
        before: b.body,
        after: a.body,
        ...(opts.patches ? { patch: jsonPatch(b.body, a.body) } : {}),
      });
    } else unchanged++;
  }
  for (const [key, a] of after) {
    if (before.has(key)) continue;
    const identity = identityOf(key);
    created.push({ key, ...(identity ? { identity } : {}), hash: a.hash, body: a.body });
  }
  const byKey = (x: { key: string }, y: { key: string }): number => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
  created.sort(byKey);
  changed.sort(byKey);
  deleted.sort(byKey);
  return {
    created,
    changed,
    deleted,
    counts: {
      created: created.length,
      changed: changed.length,
      deleted: deleted.length,
      unchanged,
      before: before.size,
      after: after.size,
    },
  };
}
