/**
 * Dependency closures of renders across history. A render reads a set of
 * paths (RenderResult.files): files, paths looked for that did not exist, and
 * listed directories written with a trailing '/' ('/' for the root). As long as
 * none of them changes, rendering again gives the same result, so an indexer
 * walking history renders an entry only at commits that touch its closure.
 */

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

/** True when `path` is `dir` or inside it ('' is the repository root). */
export function isUnder(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}
