/** Shape every Kubernetes object has on the wire; metadata is checked separately. */
export interface KubernetesObjectLike {
  apiVersion: string;
  kind: string;
  metadata?: unknown;
  [field: string]: unknown;
}

export type ManifestFileType = 'yaml' | 'json';

/** Which parser a path gets by its extension (case-insensitive), or null for files that are never manifests. */
export function manifestFileType(path: string): ManifestFileType | null {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return null;
  const ext = path.slice(dot + 1).toLowerCase();
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'json') return 'json';
  return null;
}

/** True for `.yaml`, `.yml` and `.json` files: the only ones worth reading as manifests. */
export function isManifestCandidate(path: string): boolean {
  return manifestFileType(path) !== null;
}

/** kustomize's own file names: `kustomization.yaml`, `kustomization.yml`, `Kustomization`. */
export function isKustomizationFileName(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base === 'kustomization.yaml' || base === 'kustomization.yml' || base === 'Kustomization';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A mapping with a non-empty string `apiVersion` and `kind`: the minimum to be
 * read as a Kubernetes object. Whether it has a usable metadata.name is
 * checked by the parser (missing → `missing-name`).
 */
export function looksLikeKubernetes(doc: unknown): doc is KubernetesObjectLike {
  if (!isPlainObject(doc)) return false;
  const { apiVersion, kind } = doc;
  return typeof apiVersion === 'string' && apiVersion.length > 0 && typeof kind === 'string' && kind.length > 0;
}

/** `kind: List` (v1) or a typed list (`ConfigMapList`…) carrying `items`, without a name of its own. */
export function isKubernetesList(doc: KubernetesObjectLike): boolean {
  if (!Array.isArray(doc.items)) return false;
  if (doc.kind === 'List') return true;
  if (!doc.kind.endsWith('List')) return false;
  const md = doc.metadata;
  return !(isPlainObject(md) && typeof md.name === 'string' && md.name.length > 0);
}
