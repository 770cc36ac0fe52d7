import type { KustomizeFs, TreeProbe } from '../../core/kustomize';
import type { CatFile } from './cat-file';
import type { FileChange } from './log-stream';

/**
 * The files of one commit's tree (path → blob id), moved from commit to commit
 * by applying `git log --raw` changes, with a directory index so it answers
 * `isDir`/`list` like a file system. Submodules (mode 160000) are left out.
 */
export class RepoTree implements TreeProbe {
  private readonly files = new Map<string, string>();
  /** Directory → names directly inside it (files and subdirectories) → number of files below that name. */
  private readonly dirs = new Map<string, Map<string, number>>([['', new Map()]]);

  get size(): number {
    return this.files.size;
  }

  set(path: string, blob: string): void {
    const had = this.files.has(path);
    this.files.set(path, blob);
    if (had) return;
    let child = path;
    for (let i = path.lastIndexOf('/'); ; i = child.lastIndexOf('/')) {
      const dir = i < 0 ? '' : child.slice(0, i);
      const name = i < 0 ? child : child.slice(i + 1);
      let entries = this.dirs.get(dir);
      if (!entries) this.dirs.set(dir, (entries = new Map()));
      entries.set(name, (entries.get(name) ?? 0) + 1);
      if (i < 0) break;
      child = dir;
    }
  }

  delete(path: string): void {
    if (!this.files.delete(path)) return;
    let child = path;
    for (let i = path.lastIndexOf('/'); ; i = child.lastIndexOf('/')) {
      const dir = i < 0 ? '' : child.slice(0, i);
      const name = i < 0 ? child : child.slice(i + 1);
      const entries = this.dirs.get(dir)!;
      const n = entries.get(name)! - 1;
      if (n === 0) entries.delete(name);
      else entries.set(name, n);
      if (entries.size === 0 && dir !== '') this.dirs.delete(dir);
      if (i < 0) break;
      child = dir;
    }
  }

  /** Apply one commit's changes against its first parent. */
  apply(changes: readonly FileChange[]): void {
    for (const fc of changes) {
      if (fc.status === 'R' && fc.oldPath) this.delete(fc.oldPath);
      if (fc.status === 'D' || fc.newMode === '160000' || fc.newBlob === null) this.delete(fc.path);
      else this.set(fc.path, fc.newBlob);
    }
  }

  blob(path: string): string | null {
    return this.files.get(path) ?? null;
  }

  isDir(path: string): boolean {
    return this.dirs.has(path);
  }

  list(dir: string): string[] | null {
    const entries = this.dirs.get(dir);
    return entries ? [...entries.keys()].sort() : null;
  }

  /**
   * A KustomizeFs over this tree whose file contents come from `contents`
   * (blob id → bytes). A blob not loaded yet reads as absent and is added to
   * `misses`: the caller loads those and renders again.
   */
  fs(contents: BlobContents, misses: Set<string>): KustomizeFs {
    return {
      read: (path) => {
        const blob = this.files.get(path);
        if (blob === undefined) return null;
        const content = contents.get(blob);
        if (content === undefined) {
          misses.add(blob);
          return null;
        }
        return content;
      },
      list: (dir) => this.list(dir),
      isDir: (path) => this.isDir(path),
    };
  }
}

/**
 * Blob contents by id, read through the long-lived `git cat-file --batch`
 * and kept up to a byte budget (least recently used first out). Blobs over
 * `maxBytes` and missing blobs read as an empty file marked in `unreadable`.
 */
export class BlobContents {
  private readonly map = new Map<string, Buffer>();
  private bytes = 0;
  readonly unreadable = new Map<string, string>();

  constructor(
    private readonly catFile: () => CatFile,
    private readonly budget = 64 * 1024 * 1024,
  ) {}

  get(blob: string): Buffer | undefined {
    const b = this.map.get(blob);
    if (b !== undefined) {
      this.map.delete(blob);
      this.map.set(blob, b);
    }
    return b;
  }

  has(blob: string): boolean {
    return this.map.has(blob);
  }

  /** Load these blobs (pipelined through one cat-file process). */
  async load(blobs: Iterable<string>): Promise<void> {
    const need = [...new Set(blobs)].filter((b) => !this.map.has(b));
    if (!need.length) return;
    const cf = this.catFile();
    const results = await cf.readMany(need);
    for (const r of results) {
      let content: Buffer;
      if ('missing' in r) {
        this.unreadable.set(r.sha, 'blob is missing from the repository');
        content = Buffer.alloc(0);
      } else if ('tooLarge' in r) {
        this.unreadable.set(r.sha, `${r.size} bytes, over the repository's maxFileSize`);
        content = Buffer.alloc(0);
      } else content = r.content;
      this.map.set(r.sha, content);
      this.bytes += content.length;
    }
    while (this.bytes > this.budget && this.map.size > 1) {
      const [oldest, b] = this.map.entries().next().value as [string, Buffer];
      this.map.delete(oldest);
      this.bytes -= b.length;
    }
  }
}
