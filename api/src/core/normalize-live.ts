import { LAST_APPLIED_ANNOTATION } from './redact';

/** One entry of metadata.managedFields, as the API server returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string; // 'Apply' | 'Update'
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface NormalizedLiveObject {
  /** The object without server-maintained fields: what is hashed, stored and compared. */
  body: Record<string, unknown>;
  uid: string | undefined;
  resourceVersion: string | undefined;
  generation: number | undefined;
  /**
   * Parsed kubectl last-applied-configuration, when present and valid JSON.
   * For a Secret it holds the values in clear unless the object went through
   * redactObject first: redact the raw object, then normalize it.
   */
  lastApplied?: Record<string, unknown>;
  managedFields: ManagedFieldsEntry[];
}

export const DEPLOYMENT_REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

const STRIPPED_METADATA = ['resourceVersion', 'generation', 'managedFields', 'uid', 'creationTimestamp', 'selfLink'] as const;
const STRIPPED_ANNOTATIONS = [LAST_APPLIED_ANNOTATION, DEPLOYMENT_REVISION_ANNOTATION] as const;

/**
 * Splits a live object into its comparable body and the bookkeeping the
 * server keeps about it. Removes `status`, metadata.{resourceVersion,
 * generation, managedFields, uid, creationTimestamp, selfLink}, the
 * last-applied and deployment revision annotations, and the annotations /
 * labels maps when that leaves them empty. The input is not modified; nested
 * values other than metadata are shared with it.
 */
export function normalizeLiveObject(obj: Record<string, unknown>): NormalizedLiveObject {
  const { status: _status, ...body } = obj;
  const md = isObject(obj.metadata) ? obj.metadata : undefined;
  if (!md) return { body, uid: undefined, resourceVersion: undefined, generation: undefined, managedFields: [] };

  const metadata: Record<string, unknown> = { ...md };
  for (const k of STRIPPED_METADATA) delete metadata[k];

  let lastApplied: Record<string, unknown> | undefined;
  if (isObject(md.annotations)) {
    const annotations: Record<string, unknown> = { ...md.annotations };
    const raw = annotations[LAST_APPLIED_ANNOTATION];
    if (typeof raw === 'string') lastApplied = parseObject(raw);
    for (const k of STRIPPED_ANNOTATIONS) delete annotations[k];
    if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
    else delete metadata.annotations;
  } else if (md.annotations === null) {
    delete metadata.annotations;
  }
  if (md.labels === null || (isObject(md.labels) && Object.keys(md.labels).length === 0)) delete metadata.labels;
  body.metadata = metadata;

  const managedFields = Array.isArray(md.managedFields) ? (md.managedFields.filter(isObject) as ManagedFieldsEntry[]) : [];
  return {
    body,
    uid: typeof md.uid === 'string' ? md.uid : undefined,
    resourceVersion: typeof md.resourceVersion === 'string' ? md.resourceVersion : undefined,
    generation: typeof md.generation === 'number' ? md.generation : undefined,
    ...(lastApplied ? { lastApplied } : {}),
    managedFields,
  };
}

export interface ManagerAttribution {
  manager: string;
  operation: string;
  time: string | null;
}

/**
 * Who last changed the object (not its status): the managedFields entry with
 * the latest `time` that touched something other than status. Entries written
 * through the status subresource are ignored, and so are entries whose fields
 * are only `f:status` or only the deployment revision annotation the
 * Deployment controller bumps after every rollout (it would otherwise take
 * the credit for a `kubectl edit` made a second earlier). Equal times go to
 * the later entry: the API server lists Apply entries before Update entries,
 * so a manual Update at the same second as the applier wins. Null when no
 * entry qualifies.
 */
export function attributeManager(managedFields: readonly ManagedFieldsEntry[] | undefined): ManagerAttribution | null {
  if (!managedFields) return null;
  let best: ManagedFieldsEntry | undefined;
  let bestTime = -Infinity;
  for (const entry of managedFields) {
    if (entry === null || typeof entry !== 'object' || entry.subresource === 'status') continue;
    if (!touchesObjectFields(entry.fieldsV1)) continue;
    const t = typeof entry.time === 'string' ? Date.parse(entry.time) : NaN;
    const time = Number.isNaN(t) ? -Infinity : t;
    if (best === undefined || time >= bestTime) {
      best = entry;
      bestTime = time;
    }
  }
  if (!best) return null;
  return { manager: best.manager ?? '', operation: best.operation ?? '', time: best.time ?? null };
}

/** Fields a change to which says nothing about who changed the object. */
const IGNORED_FIELDS: FieldTree = {
  'f:status': true,
  'f:metadata': { 'f:annotations': { [`f:${DEPLOYMENT_REVISION_ANNOTATION}`]: true } },
};
type FieldTree = { [key: string]: FieldTree | true };

/** True when a fieldsV1 set has a member outside IGNORED_FIELDS. */
export function touchesObjectFields(fieldsV1: unknown): boolean {
  return isObject(fieldsV1) && hasFieldsOutside(fieldsV1, IGNORED_FIELDS);
}

function hasFieldsOutside(set: Record<string, unknown>, ignored: FieldTree): boolean {
  for (const key of Object.keys(set)) {
    if (key === '.') continue; // the node itself: only meaningful with its members
    const rule = ignored[key];
    if (rule === true) continue;
    const child = set[key];
    if (rule === undefined) return true;
    if (!isObject(child) || Object.keys(child).length === 0) return true;
    if (hasFieldsOutside(child, rule)) return true;
  }
  return false;
}

function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
