import type { KustomizeFs } from './types';

/** A KustomizeFs over an in-memory map of repository-relative paths to contents (tests, preloaded blobs). */
export function createMemoryFs(files: Record<string, string | Buffer> | Map<string, string | Buffer>): KustomizeFs {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const content = new Map<string, Buffer>();
  const dirs = new Map<string, Set<string>>();
  dirs.set('', new Set());
  for (const [rawPath, value] of entries) {
    const path = rawPath.replace(/^\/+|\/+$/g, '');
    content.set(path, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      let s = dirs.get(dir);
      if (!s) dirs.set(dir, (s = new Set()));
      s.add(parts[i]!);
    }
  }
  return {
    read: (p) => content.get(p) ?? null,
    list: (d) => {
      const s = dirs.get(d);
      return s ? [...s].sort() : null;
    },
    isDir: (p) => dirs.has(p),
  };
}
