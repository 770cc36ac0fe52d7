/**
 * managedFields (server-side apply field ownership). A `fieldsV1` set is a
 * tree: `f:<name>` is a field, `k:{"name":"web"}` a list item by its key
 * fields, `v:<json>` a set item by value, `i:<n>` an item by index, and `.`
 * the node itself. An empty object marks an owned leaf; a leaf that holds
 * a map or list owns it atomically (everything below it).
 */
import { canonicalJson } from '../canonical';
import type { ListKind } from './schema';
import { escapePointerSegment } from './pointer';
import type { ManagedFieldsEntry } from './types';
import { isObj } from './normalizers';

/** A list item on a path: the live item (for its key) and its index in the live list. */
export interface ItemStep {
  readonly live: unknown;
  readonly li: number;
  readonly list: ListKind | undefined;
  readonly keys: readonly string[] | undefined;
}
export type PathStep = string | ItemStep;

/**
 * Converts a fieldsV1 set into the JSON pointers it owns in `body`. List
 * items given by key (`k:`) or value (`v:`) resolve to their index in body;
 * items body no longer has are left out. `.` yields the pointer of the node
 * itself.
 */
export function fieldsV1ToPointers(fieldsV1: unknown, body: unknown): string[] {
  const out: string[] = [];
  if (isObj(fieldsV1)) walkPointers(fieldsV1, body, '', out);
  return [...new Set(out)];
}

function walkPointers(set: Record<string, unknown>, value: unknown, ptr: string, out: string[]): void {
  for (const k of Object.keys(set)) {
    if (k === '.') {
      out.push(ptr);
      continue;
    }
    let childPtr: string;
    let childVal: unknown;
    const kind = k.slice(0, 2);
    const rest = k.slice(2);
    if (kind === 'f:') {
      childPtr = `${ptr}/${escapePointerSegment(rest)}`;
      childVal = isObj(value) ? value[rest] : undefined;
    } else {
      if (!Array.isArray(value)) continue;
      let idx = -1;
      if (kind === 'i:') idx = Number(rest);
      else {
        const parsed = parseJson(rest);
        if (parsed === undefined) continue;
        if (kind === 'k:' && isObj(parsed)) idx = value.findIndex((item) => matchesKey(item, parsed));
        else if (kind === 'v:') {
          const want = canonicalJson(parsed);
          idx = value.findIndex((item) => canonicalJson(item) === want);
        }
      }
      if (!(idx >= 0 && idx < value.length)) continue;
      childPtr = `${ptr}/${idx}`;
      childVal = value[idx];
    }
    const sub = set[k];
    if (isObj(sub) && Object.keys(sub).length > 0) walkPointers(sub, childVal, childPtr, out);
    else out.push(childPtr);
  }
}

function matchesKey(item: unknown, key: Record<string, unknown>): boolean {
  if (!isObj(item)) return false;
  for (const k of Object.keys(key)) if (canonicalJson(item[k]) !== canonicalJson(key[k])) return false;
  return true;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface OwnNode {
  c: Map<string, OwnNode> | undefined;
  /** Entries owning this node through `.`. */
  self: number[] | undefined;
  /** Entries owning this node as a leaf: the node and everything below it. */
  leaf: number[] | undefined;
  /** For list nodes: the key field sets used by its `k:` children. */
  keySets: string[][] | undefined;
}

const newNode = (): OwnNode => ({ c: undefined, self: undefined, leaf: undefined, keySets: undefined });

/**
 * All managedFields entries merged into one trie, for "who owns this path"
 * questions during a comparison. Status-subresource entries are left out.
 */
export class OwnershipIndex {
  private readonly root: OwnNode = newNode();

  constructor(readonly entries: readonly ManagedFieldsEntry[]) {
    entries.forEach((e, i) => {
      if (e.subresource === 'status' || !isObj(e.fieldsV1)) return;
      add(this.root, e.fieldsV1, i);
    });
  }

  /** Entries owning exactly this path, or an ancestor of it atomically. */
  ownersAt(path: readonly PathStep[]): number[] {
    const acc: number[] = [];
    const node = this.descend(path, acc);
    if (node) {
      pushAll(acc, node.self);
      pushAll(acc, node.leaf);
    }
    return acc;
  }

  /** Entries owning this path, an atomic ancestor, or anything below it. */
  ownersUnder(path: readonly PathStep[]): number[] {
    const acc: number[] = [];
    const node = this.descend(path, acc);
    if (node) collect(node, acc);
    return acc;
  }

  private descend(path: readonly PathStep[], acc: number[]): OwnNode | undefined {
    let node = this.root;
    for (const step of path) {
      pushAll(acc, node.leaf);
      const child = stepChild(node, step);
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }
}

function add(node: OwnNode, set: Record<string, unknown>, e: number): void {
  for (const k of Object.keys(set)) {
    if (k === '.') {
      (node.self ??= []).push(e);
      continue;
    }
    let key = k;
    const kind = k.slice(0, 2);
    if (kind === 'k:' || kind === 'v:') {
      const parsed = parseJson(k.slice(2));
      if (parsed === undefined) continue;
      key = kind + canonicalJson(parsed);
      if (kind === 'k:' && isObj(parsed)) {
        const fields = Object.keys(parsed).sort();
        const sets = (node.keySets ??= []);
        if (!sets.some((s) => s.length === fields.length && s.every((f, i) => f === fields[i]))) sets.push(fields);
      }
    }
    const c = (node.c ??= new Map());
    let child = c.get(key);
    if (child === undefined) {
      child = newNode();
      c.set(key, child);
    }
    const sub = set[k];
    if (isObj(sub) && Object.keys(sub).length > 0) add(child, sub, e);
    else (child.leaf ??= []).push(e);
  }
}

function stepChild(node: OwnNode, step: PathStep): OwnNode | undefined {
  const c = node.c;
  if (c === undefined) return undefined;
  if (typeof step === 'string') return c.get('f:' + step);
  const live = step.live;
  if (node.keySets !== undefined && isObj(live)) {
    for (const fields of node.keySets) {
      const key: Record<string, unknown> = {};
      let complete = true;
      for (const f of fields) {
        const v = live[f];
        if (v === undefined) {
          complete = false;
          break;
        }
        key[f] = v;
      }
      if (!complete) continue;
      const hit = c.get('k:' + canonicalJson(key));
      if (hit !== undefined) return hit;
    }
  }
  if (live === null || typeof live !== 'object') {
    const hit = c.get('v:' + canonicalJson(live));
    if (hit !== undefined) return hit;
  }
  return c.get('i:' + String(step.li));
}

function collect(node: OwnNode, acc: number[]): void {
  pushAll(acc, node.self);
  pushAll(acc, node.leaf);
  if (node.c) for (const child of node.c.values()) collect(child, acc);
}

function pushAll(acc: number[], xs: number[] | undefined): void {
  if (xs === undefined) return;
  for (const x of xs) if (!acc.includes(x)) acc.push(x);
}
