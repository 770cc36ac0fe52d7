import {
  currentId,
  groupOf,
  isClusterScoped,
  isObj,
  kindOf,
  originalId,
  versionOf,
  type Obj,
  type PrevId,
  type Res,
} from './resource';

type Requirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'gt' | 'lt'; key: string; value: number };

/** A Kubernetes label selector string (`a=b,c!=d,e in (f,g),!h`), or an error message. */
export function parseLabelSelector(s: string): Requirement[] | string {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  const reqs: Requirement[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') {
      if (parts.length === 1) continue;
      return `empty requirement in selector ${JSON.stringify(s)}`;
    }
    let m: RegExpExecArray | null;
    if ((m = /^!\s*([A-Za-z0-9._/-]+)$/.exec(p))) reqs.push({ op: 'notexists', key: m[1]! });
    else if ((m = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p)))
      reqs.push({ op: m[2] as 'in' | 'notin', key: m[1]!, values: m[3]!.split(',').map((v) => v.trim()) });
    else if ((m = /^([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)$/.exec(p)))
      reqs.push({ op: m[2] === '!=' ? 'notin' : 'in', key: m[1]!, values: [m[3]!] });
    else if ((m = /^([A-Za-z0-9._/-]+)\s*([<>])\s*(-?[0-9]+)$/.exec(p)))
      reqs.push({ op: m[2] === '>' ? 'gt' : 'lt', key: m[1]!, value: Number(m[3]) });
    else if ((m = /^([A-Za-z0-9._/-]+)$/.exec(p))) reqs.push({ op: 'exists', key: m[1]! });
    else return `cannot parse selector requirement ${JSON.stringify(p)}`;
  }
  return reqs;
}

export function matchesSelector(reqs: Requirement[], labels: Record<string, unknown>): boolean {
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? String(labels[r.key]) : undefined;
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (v === undefined || !/^-?[0-9]+$/.test(v)) return false;
        const n = Number(v);
        if (r.op === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
        break;
      }
    }
  }
  return true;
}

export interface Target {
  group?: RegExp;
  version?: RegExp;
  kind?: RegExp;
  name?: RegExp;
  namespace?: RegExp;
  labels?: Requirement[];
  annotations?: Requirement[];
}

/**
 * kustomize compiles targets with Go's linear-time regexp; JavaScript's
 * backtracks. Patterns from a repository must not be able to hang the
 * indexer, so repeated groups that themselves contain a repetition
 * (`(a+)+`, `(x|xy)*`) and very long patterns are refused. Real targets are
 * names, `.*` and alternations.
 */
function safePattern(p: string): boolean {
  if (p.length > 512) return false;
  if (/\([^()]*[+*?{|][^()]*\)\s*[+*{]/.test(p)) return false;
  if (/\([^()]*\([^()]*\)[^()]*\)\s*[+*{]/.test(p)) return false;
  return true;
}

const TARGET_FIELDS = ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'];

/** Compiles a patch/replacement `target`/`select` (fields are anchored regular expressions); error message on failure. */
export function compileTarget(raw: unknown, extraFields: readonly string[] = []): Target | string {
  if (!isObj(raw)) return 'must be a map';
  const t: Target = {};
  for (const k of Object.keys(raw)) {
    if (!TARGET_FIELDS.includes(k) && !extraFields.includes(k)) return `unknown field ${JSON.stringify(k)}`;
  }
  for (const k of ['group', 'version', 'kind', 'name', 'namespace'] as const) {
    const v = raw[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') return `${k} must be a string`;
    if (!safePattern(v)) {
      return `${k}: regular expression ${JSON.stringify(v)} is too long or nests repetitions (refused: it could take exponential time here, unlike in Go)`;
    }
    try {
      t[k] = new RegExp(`^(?:${v})$`);
    } catch (e) {
      return `${k}: invalid regular expression ${JSON.stringify(v)}`;
    }
  }
  for (const [k, dst] of [
    ['labelSelector', 'labels'],
    ['annotationSelector', 'annotations'],
  ] as const) {
    const v = raw[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') return `${k} must be a string`;
    const reqs = parseLabelSelector(v);
    if (typeof reqs === 'string') return `${k}: ${reqs}`;
    t[dst] = reqs;
  }
  return t;
}

function selectorNamespace(id: PrevId): string {
  if (isClusterScoped(id.group, id.version, id.kind)) return '_non_namespaceable_';
  return id.namespace === '' ? 'default' : id.namespace;
}

/** kustomize's target matching: name and namespace against the original or the current identity, kind/group/version and selectors against the current object. */
export function targetMatches(t: Target, r: Res): boolean {
  const cur = currentId(r);
  const org = originalId(r);
  if (t.namespace && !t.namespace.test(selectorNamespace(org)) && !t.namespace.test(selectorNamespace(cur))) return false;
  if (t.name && !t.name.test(org.name) && !t.name.test(cur.name)) return false;
  if (t.group && !t.group.test(groupOf(r))) return false;
  if (t.version && !t.version.test(versionOf(r))) return false;
  if (t.kind && !t.kind.test(kindOf(r))) return false;
  if (t.labels && !matchesSelector(t.labels, mapAt(r.obj, 'labels'))) return false;
  if (t.annotations && !matchesSelector(t.annotations, mapAt(r.obj, 'annotations'))) return false;
  return true;
}

function mapAt(o: Obj, key: 'labels' | 'annotations'): Record<string, unknown> {
  const md = o.metadata;
  if (!isObj(md)) return {};
  const m = md[key];
  return isObj(m) ? m : {};
}
