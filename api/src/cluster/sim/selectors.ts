import { badRequest } from './status';
import type { KubeObject } from './types';
import type { ResourceType } from './resources';

/** A compiled selector: true when the object matches. */
export type Matcher = (obj: KubeObject) => boolean;

export const matchAll: Matcher = () => true;

type Requirement =
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/**
 * Parses a label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas
 * (the grammar of k8s.io/apimachinery/pkg/labels).
 */
export function parseLabelSelector(text: string | null | undefined): Matcher {
  if (!text || !text.trim()) return matchAll;
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const p = part.trim();
    if (!p) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! });
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: '!exists' });
    } else if ((m = /^([^\s!=(),]+)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: 'exists' });
    } else {
      throw badRequest(`unable to parse requirement: found '${p}', expected: label selector`);
    }
  }
  return (obj) => {
    const labels: Record<string, string> = obj.metadata?.labels ?? {};
    for (const r of reqs) {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'exists':
          if (!has) return false;
          break;
        case '!exists':
          if (has) return false;
          break;
        case '=':
          if (!has || v !== r.value) return false;
          break;
        case '!=':
          if (has && v === r.value) return false;
          break;
        case 'in':
          if (!has || !r.values.includes(v!)) return false;
          break;
        case 'notin':
          if (has && r.values.includes(v!)) return false;
          break;
      }
    }
    return true;
  };
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Field labels each kind supports beyond metadata.name and metadata.namespace (a subset of the real ones). */
const EXTRA_FIELDS: Record<string, string[]> = {
  '/Pod': ['spec.nodeName', 'spec.serviceAccountName', 'status.phase', 'spec.restartPolicy', 'spec.schedulerName', 'status.podIP'],
  '/Event': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  '/Secret': ['type'],
  '/Namespace': ['status.phase'],
  '/Node': ['spec.unschedulable'],
  'batch/Job': ['status.successful'],
  'apps/ReplicaSet': ['status.replicas'],
};

function fieldValue(obj: KubeObject, path: string): string {
  if (path === 'source') return String(obj.source?.component ?? '');
  let cur: any = obj;
  for (const part of path.split('.')) cur = cur?.[part];
  return cur === undefined || cur === null ? '' : String(cur);
}

/** Parses a field selector (`=`, `==`, `!=` on supported field labels); an unsupported label is a 400 like the real server. */
export function parseFieldSelector(text: string | null | undefined, rt: ResourceType): Matcher {
  if (!text || !text.trim()) return matchAll;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(rt.custom ? [] : (EXTRA_FIELDS[`${rt.group}/${rt.kind}`] ?? []))]);
  const reqs: Array<{ field: string; neg: boolean; value: string }> = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(p);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${p}'`);
    const field = m[1]!.trim();
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    reqs.push({ field, neg: m[2] === '!=', value: m[3]!.trim() });
  }
  return (obj) => reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.neg);
}

/** Both matchers. */
export function combine(a: Matcher, b: Matcher): Matcher {
  if (a === matchAll) return b;
  if (b === matchAll) return a;
  return (o) => a(o) && b(o);
}
