import { YamlLoadError } from '../manifests';
import { clone, isObj, kindOf, nameOf, type Res } from './resource';
import { compileTarget, targetMatches, type Target } from './selector';

/**
 * `replacements:` — copy a field of one object (the source) into fields of
 * others (the targets), optionally a delimited part of a string.
 * Field paths are dot-separated; `[name=web]` picks a list element by a
 * field, `[=x]` a scalar element, `[a.b/c]` is a key with dots, `*` every
 * element, and a number an index.
 */
export interface ReplacementContext {
  file: string;
  readFile(rel: string, field: string): Buffer | null;
  /** Parses YAML (read-only result). */
  parse(text: Buffer | string): unknown[];
  problem(field: string, message: string, code?: 'invalid' | 'not-applied' | 'not-found'): void;
}

type Segment =
  | { t: 'key'; key: string }
  | { t: 'match'; field: string; value: string }
  | { t: 'index'; index: number }
  | { t: 'all' };

export function parseFieldPath(path: string): Segment[] | string {
  const segs: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    let raw: string;
    if (path[i] === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) return `unbalanced [ in field path ${JSON.stringify(path)}`;
      raw = path.slice(i, end + 1);
      i = end + 1;
      if (i < path.length && path[i] !== '.') return `expected . after ] in field path ${JSON.stringify(path)}`;
      i++;
    } else {
      const dot = path.indexOf('.', i);
      const end = dot < 0 ? path.length : dot;
      raw = path.slice(i, end);
      i = end + 1;
    }
    if (raw === '') return `empty segment in field path ${JSON.stringify(path)}`;
    if (raw.startsWith('[')) {
      const inner = raw.slice(1, -1);
      const eq = inner.indexOf('=');
      if (eq < 0) segs.push({ t: 'key', key: inner });
      else segs.push({ t: 'match', field: inner.slice(0, eq), value: inner.slice(eq + 1) });
    } else if (raw === '*') segs.push({ t: 'all' });
    else if (/^[0-9]+$/.test(raw)) segs.push({ t: 'index', index: Number(raw) });
    else segs.push({ t: 'key', key: raw });
  }
  return segs;
}

interface Slot {
  get(): unknown;
  set(v: unknown): void;
}

/** Every place the path reaches; with `create`, missing maps and matched elements are made. */
function findSlots(root: unknown, segs: Segment[], create: boolean): Slot[] {
  let slots: Slot[] = [{ get: () => root, set: () => undefined }];
  for (let si = 0; si < segs.length; si++) {
    const seg = segs[si]!;
    const last = si === segs.length - 1;
    const next: Slot[] = [];
    for (const slot of slots) {
      let node = slot.get();
      if (node === undefined || node === null) {
        if (!create) continue;
        node = seg.t === 'key' ? {} : [];
        slot.set(node);
      }
      if (seg.t === 'key') {
        if (!isObj(node)) continue;
        const m = node;
        if (!(seg.key in m) && !create) continue;
        if (!(seg.key in m) && !last) m[seg.key] = null;
        next.push({ get: () => m[seg.key], set: (v) => (m[seg.key] = v) });
      } else if (seg.t === 'match') {
        if (!Array.isArray(node)) continue;
        const arr = node;
        let found = false;
        arr.forEach((el, idx) => {
          const ok = seg.field === '' ? !isObj(el) && String(el) === seg.value : isObj(el) && String(el[seg.field]) === seg.value;
          if (ok) {
            found = true;
            next.push({ get: () => arr[idx], set: (v) => (arr[idx] = v) });
          }
        });
        if (!found && create) {
          if (seg.field === '') {
            arr.push(seg.value);
          } else {
            arr.push({ [seg.field]: seg.value });
          }
          const idx = arr.length - 1;
          next.push({ get: () => arr[idx], set: (v) => (arr[idx] = v) });
        }
      } else if (seg.t === 'index') {
        if (!Array.isArray(node) || seg.index >= node.length) continue;
        const arr = node;
        next.push({ get: () => arr[seg.index], set: (v) => (arr[seg.index] = v) });
      } else {
        if (Array.isArray(node)) {
          const arr = node;
          arr.forEach((_, idx) => next.push({ get: () => arr[idx], set: (v) => (arr[idx] = v) }));
        } else if (isObj(node)) {
          const m = node;
          for (const k of Object.keys(m)) next.push({ get: () => m[k], set: (v) => (m[k] = v) });
        }
      }
    }
    slots = next;
  }
  return slots;
}

interface DelimOptions {
  delimiter?: string;
  index: number;
  create: boolean;
}

function readOptions(raw: unknown): DelimOptions {
  const o = isObj(raw) ? raw : {};
  return {
    ...(typeof o.delimiter === 'string' && o.delimiter !== '' ? { delimiter: o.delimiter } : {}),
    index: typeof o.index === 'number' ? o.index : 0,
    create: o.create === true,
  };
}

function scalarText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

export function applyReplacements(list: Res[], raw: unknown, ctx: ReplacementContext): void {
  if (!Array.isArray(raw)) {
    ctx.problem('replacements', 'must be a list');
    return;
  }
  raw.forEach((entry, i) => {
    const field = `replacements[${i}]`;
    if (!isObj(entry)) {
      ctx.problem(field, 'must be a map');
      return;
    }
    if (typeof entry.path === 'string') {
      const buf = ctx.readFile(entry.path, `${field}.path`);
      if (buf === null) return;
      let docs: unknown[];
      try {
        docs = ctx.parse(buf).filter((d) => d !== null && d !== undefined);
      } catch (e) {
        ctx.problem(`${field}.path`, `not valid YAML: ${e instanceof YamlLoadError ? e.message : String(e)}`);
        return;
      }
      const items = docs.length === 1 && Array.isArray(docs[0]) ? docs[0] : docs;
      items.forEach((item, j) => applyOne(list, item, `${field}.path[${j}]`, ctx));
      return;
    }
    applyOne(list, entry, field, ctx);
  });
}

function applyOne(list: Res[], r: unknown, field: string, ctx: ReplacementContext): void {
  if (!isObj(r) || !isObj(r.source) || !Array.isArray(r.targets)) {
    ctx.problem(field, 'a replacement needs a source and a list of targets');
    return;
  }
  const src = r.source;
  const { fieldPath: srcPathRaw, options: srcOptRaw, ...srcSel } = src;
  const sel = compileTarget(srcSel, []);
  if (typeof sel === 'string') {
    ctx.problem(`${field}.source`, sel);
    return;
  }
  const sources = list.filter((x) => targetMatches(sel, x));
  if (sources.length !== 1) {
    ctx.problem(`${field}.source`, sources.length === 0 ? 'no object matches the replacement source' : `${sources.length} objects match the replacement source; it must select one`, sources.length === 0 ? 'not-found' : 'not-applied');
    return;
  }
  const srcPath = parseFieldPath(typeof srcPathRaw === 'string' && srcPathRaw !== '' ? srcPathRaw : 'metadata.name');
  if (typeof srcPath === 'string') {
    ctx.problem(`${field}.source.fieldPath`, srcPath);
    return;
  }
  const found = findSlots(sources[0]!.obj, srcPath, false);
  if (found.length === 0 || found[0]!.get() === undefined) {
    ctx.problem(`${field}.source.fieldPath`, `${kindOf(sources[0]!)} ${nameOf(sources[0]!)} has no field ${String(srcPathRaw ?? 'metadata.name')}`, 'not-applied');
    return;
  }
  let value = clone(found[0]!.get());
  const srcOpt = readOptions(srcOptRaw);
  if (srcOpt.delimiter !== undefined) {
    const text = scalarText(value);
    if (text === null) {
      ctx.problem(`${field}.source.options`, 'delimiter needs a scalar source value');
      return;
    }
    const parts = text.split(srcOpt.delimiter);
    if (srcOpt.index < 0 || srcOpt.index >= parts.length) {
      ctx.problem(`${field}.source.options.index`, `index ${srcOpt.index} is out of range for ${JSON.stringify(text)}`, 'not-applied');
      return;
    }
    value = parts[srcOpt.index];
  }
  r.targets.forEach((t, ti) => applyTarget(list, t, value, `${field}.targets[${ti}]`, ctx));
}

function applyTarget(list: Res[], t: unknown, value: unknown, field: string, ctx: ReplacementContext): void {
  if (!isObj(t) || !isObj(t.select)) {
    ctx.problem(field, 'a target needs select');
    return;
  }
  const select = compileTarget(t.select);
  if (typeof select === 'string') {
    ctx.problem(`${field}.select`, select);
    return;
  }
  const rejects: Target[] = [];
  if (Array.isArray(t.reject)) {
    for (const [i, rj] of t.reject.entries()) {
      const c = compileTarget(rj);
      if (typeof c === 'string') {
        ctx.problem(`${field}.reject[${i}]`, c);
        return;
      }
      rejects.push(c);
    }
  }
  const paths: string[] = Array.isArray(t.fieldPaths) ? t.fieldPaths.filter((p): p is string => typeof p === 'string') : [];
  if (paths.length === 0) paths.push('metadata.name');
  const opt = readOptions(t.options);
  for (const res of list) {
    if (!targetMatches(select, res) || rejects.some((rj) => targetMatches(rj, res))) continue;
    for (const p of paths) {
      const segs = parseFieldPath(p);
      if (typeof segs === 'string') {
        ctx.problem(`${field}.fieldPaths`, segs);
        continue;
      }
      const slots = findSlots(res.obj, segs, opt.create);
      if (slots.length === 0) {
        ctx.problem(`${field}.fieldPaths`, `${kindOf(res)} ${nameOf(res)} has no field ${p} (set options.create to add it)`, 'not-applied');
        continue;
      }
      for (const slot of slots) {
        if (opt.delimiter === undefined) {
          slot.set(clone(value));
          continue;
        }
        const cur = slot.get();
        const text = scalarText(value);
        const curText = cur === undefined || cur === null ? '' : scalarText(cur);
        if (text === null || curText === null) {
          ctx.problem(`${field}.options`, 'delimiter needs scalar values');
          continue;
        }
        const parts = curText.split(opt.delimiter);
        if (opt.index >= parts.length) parts.push(text);
        else if (opt.index < 0) parts.unshift(text);
        else parts[opt.index] = text;
        slot.set(parts.join(opt.delimiter));
      }
    }
  }
}

