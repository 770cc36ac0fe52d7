import { createHash } from 'node:crypto';

/**
 * Dependency closures of renders across history. A render reads a set of
 * paths (RenderResult.files): files, paths looked for that did not exist, and
 * listed directories written with a trailing '/' ('/' for the root). As long as
 * none of them changes, rendering again gives the same result, so an indexer
 * walking history renders an entry only at commits that touch its closure.
 */

/** What a tree holds at a path, for closure keys. */
export interface TreeProbe {
  /** The blob id of the file at `path`, or null when there is no file there. */
  blob(path: string): string | null;
  isDir(path: string): boolean;
  /** Names directly inside `dir`, sorted; null when it is not a directory. */
  list(dir: string): readonly string[] | null;
}

/** The directories containing `path`, innermost first, ending with the root ''. */
export function ancestorDirs(path: string): string[] {
  const out: string[] = [];
  let p = path;
  for (let i = p.lastIndexOf('/'); i >= 0; i = p.lastIndexOf('/')) {
    p = p.slice(0, i);
    out.push(p);
  }
  out.push('');
  return out;
}

/**
 * True when a change to `changed` (added, modified or deleted) can change a
 * render with this closure: the path itself is in it, a directory listed by
 * the render contains it, or a path the render found missing (or a file it
 * read) is one of its ancestors, so that path became or stopped being a directory.
 */
export function closureTouchedBy(closure: ReadonlySet<string>, changed: string): boolean {
  if (closure.has(changed)) return true;
  for (const dir of ancestorDirs(changed)) {
    if (closure.has(dir === '' ? '/' : `${dir}/`)) return true;
    if (dir !== '' && closure.has(dir)) return true;
  }
  return false;
}

/**
 * The closure members a set of changed paths can touch (each path, its
 * ancestor directories, and their listings): compute once per commit, then
 * test each closure with closureHasAny — the same answer as closureTouched.
 */
export function touchKeys(changed: Iterable<string>): string[] {
  const keys = new Set<string>();
  for (const p of changed) {
    keys.add(p);
    for (const dir of ancestorDirs(p)) {
      keys.add(dir === '' ? '/' : `${dir}/`);
      if (dir !== '') keys.add(dir);
    }
  }
  return [...keys];
}

export function closureHasAny(closure: ReadonlySet<string>, keys: readonly string[]): boolean {
  for (const k of keys) if (closure.has(k)) return true;
  return false;
}

/** True when any of the changed paths touches the closure (see closureTouchedBy). */
export function closureTouched(closure: ReadonlySet<string>, changed: Iterable<string>): boolean {
  for (const p of changed) if (closureTouchedBy(closure, p)) return true;
  return false;
}

/**
 * A cache key for a render whose closure is `closure`, at the tree `probe`
 * describes: `scope` (entry directory and render options) plus, for every path
 * of the closure, the blob id there, 'dir' for a directory, '-' for nothing,
 * and for listed directories their listing. Two trees with the same key render
 * the same result.
 */
export function closureKey(scope: string, closure: readonly string[], probe: TreeProbe): string {
  const parts: string[] = [scope];
  for (const p of closure) {
    let v: string;
    if (p.endsWith('/')) {
      const list = probe.list(p === '/' ? '' : p.slice(0, -1));
      v = list === null ? '-' : list.join('/');
    } else v = probe.blob(p) ?? (probe.isDir(p) ? 'dir' : '-');
    parts.push(p, v);
  }
  return createHash('sha1').update(parts.join('\0')).digest('base64');
}

/** True when `path` is `dir` or inside it ('' is the repository root). */
export function isUnder(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/** A small LRU map (Map iteration order is insertion order). */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}
