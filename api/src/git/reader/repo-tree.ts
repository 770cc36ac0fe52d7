import type { KustomizeFs } from '../../core/kustomize';
import type { CatFile } from './cat-file';
import type { FileChange } from './log-stream';

/**
 * The files of one commit's tree (path → blob id), moved from commit to commit
 * by applying `git log --raw` changes, with a directory index so it answers
 * `isDir`/`list` like a file system. Submodules (mode 160000) are left out.
 */
let lastGeneration = 0;

export class RepoTree {
  private readonly files = new Map<string, string>();
  /** Directory → names directly inside it (files and subdirectories) → number of files below that name. */
  private readonly dirs = new Map<string, Map<string, number>>([['', new Map()]]);
  /** Directory → the generation of the last change at or below it (see generation()). */
  private readonly gens = new Map<string, number>();

  get size(): number {
    return this.files.size;
  }

  set(path: string, blob: string): void {
    const had = this.files.get(path);
    if (had === blob) return;
    this.files.set(path, blob);
    this.touch(path);
    if (had !== undefined) return;
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
    this.touch(path);
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

  /** A new generation for every directory containing `path`. */
  private touch(path: string): void {
    const g = ++lastGeneration;
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) this.gens.set(path.slice(0, i), g);
    this.gens.set('', g);
  }

  /**
   * A number that changes whenever a file at or below `dir` is added, changed
   * or removed (0: nothing ever was). Numbers come from one counter for every
   * tree, so equal numbers mean an unchanged directory of the same tree.
   */
  generation(dir: string): number {
    return this.gens.get(dir) ?? 0;
  }

  /** Apply one commit's changes against its first parent. */
  apply(changes: readonly FileChange[]): void {
    for (const fc of changes) {
      if (fc.status === 'R' && fc.oldPath) this.delete(fc.oldPath);
      if (fc.status === 'D' || fc.newMode === '160000' || fc.newBlob === null) this.delete(fc.path);
      else this.set(fc.path, fc.newBlob);
    }
  }

  /** Every file as (path, blob). */
  entries(): Array<[string, string]> {
    return [...this.files];
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
      // After a miss some answers were wrong (absent): nothing recorded now may be trusted by generation.
      generation: (dir) => (misses.size ? -1 : this.generation(dir)),
    };
  }
}

/**
 * Blob contents by id, read through the long-lived `git cat-file --batch`
 * and kept up to a byte budget (least recently used first out). Blobs over
 * `maxBytes` and missing blobs read as an empty file marked in `unreadable`.
 */
export class BlobContents {
  /** Contents with the tick of their last use (a renderer reads every file of a closure per render: a get must stay two field writes, not a Map re-insert). */
  private readonly map = new Map<string, { content: Buffer; used: number }>();
  private tick = 0;
  private bytes = 0;
  readonly unreadable = new Map<string, string>();

  constructor(
    private readonly catFile: () => CatFile,
    private readonly budget = 64 * 1024 * 1024,
  ) {}

  get(blob: string): Buffer | undefined {
    const e = this.map.get(blob);
    if (e === undefined) return undefined;
    e.used = ++this.tick;
    return e.content;
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
      const before = this.map.get(r.sha);
      if (before) this.bytes -= before.content.length;
      this.map.set(r.sha, { content, used: ++this.tick });
      this.bytes += content.length;
    }
    if (this.bytes > this.budget) this.evict();
  }

  /** Least recently used first, down to 90% of the budget (so that eviction, a sort, stays rare); the newest blob always stays. */
  private evict(): void {
    const target = this.budget * 0.9;
    const byAge = [...this.map].sort((a, b) => a[1].used - b[1].used);
    for (let i = 0; i < byAge.length - 1 && this.bytes > target; i++) {
      const [sha, e] = byAge[i]!;
      this.map.delete(sha);
      this.bytes -= e.content.length;
    }
  }
}
