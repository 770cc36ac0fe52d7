/**
 * Incremental rendering support (only used when a render has a shared cache).
 *
 * Objects kept by a cache (directory builds, per-object transformer outputs,
 * finished objects) are handed to later renders as the very same instances,
 * so an unchanged object costs a lookup instead of a copy and a transform.
 * Such instances are *shared*: no code may change them. Every step that
 * changes objects in place first takes a private copy (ensureOwned / own).
 */
import { clone, type Res } from './resource';

const shared = new WeakSet<Res>();

export function markShared(r: Res): Res {
  shared.add(r);
  return r;
}

export function isShared(r: Res): boolean {
  return shared.has(r);
}

export function cloneRes(r: Res): Res {
  return { obj: clone(r.obj), prev: r.prev.map((p) => ({ ...p })), prefixes: [...r.prefixes], suffixes: [...r.suffixes], needsHash: r.needsHash, file: r.file };
}

/** A private copy of `r` when it is shared, else `r`. */
export function own(r: Res): Res {
  return shared.has(r) ? cloneRes(r) : r;
}

/** Replaces every shared element of `list` by a private copy (before a step that changes objects in place). */
export function ensureOwned(list: Res[]): void {
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (shared.has(r)) list[i] = cloneRes(r);
  }
}

/**
 * Lets a transformer step that decides on the whole list (a strategic merge
 * patch by identity applies only when exactly one object matches; a replicas
 * entry is a problem when no object has that name) run over only the objects
 * that changed: the unchanged ones, taken from an earlier run, are counted
 * through `outside`, and what each step decided is recorded so that reuse of
 * an unchanged object can be checked against the same decisions.
 */
export interface MatchTrace {
  /** The next decision point's number (the same sequence in every run of one configuration). */
  next(): number;
  /** Objects outside the list that matched decision point `op` in their run. */
  outside(op: number): number;
  /** Objects of the list that matched `op`, and what the step decided (applied: exactly one match overall; null: the step applies to every match regardless). */
  record(op: number, matched: readonly Res[], applied: boolean | null): void;
  /** An object that got a problem of its own (its transform is not reused). */
  taint(r: Res): void;
}
