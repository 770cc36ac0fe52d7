/**
 * Types of the drift comparison (api/src/core/drift). Pure data: no behaviour.
 */

/**
 * Outcome of comparing one object's desired state (Git) with its live state.
 * - in-sync: every field Git sets matches live, nothing drifted was added live.
 * - missing: in Git, not in the cluster.
 * - modified: both exist and at least one FieldChange was found.
 * - orphaned: not in Git, but live carries this environment's ownership marks
 *   (the GitOps tool applied it once; it was removed from Git and not pruned).
 * - unmanaged: not in Git and not owned by this environment's GitOps tool.
 */
export type DriftType = 'in-sync' | 'missing' | 'modified' | 'orphaned' | 'unmanaged';

/**
 * Direction of a field change, seen from the cluster: `added` = present live,
 * absent from Git; `removed` = set in Git, absent live; `changed` = both set,
 * values differ.
 */
export type ChangeOp = 'added' | 'removed' | 'changed';

/**
 * Why a change is drift:
 * - value: Git sets this field (or the list it belongs to) and live differs.
 * - hand-added: live-only field written by a human manager (kubectl-edit, ...).
 * - applier-removed: live-only field the GitOps applier had applied (its Apply
 *   managedFields entry or the last-applied annotation) that Git no longer has.
 */
export type ChangeReason = 'value' | 'hand-added' | 'applier-removed';

export interface FieldChange {
  /**
   * RFC 6901 pointer. For `added`/`changed` it addresses `normalizedLive`,
   * for `removed` it addresses `normalizedDesired` (the field is not live).
   * Keyed list items (containers, env, ports...) are ordered in
   * normalizedLive as in Git, so indexes match the Git manifest for items
   * that exist on both sides.
   */
  pointer: string;
  /** Display path with list items named by merge key: `spec.template.spec.containers[web].env[DEBUG]`. */
  path: string;
  op: ChangeOp;
  desired?: unknown;
  live?: unknown;
  /** Field manager that owns the live value, when managedFields tell. */
  manager?: string;
  reason: ChangeReason;
}

/** One entry of metadata.managedFields (structurally the API server's shape). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string; // 'Apply' | 'Update'
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** The live side, already normalized and redacted upstream. */
export interface LiveInput {
  body: object;
  managedFields?: readonly ManagedFieldsEntry[];
  /** Parsed kubectl.kubernetes.io/last-applied-configuration, when the object had one. */
  lastApplied?: object | null;
}

/**
 * Ignore rule. Object selectors (group, kind, namespace, name) are globs and
 * must all match when given. Then:
 * - pointer: ignore that JSON pointer and everything below it. A segment may
 *   be `*`, a list index, or a keyed item's merge key (`/spec/template/spec/containers/web/image`).
 * - manager: ignore fields whose live value is owned by that manager (glob).
 * - both: ignore fields under the pointer owned by the manager.
 * - neither: the whole object is ignored (result is in-sync, `ignored: true`).
 */
export interface IgnoreRule {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  pointer?: string;
  manager?: string;
}

/**
 * One way an object can be marked as belonging to this environment's GitOps
 * tool. Every listed label/annotation must be present; the value is a glob
 * (`*` = any value, e.g. Argo CD tracking id `prod-apps:*`).
 */
export interface OwnershipRule {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CompareOptions {
  /** Field managers of the GitOps applier (kustomize-controller, argocd-controller, ...). Globs. */
  applierManagers: readonly string[];
  /** Extra managers whose writes are human (globs). */
  humanManagers?: readonly string[];
  /** Extra managers that are controllers, e.g. admission webhooks (globs). */
  controllerManagers?: readonly string[];
  ignore?: readonly IgnoreRule[];
  /** Ownership marks for orphan detection. Default: DEFAULT_OWNERSHIP_RULES (Argo CD + Flux, any value). */
  ownershipLabels?: readonly OwnershipRule[];
  /** Collect the names of the normalizers that fired (tests and debugging; slower). */
  trace?: boolean;
}

export interface CompareResult {
  type: DriftType;
  changes: FieldChange[];
  /** Desired after normalization (null when missing from Git). */
  normalizedDesired: Record<string, unknown> | null;
  /**
   * Live restricted to what matters for drift: defaults, server-assigned and
   * controller-owned live-only fields are left out, so an in-sync object has
   * normalizedLive deep-equal to normalizedDesired.
   */
  normalizedLive: Record<string, unknown> | null;
  /** True when an ignore rule without pointer/manager matched the whole object. */
  ignored?: boolean;
  /** Normalizers that fired, when options.trace is set. */
  normalizers?: string[];
}

export type ManagerClass = 'applier' | 'human' | 'controller' | 'unknown';
