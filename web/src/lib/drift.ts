/** Words for what began or ended a drift interval (the API's openedBy / closedBy objects). */

export interface Trigger {
  source?: string;
  manager?: string | null;
  operation?: string | null;
  revision?: string | number;
  commit?: string;
  author?: string | null;
}

export function asTrigger(v: unknown): Trigger | null {
  return v && typeof v === 'object' ? (v as Trigger) : null;
}

/** "kubectl-edit (live change)", "commit 1a2b3c4 by Ada", "evaluation". */
export function describeTrigger(t: Trigger | null): string {
  if (!t) return 'unknown';
  if (t.source === 'live') return `${t.manager ?? 'unknown manager'} (live change${t.operation ? `, ${t.operation}` : ''})`;
  if (t.source === 'git') return `commit ${String(t.commit ?? '').slice(0, 7)}${t.author ? ` by ${t.author}` : ''}`;
  if (t.source === 'evaluation') return 'a drift evaluation (rules or configuration changed)';
  return t.source ?? 'unknown';
}

/** Where to read more about a trigger: the live change or the commit. */
export function triggerRoute(env: string, objectId: number, t: Trigger | null, at: string | null): { path: string; query?: Record<string, string> } | null {
  if (t?.source === 'live' && t.revision !== undefined) return { path: `/environments/${encodeURIComponent(env)}/changes/live/${t.revision}`, query: { object: String(objectId), ...(at ? { at } : {}) } };
  if (t?.source === 'git' && t.commit) return { path: `/commits/${t.commit}`, query: { environment: env, object: String(objectId) } };
  return null;
}

export const DRIFT_COLORS: Record<string, string> = { missing: '#dc2626', modified: '#ea580c', orphaned: '#7c3aed', unmanaged: '#8a94a6' };
