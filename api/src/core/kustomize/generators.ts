import { isUtf8 } from 'node:buffer';
import { own } from './memo';
import { basename } from './paths';
import { allIds, effectiveNamespace, isObj, newRes, type GeneratorBehavior, type Obj, type Res } from './resource';

/** What a generator needs from the renderer: file access relative to the kustomization, and problem reporting. */
export interface GeneratorContext {
  /** Reads a file named in the kustomization (restrictions applied); null after reporting a problem. */
  readFile(rel: string, field: string): Buffer | null;
  problem(field: string, message: string, code?: 'invalid' | 'conflict' | 'not-found'): void;
  /** The kustomization file, as the origin of generated objects. */
  file: string;
}

export interface GeneratorOptions {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  disableNameSuffixHash: boolean;
  immutable: boolean;
}

const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Reads `generatorOptions` / `options`; bad entries become problems. */
export function readGeneratorOptions(raw: unknown, field: string, ctx: GeneratorContext): Partial<GeneratorOptions> {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) {
    ctx.problem(field, 'must be a map');
    return {};
  }
  const out: Partial<GeneratorOptions> = {};
  for (const key of Object.keys(raw)) {
    const v = raw[key];
    if (key === 'labels' || key === 'annotations') {
      const m = stringMap(v, `${field}.${key}`, ctx);
      if (m) out[key] = m;
    } else if (key === 'disableNameSuffixHash' || key === 'immutable') {
      if (typeof v === 'boolean') out[key] = v;
      else if (v !== null) ctx.problem(`${field}.${key}`, 'must be true or false');
    } else {
      ctx.problem(`${field}.${key}`, `unknown generator option ${JSON.stringify(key)}`);
    }
  }
  return out;
}

/** Per-generator options over the kustomization's generatorOptions (the generator's own labels win). */
export function mergeOptions(global: Partial<GeneratorOptions>, local: Partial<GeneratorOptions>): GeneratorOptions {
  return {
    labels: { ...global.labels, ...local.labels },
    annotations: { ...global.annotations, ...local.annotations },
    disableNameSuffixHash: global.disableNameSuffixHash === true || local.disableNameSuffixHash === true,
    immutable: global.immutable === true || local.immutable === true,
  };
}

export function stringMap(v: unknown, field: string, ctx: { problem(field: string, message: string): void }): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) {
    ctx.problem(field, 'must be a map of strings');
    return null;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      ctx.problem(`${field}.${k}`, `must be a string, not ${val === null ? 'null' : typeof val} (quote it)`);
      continue;
    }
    out[k] = val;
  }
  return out;
}

function stringList(v: unknown, field: string, ctx: GeneratorContext): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) {
    ctx.problem(field, 'must be a list of strings');
    return [];
  }
  const out: string[] = [];
  v.forEach((s, i) => {
    if (typeof s === 'string') out.push(s);
    else ctx.problem(`${field}[${i}]`, 'must be a string');
  });
  return out;
}

interface Pair {
  key: string;
  value: Buffer | string;
}

/** `KEY=VALUE`, value without one level of matching quotes. */
function parseLiteral(src: string): Pair | null {
  const eq = src.indexOf('=');
  if (eq <= 0) return null;
  let value = src.slice(eq + 1);
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
    value = value.slice(1, -1);
  }
  return { key: src.slice(0, eq), value };
}

/** An env file: KEY=VALUE lines, `#` comments and blank lines skipped, leading blanks trimmed, values verbatim. */
function parseEnvFile(content: Buffer, field: string, ctx: GeneratorContext): Pair[] {
  let text = content.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: Pair[] = [];
  const lines = text.split('\n');
  lines.forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (!ENV_VAR_NAME.test(key)) {
      // Never quote the line: in a secretGenerator's env file it may be a value (say, a line of a multi-line PEM key).
      ctx.problem(field, `line ${i + 1}: ${eq < 0 ? 'not KEY=VALUE' : 'the text before "=" is not a valid environment variable name'}`);
      return;
    }
    if (eq < 0) {
      ctx.problem(
        field,
        `line ${i + 1}: ${key} has no value; kustomize would read it from the environment of the process running it, rendered as empty`,
      );
      out.push({ key, value: '' });
      return;
    }
    out.push({ key, value: line.slice(eq + 1) });
  });
  return out;
}

/** Collects the key/value pairs of one generator (envs, then literals, then files), reporting bad or repeated keys. */
function collectPairs(gen: Obj, field: string, ctx: GeneratorContext, name: string): Map<string, Buffer | string> {
  const pairs: Array<Pair & { field: string }> = [];
  const envs = [...stringList(gen.envs, `${field}.envs`, ctx), ...stringList(gen.env, `${field}.env`, ctx)];
  envs.forEach((rel, i) => {
    const f = `${field}.envs[${i}]`;
    const content = ctx.readFile(rel, f);
    if (content) for (const p of parseEnvFile(content, f, ctx)) pairs.push({ ...p, field: f });
  });
  stringList(gen.literals, `${field}.literals`, ctx).forEach((src, i) => {
    const f = `${field}.literals[${i}]`;
    const p = parseLiteral(src);
    // Not quoted: a secretGenerator literal holds a secret, and a malformed one ("KEY:VALUE") would leak it.
    if (!p) ctx.problem(f, 'invalid literal, expected KEY=VALUE');
    else pairs.push({ ...p, field: f });
  });
  stringList(gen.files, `${field}.files`, ctx).forEach((src, i) => {
    const f = `${field}.files[${i}]`;
    const eq = src.indexOf('=');
    let key: string;
    let rel: string;
    if (eq >= 0) {
      key = src.slice(0, eq);
      rel = src.slice(eq + 1);
      if (key === '' || rel === '' || rel.includes('=')) {
        ctx.problem(f, `invalid file source ${JSON.stringify(src)}, expected KEY=PATH or PATH`);
        return;
      }
    } else {
      rel = src;
      key = basename(src);
    }
    const content = ctx.readFile(rel, f);
    if (content) pairs.push({ key, value: content, field: f });
  });
  const out = new Map<string, Buffer | string>();
  for (const p of pairs) {
    if (!CONFIGMAP_KEY.test(p.key)) {
      ctx.problem(p.field, `${JSON.stringify(p.key)} is not a valid key name (letters, digits, '-', '_' and '.')`);
      continue;
    }
    if (out.has(p.key)) {
      ctx.problem(p.field, `${name} repeats the key ${JSON.stringify(p.key)}`, 'conflict');
      continue;
    }
    out.set(p.key, p.value);
  }
  return out;
}

/**
 * Base64 as kustomize writes generated values: once the encoding reaches 70
 * characters it is cut into 70-character lines, each ending with a newline
 * (decoders ignore them; the content hash sees them).
 */
export function wrappedBase64(buf: Buffer): string {
  const enc = buf.toString('base64');
  if (enc.length < 70) return enc;
  let out = '';
  for (let i = 0; i < enc.length; i += 70) out += `${enc.slice(i, i + 70)}\n`;
  return out;
}

export interface Generated {
  res: Res;
  behavior: GeneratorBehavior;
  field: string;
}

/** Builds one ConfigMap or Secret from a generator entry; null (after a problem) when it cannot. */
export function generate(
  kind: 'ConfigMap' | 'Secret',
  gen: unknown,
  field: string,
  global: Partial<GeneratorOptions>,
  ctx: GeneratorContext,
): Generated | null {
  if (!isObj(gen)) {
    ctx.problem(field, 'must be a map');
    return null;
  }
  const known = ['name', 'namespace', 'behavior', 'literals', 'files', 'envs', 'env', 'options', ...(kind === 'Secret' ? ['type'] : [])];
  for (const k of Object.keys(gen)) if (!known.includes(k)) ctx.problem(`${field}.${k}`, `unknown field ${JSON.stringify(k)}`);
  const name = gen.name;
  if (typeof name !== 'string' || name === '') {
    ctx.problem(`${field}.name`, `a generated ${kind} needs a name`);
    return null;
  }
  const behaviorRaw = gen.behavior ?? 'create';
  if (behaviorRaw !== '' && behaviorRaw !== 'create' && behaviorRaw !== 'merge' && behaviorRaw !== 'replace') {
    ctx.problem(`${field}.behavior`, `unknown behavior ${JSON.stringify(behaviorRaw)} (create, merge or replace)`);
    return null;
  }
  const behavior: GeneratorBehavior = behaviorRaw === '' ? 'create' : behaviorRaw;
  const options = mergeOptions(global, readGeneratorOptions(gen.options, `${field}.options`, ctx));
  const pairs = collectPairs(gen, field, ctx, `${kind} ${name}`);

  const metadata: Obj = { name };
  if (typeof gen.namespace === 'string' && gen.namespace !== '') metadata.namespace = gen.namespace;
  if (Object.keys(options.labels).length > 0) metadata.labels = { ...options.labels };
  if (Object.keys(options.annotations).length > 0) metadata.annotations = { ...options.annotations };
  const obj: Obj = { apiVersion: 'v1', kind, metadata };
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (kind === 'Secret') data[key] = wrappedBase64(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
    else if (typeof value === 'string') data[key] = value;
    else if (isUtf8(value)) data[key] = value.toString('utf8');
    else binaryData[key] = wrappedBase64(value);
  }
  if (Object.keys(data).length > 0) obj.data = data;
  if (Object.keys(binaryData).length > 0) obj.binaryData = binaryData;
  if (kind === 'Secret') {
    const type = gen.type;
    obj.type = typeof type === 'string' && type !== '' ? type : 'Opaque';
  }
  if (options.immutable) obj.immutable = true;
  const res = newRes(obj, ctx.file);
  res.needsHash = !options.disableNameSuffixHash;
  return { res, behavior, field };
}

/** Adds a generated object to the accumulated ones according to its behavior. */
export function addGenerated(list: Res[], g: Generated, ctx: GeneratorContext): void {
  const { res } = g;
  const md = res.obj.metadata as Obj;
  const want = { kind: res.obj.kind as string, name: md.name as string, ns: effectiveNamespace({ group: '', version: 'v1', kind: res.obj.kind as string, name: '', namespace: (md.namespace as string) ?? '' }) };
  const matches = list.filter((r) =>
    allIds(r).some((id) => id.group === '' && id.kind === want.kind && id.name === want.name && effectiveNamespace(id) === want.ns),
  );
  if (g.behavior === 'create') {
    if (matches.length > 0) {
      ctx.problem(g.field, `${want.kind} ${want.name} already exists; use behavior merge or replace`, 'conflict');
      return;
    }
    list.push(res);
    return;
  }
  if (matches.length !== 1) {
    ctx.problem(
      g.field,
      matches.length === 0
        ? `behavior ${g.behavior}: there is no ${want.kind} ${want.name} to ${g.behavior} (it must come from the resources or components)`
        : `behavior ${g.behavior}: ${matches.length} objects match ${want.kind} ${want.name}`,
      matches.length === 0 ? 'not-found' : 'conflict',
    );
    return;
  }
  // Change a private copy when the match is shared with a cache (see memo.ts).
  const existing = own(matches[0]!);
  if (existing !== matches[0]) list[list.indexOf(matches[0]!)] = existing;
  const emd = existing.obj.metadata as Obj;
  for (const key of ['labels', 'annotations'] as const) {
    const merged = { ...(isObj(emd[key]) ? emd[key] : {}), ...(isObj(md[key]) ? md[key] : {}) };
    if (Object.keys(merged).length > 0) emd[key] = merged;
    else delete emd[key];
  }
  for (const key of ['data', 'binaryData'] as const) {
    const merged =
      g.behavior === 'merge'
        ? { ...(isObj(existing.obj[key]) ? existing.obj[key] : {}), ...(isObj(res.obj[key]) ? res.obj[key] : {}) }
        : { ...(isObj(res.obj[key]) ? res.obj[key] : {}) };
    if (Object.keys(merged).length > 0) existing.obj[key] = merged;
    else delete existing.obj[key];
  }
  if (res.obj.immutable === true) existing.obj.immutable = true;
  existing.needsHash = existing.needsHash && res.needsHash;
}
