import { normalizePath } from './paths';
import { isObj, str, type Obj } from './resource';

/** A directory some GitOps tool builds, found in a repository's manifests. */
export interface KustomizeEntryPoint {
  tool: 'flux' | 'argocd';
  /** The object that names the path (Flux Kustomization or Argo CD Application). */
  name: string;
  namespace: string;
  /** Repository-relative directory, normalized ('' = repository root). */
  path: string;
  /** Where the path lives: Flux sourceRef (`GitRepository/flux-system/infra`) or Argo CD repoURL. */
  source: string;
  /** Argo CD targetRevision, when given. */
  revision?: string;
  /** Settings the tool applies on top of the kustomization (Flux targetNamespace, namePrefix…; Argo CD source.kustomize). */
  overrides?: Obj;
}

const FLUX_GROUP = 'kustomize.toolkit.fluxcd.io';
const ARGO_GROUP = 'argoproj.io';

const FLUX_OVERRIDES = ['targetNamespace', 'namePrefix', 'nameSuffix', 'patches', 'images', 'components', 'commonMetadata', 'postBuild'];

function group(apiVersion: unknown): string {
  const s = str(apiVersion);
  const i = s.indexOf('/');
  return i < 0 ? '' : s.slice(0, i);
}

/**
 * Entry points for `render: auto`: Flux `Kustomization`
 * (kustomize.toolkit.fluxcd.io) `spec.path` and Argo CD `Application`
 * `spec.source.path` / `spec.sources[].path`. Paths are normalized and
 * de-duplicated per (tool, object, path); paths that leave the repository and
 * Argo CD Helm sources (`chart`) are skipped.
 */
export function findKustomizeEntryPoints(objects: Iterable<unknown>): KustomizeEntryPoint[] {
  const out: KustomizeEntryPoint[] = [];
  const seen = new Set<string>();
  const push = (e: KustomizeEntryPoint) => {
    const key = `${e.tool}\0${e.namespace}\0${e.name}\0${e.path}\0${e.source}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(e);
  };
  for (const o of objects) {
    // Most rendered objects are neither kind: decide that before reading anything else.
    if (!isObj(o) || (o.kind !== 'Kustomization' && o.kind !== 'Application')) continue;
    const md = isObj(o.metadata) ? o.metadata : {};
    const name = str(md.name);
    const namespace = str(md.namespace);
    const spec = isObj(o.spec) ? o.spec : undefined;
    if (!spec) continue;
    if (o.kind === 'Kustomization' && group(o.apiVersion) === FLUX_GROUP) {
      // Flux builds the source root when spec.path is empty.
      const path = normalizePath(str(spec.path));
      if (path === null) continue;
      const ref = isObj(spec.sourceRef) ? spec.sourceRef : {};
      const source = `${str(ref.kind) || 'GitRepository'}/${str(ref.namespace) || namespace}/${str(ref.name)}`;
      const overrides: Obj = {};
      for (const k of FLUX_OVERRIDES) if (spec[k] !== undefined) overrides[k] = spec[k];
      push({ tool: 'flux', name, namespace, path, source, ...(Object.keys(overrides).length ? { overrides } : {}) });
    } else if (o.kind === 'Application' && group(o.apiVersion) === ARGO_GROUP) {
      const sources = [spec.source, ...(Array.isArray(spec.sources) ? spec.sources : [])];
      for (const s of sources) {
        if (!isObj(s) || typeof s.path !== 'string' || s.chart !== undefined) continue;
        const path = normalizePath(s.path);
        if (path === null) continue;
        push({
          tool: 'argocd',
          name,
          namespace,
          path,
          source: str(s.repoURL),
          ...(typeof s.targetRevision === 'string' ? { revision: s.targetRevision } : {}),
          ...(isObj(s.kustomize) ? { overrides: s.kustomize } : {}),
        });
      }
    }
  }
  return out;
}
