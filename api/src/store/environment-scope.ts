/**
 * Which live objects belong to an environment, as SQL: objects in its namespaces,
 * and cluster-scoped objects (Namespace, ClusterRole, CRD…) only when the
 * environment's Git declared them — the cluster's own namespaces and roles are
 * someone else's history. Used by the timeline and the environment summaries.
 */
export function liveInEnvironmentSql(o: { live: string; object: string; namespacePatterns: string; environment: string }): string {
  return `(${o.object}.namespace LIKE ANY(${o.namespacePatterns}::text[]) OR (${o.object}.namespace = '' AND EXISTS (SELECT 1 FROM desired_revisions x WHERE x.object_id = ${o.live}.object_id AND x.environment = ${o.environment})))`;
}

/** Escape LIKE wildcards in user input. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** An environment namespace glob as a LIKE pattern: `*` → `%`, `?` → `_`. */
export function globToLike(glob: string): string {
  return escapeLike(glob).replace(/\*/g, '%').replace(/\?/g, '_');
}
