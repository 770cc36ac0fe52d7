import { clone, deepEqual, isObj, type Obj } from './resource';

/**
 * RFC 6902 JSON Patch with the semantics kustomize's library has: `add`
 * needs the parent to exist, `remove` and `test` need the target, `replace`
 * of a missing map key adds it, `move`/`copy` need the source.
 */
export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

export class JsonPatchError extends Error {}

/** Validates the shape of a parsed patch document; returns the ops or an error message. */
export function toJsonPatchOps(doc: unknown): JsonPatchOp[] | string {
  if (!Array.isArray(doc)) return 'a JSON patch must be a list of operations';
  const ops: JsonPatchOp[] = [];
  for (const [i, raw] of doc.entries()) {
    if (!isObj(raw)) return `operation ${i} is not a map`;
    const { op, path, from } = raw;
    if (typeof op !== 'string' || !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)) {
      return `operation ${i}: unknown op ${JSON.stringify(op)}`;
    }
    if (typeof path !== 'string') return `operation ${i}: path must be a string`;
    if ((op === 'move' || op === 'copy') && typeof from !== 'string') return `operation ${i}: ${op} needs "from"`;
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw)) return `operation ${i}: ${op} needs "value"`;
    ops.push({ op, path, ...(typeof from === 'string' ? { from } : {}), ...('value' in raw ? { value: raw.value } : {}) });
  }
  return ops;
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid path ${JSON.stringify(pointer)}: must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: unknown[], token: string, allowEnd: boolean, path: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`invalid array index ${JSON.stringify(token)} in ${path}`);
  const i = Number(token);
  if (i > arr.length || (!allowEnd && i === arr.length)) throw new JsonPatchError(`array index ${i} out of range in ${path}`);
  return i;
}

/** The container holding the last token, or an error when any part of the way is missing. */
function parentOf(doc: unknown, toks: string[], path: string): unknown {
  let cur = doc;
  for (let i = 0; i < toks.length - 1; i++) {
    const t = toks[i]!;
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, path)];
    else if (isObj(cur) && t in cur) cur = cur[t];
    else throw new JsonPatchError(`doc is missing path: ${JSON.stringify(path)}`);
  }
  if (!Array.isArray(cur) && !isObj(cur)) throw new JsonPatchError(`doc is missing path: ${JSON.stringify(path)}`);
  return cur;
}

function getAt(doc: unknown, path: string): unknown {
  const toks = tokens(path);
  if (toks.length === 0) return doc;
  const parent = parentOf(doc, toks, path);
  const last = toks[toks.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, path)];
  const p = parent as Obj;
  if (!(last in p)) throw new JsonPatchError(`doc is missing path: ${JSON.stringify(path)}`);
  return p[last];
}

function addAt(doc: { root: unknown }, path: string, value: unknown): void {
  const toks = tokens(path);
  if (toks.length === 0) {
    doc.root = value;
    return;
  }
  const parent = parentOf(doc.root, toks, path);
  const last = toks[toks.length - 1]!;
  if (Array.isArray(parent)) {
    if (last === '-') parent.push(value);
    else parent.splice(arrayIndex(parent, last, true, path), 0, value);
  } else {
    (parent as Obj)[last] = value;
  }
}

function removeAt(doc: { root: unknown }, path: string): unknown {
  const toks = tokens(path);
  if (toks.length === 0) throw new JsonPatchError('cannot remove the whole document');
  const parent = parentOf(doc.root, toks, path);
  const last = toks[toks.length - 1]!;
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path), 1)[0];
  const p = parent as Obj;
  if (!(last in p)) throw new JsonPatchError(`unable to remove nonexistent key ${JSON.stringify(last)} at ${path}`);
  const old = p[last];
  delete p[last];
  return old;
}

function replaceAt(doc: { root: unknown }, path: string, value: unknown): void {
  const toks = tokens(path);
  if (toks.length === 0) {
    doc.root = value;
    return;
  }
  const parent = parentOf(doc.root, toks, path);
  const last = toks[toks.length - 1]!;
  if (Array.isArray(parent)) parent[arrayIndex(parent, last, false, path)] = value;
  else (parent as Obj)[last] = value;
}

/** Applies the ops to a copy of `target`; throws JsonPatchError (the target is untouched then). */
export function applyJsonPatch(target: Obj, ops: JsonPatchOp[]): Obj {
  const doc = { root: clone(target) as unknown };
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        addAt(doc, op.path, clone(op.value));
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'replace':
        replaceAt(doc, op.path, clone(op.value));
        break;
      case 'move': {
        const v = removeAt(doc, op.from!);
        addAt(doc, op.path, v);
        break;
      }
      case 'copy':
        addAt(doc, op.path, clone(getAt(doc.root, op.from!)));
        break;
      case 'test':
        if (!deepEqual(getAt(doc.root, op.path), op.value)) throw new JsonPatchError(`test failed: value at ${op.path} differs`);
        break;
    }
  }
  if (!isObj(doc.root)) throw new JsonPatchError('the patch did not leave an object');
  return doc.root;
}
