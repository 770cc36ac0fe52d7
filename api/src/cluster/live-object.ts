import { canonicalJson, sha256Hex } from '../core/canonical';
import type { ObjectIdentity } from '../core/identity';
import { attributeManager, normalizeLiveObject, type ManagedFieldsEntry } from '../core/normalize-live';
import { redactObject, type RedactOptions } from '../core/redact';
import { apiVersionOf, type ApiResource } from './discovery';

export type LiveChange = 'created' | 'configured' | 'deleted';
export type LiveSource = 'watch' | 'list' | 'relist';

/** What Driftline keeps of one live object: hashes and attribution, never the raw object. */
export interface ObservedObject {
  identity: ObjectIdentity;
  uid: string | null;
  resourceVersion: string | null;
  /** sha256 of the canonical JSON of the redacted, normalized body. */
  documentHash: string;
  bodyJson: string;
  managedFields: ManagedFieldsEntry[];
  lastApplied: Record<string, unknown> | null;
  manager: string | null;
  operation: string | null;
  /** The attributed manager's time (second precision), when managedFields says. */
  changedAt: Date | null;
}

/** The second document stored per revision: what the drift engine needs besides the body. */
export interface LiveMetaDocument {
  v: 1;
  managedFields: ManagedFieldsEntry[];
  /** The kubectl last-applied configuration, already redacted. */
  lastApplied: Record<string, unknown> | null;
}

export function identityOf(resource: Pick<ApiResource, 'group' | 'kind' | 'namespaced'>, raw: Record<string, unknown>): ObjectIdentity | null {
  const md = raw.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (!md || typeof md.name !== 'string' || md.name === '') return null;
  const namespace = resource.namespaced && typeof md.namespace === 'string' ? md.namespace : '';
  return { group: resource.group, kind: resource.kind, namespace, name: md.name };
}

export function metadataOf(raw: Record<string, unknown>): { uid: string | null; resourceVersion: string | null; deletionTimestamp: string | null } {
  const md = (raw.metadata ?? {}) as { uid?: unknown; resourceVersion?: unknown; deletionTimestamp?: unknown };
  return {
    uid: typeof md.uid === 'string' ? md.uid : null,
    resourceVersion: typeof md.resourceVersion === 'string' ? md.resourceVersion : null,
    deletionTimestamp: typeof md.deletionTimestamp === 'string' ? md.deletionTimestamp : null,
  };
}

/**
 * Redacts, then normalizes, then hashes a live object. Order matters: the
 * last-applied annotation of a raw Secret holds its values in clear, and
 * normalizing first would hand them on. List items of built-in kinds come without
 * apiVersion and kind; they are set from the resource first, so a Secret is
 * recognised as one.
 */
export function observeLiveObject(raw: Record<string, unknown>, resource: ApiResource, redact: RedactOptions): ObservedObject | null {
  const identity = identityOf(resource, raw);
  if (!identity) return null;
  const typed = { ...raw, apiVersion: apiVersionOf(resource), kind: resource.kind };
  const redacted = redactObject(typed, redact);
  const n = normalizeLiveObject(redacted);
  const bodyJson = canonicalJson(n.body);
  const who = attributeManager(n.managedFields);
  const t = who?.time ? Date.parse(who.time) : NaN;
  return {
    identity,
    uid: n.uid ?? null,
    resourceVersion: n.resourceVersion ?? null,
    documentHash: sha256Hex(bodyJson),
    bodyJson,
    managedFields: n.managedFields,
    lastApplied: n.lastApplied ?? null,
    manager: who?.manager || null,
    operation: who?.operation || null,
    changedAt: Number.isNaN(t) ? null : new Date(t),
  };
}

export function metaDocumentJson(o: Pick<ObservedObject, 'managedFields' | 'lastApplied'>): string {
  const meta: LiveMetaDocument = { v: 1, managedFields: o.managedFields, lastApplied: o.lastApplied };
  return canonicalJson(meta);
}

/** The recorded state of one object: hashes only. */
export interface CurrentEntry {
  uid: string | null;
  resourceVersion: string | null;
  documentHash: string;
}

/**
 * What an observation means against the recorded state: nothing, created,
 * configured, or — when the uid changed (deleted and recreated while nobody
 * looked, or between two events) — deleted followed by created.
 */
export function changesFor(prev: CurrentEntry | undefined, obs: Pick<ObservedObject, 'uid' | 'documentHash'>): LiveChange[] {
  if (!prev) return ['created'];
  if (prev.uid && obs.uid && prev.uid !== obs.uid) return ['deleted', 'created'];
  if (prev.documentHash !== obs.documentHash) return ['configured'];
  return [];
}
