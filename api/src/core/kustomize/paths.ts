/** Repository-relative path helpers ('/'-separated, root = ''). */

const NEEDS_NORMALIZING = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|\/$/;

/** Joins `rel` onto `dir` and normalizes `.`/`..`; null when the result leaves the repository or `rel` is absolute. */
export function joinPath(dir: string, rel: string): string | null {
  if (rel.startsWith('/')) return null;
  // Already normal (no '.' or '..' segment, no empty segment): a concatenation. Renders join the same few paths very often.
  if (rel !== '' && !NEEDS_NORMALIZING.test(rel)) return dir === '' ? rel : `${dir}/${rel}`;
  const out = dir === '' ? [] : dir.split('/');
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else {
      out.push(seg);
    }
  }
  return out.join('/');
}

/** Normalizes a repository-relative path (`./a//b/` → `a/b`); null when it climbs above the root. */
export function normalizePath(p: string): string | null {
  return joinPath('', p.replace(/^\/+/, ''));
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** True when `p` is `dir` itself or inside it. */
export function isWithin(p: string, dir: string): boolean {
  return dir === '' || p === dir || p.startsWith(dir + '/');
}

/**
 * Resource and base entries that kustomize would fetch over the network
 * (URLs, `github.com/org/repo//path?ref=x`, `git@host:org/repo`).
 */
export function looksRemote(entry: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ||
    /^git@[^:]+:/.test(entry) ||
    /^(github\.com|gitlab\.com|bitbucket\.org|dev\.azure\.com)\//i.test(entry) ||
    /\?(.*&)?(ref|version|submodules|timeout)=/.test(entry) ||
    entry.includes('.git//')
  );
}
