/** Identity of a Kubernetes object: the four fields that name it in a cluster. */
export interface ObjectIdentity {
  /** API group: '' for the core group ("v1"), otherwise the part before '/' of apiVersion. */
  group: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** The API group of an apiVersion: "apps/v1" → "apps", "v1" → "". */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A stable string key for maps and logs: "apps/Deployment/shop/web", "/Namespace//shop". */
export function identityKey(id: ObjectIdentity): string {
  return `${id.group}/${id.kind}/${id.namespace}/${id.name}`;
}

export function parseIdentityKey(key: string): ObjectIdentity {
  const [group, kind, namespace, ...rest] = key.split('/');
  if (kind === undefined || namespace === undefined || rest.length === 0) {
    throw new Error(`not an identity key: ${key}`);
  }
  return { group: group ?? '', kind, namespace, name: rest.join('/') };
}

/** Human form used in messages: "Deployment shop/web", "Namespace shop". */
export function describeIdentity(id: ObjectIdentity): string {
  return id.namespace ? `${id.kind} ${id.namespace}/${id.name}` : `${id.kind} ${id.name}`;
}
