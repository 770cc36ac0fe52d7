import { dump } from 'js-yaml';
import { loadKustomizeYaml } from './yaml';
import type { KustomizeProblem } from './types';

type Obj = Record<string, unknown>;

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DISABLED = 'kustomize.toolkit.fluxcd.io/substitute';

export interface SubstituteResult {
  objects: Obj[];
  problems: KustomizeProblem[];
}

/** Per object instance (rendered objects are shared between renders): the last variables it was substituted with, and the result. */
const cache = new WeakMap<Obj, { vars: string; out: Substituted }>();

type Substituted = { obj: Obj } | { problem: string };

/**
 * Flux's post-build variable substitution (Kustomization `spec.postBuild.substitute`), applied to
 * the rendered objects as kustomize-controller applies it: each object is written out as YAML,
 * `${NAME}`, `${NAME:=default}`, `${NAME:-default}`, `${NAME=default}` and `${NAME-default}` are
 * replaced in the text, `$$` stands for a literal `$` (so `$${NAME}` stays `${NAME}`), a plain
 * `$NAME` is left alone, and the text is read back — so `replicas: ${REPLICAS}` becomes the number
 * 3. An unset variable without a default becomes empty. Objects labelled or annotated
 * `kustomize.toolkit.fluxcd.io/substitute: disabled` are left as they are. Objects that do not
 * change keep their identity.
 */
export function fluxSubstitute(objects: Obj[], vars: Record<string, string>, file: string): SubstituteResult {
  const problems: KustomizeProblem[] = [];
  for (const k of Object.keys(vars)) {
    if (!VAR_NAME.test(k)) problems.push({ file, field: `spec.postBuild.substitute.${k}`, message: `"${k}" is not a variable name Flux accepts (letters, digits and _, not starting with a digit)`, code: 'invalid' });
  }
  if (problems.length) return { objects, problems };
  const varsKey = JSON.stringify(Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const out = objects.map((obj) => {
    const hit = cache.get(obj);
    let r: Substituted;
    if (hit && hit.vars === varsKey) r = hit.out;
    else {
      r = substituteOne(obj, vars);
      cache.set(obj, { vars: varsKey, out: r });
    }
    if ('problem' in r) {
      problems.push({ file, field: 'spec.postBuild', message: `${describe(obj)}: ${r.problem}`, code: 'invalid' });
      return obj;
    }
    return r.obj;
  });
  return { objects: out, problems };
}

function describe(o: Obj): string {
  const md = (o.metadata ?? {}) as Obj;
  return `${String(o.kind ?? '?')} ${md.namespace ? `${String(md.namespace)}/` : ''}${String(md.name ?? '?')}`;
}

function disabled(o: Obj): boolean {
  const md = (o.metadata ?? {}) as { annotations?: Obj; labels?: Obj };
  return md.annotations?.[DISABLED] === 'disabled' || md.labels?.[DISABLED] === 'disabled';
}

function substituteOne(obj: Obj, vars: Record<string, string>): Substituted {
  if (disabled(obj)) return { obj };
  const text = dump(obj, { lineWidth: -1, noRefs: true });
  if (!text.includes('$')) return { obj };
  const replaced = envsubst(text, vars);
  if (typeof replaced !== 'string') return replaced;
  if (replaced === text) return { obj };
  try {
    const docs = loadKustomizeYaml(replaced);
    const doc = docs[0];
    if (docs.length !== 1 || !doc || typeof doc !== 'object' || Array.isArray(doc)) return { problem: 'after substitution it is no longer one object' };
    return { obj: doc as Obj };
  } catch (e) {
    return { problem: `after substitution it is not valid YAML (${(e as Error).message.split('\n')[0]})` };
  }
}

/** The substitution itself, on text. Returns a problem for an expression it does not understand. */
export function envsubst(text: string, vars: Record<string, string>): string | { problem: string } {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      const next = text.indexOf('$', i);
      const end = next < 0 ? text.length : next;
      out += text.slice(i, end);
      i = end;
      continue;
    }
    if (text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (text[i + 1] !== '{') {
      out += '$';
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) return { problem: `unclosed "\${" at "${text.slice(i, i + 30).split('\n')[0]}"` };
    const expr = text.slice(i + 2, close);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])(.*))?$/s.exec(expr);
    if (!m) return { problem: `"\${${expr}}" is not a substitution Driftline understands (\${NAME}, \${NAME:=default}, \${NAME:-default})` };
    const [, name, op, def] = m;
    const value = Object.prototype.hasOwnProperty.call(vars, name!) ? vars[name!]! : undefined;
    if (!op) out += value ?? '';
    else if (op.startsWith(':')) out += value === undefined || value === '' ? def! : value;
    else out += value === undefined ? def! : value;
    i = close + 1;
  }
  return out;
}
