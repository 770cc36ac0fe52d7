import { closureHasAny, touchKeys, type KustomizeProblem } from '../core/kustomize';
import { CatFile } from './reader/cat-file';
import type { GitEnv } from './reader/git-env';
import type { FileChange } from './reader/log-stream';
import { BlobContents, RepoTree } from './reader/repo-tree';
import { blobsToPrefetch, EntryRenderer, type EntrySpec } from './render-entries';

/** A rendering environment as the workers see it: entries in the indexer's order, with their closure at the start. */
export interface PoolEnvironment {
  name: string;
  defaultNamespace: string;
  entries: Array<{ spec: EntrySpec; closure: string[] | null }>;
}

export interface RenderPoolInit {
  gitDir: string;
  gitEnv: GitEnv;
  maxFileBytes: number;
  /** The repository's files (path, blob) at the commit before the first batch. */
  tree: Array<[string, string]>;
  environments: PoolEnvironment[];
}

/** One entry rendered at one commit. */
export interface WireRender {
  /** Index into RenderPoolInit.environments. */
  env: number;
  dir: string;
  /** The closure; null when it is the one of this entry's previous render in the same batch. */
  closure: string[] | null;
  problems: KustomizeProblem[];
  /**
   * The rendered objects (RawOutput.objects), whole or as the places that hold another instance
   * than in this entry's previous render in the same batch. The indexing thread turns them into
   * desired objects (serializing, redacting and hashing is a fifth of a render's work, and this
   * thread is the one the run waits for).
   */
  objects: WireObjects<Record<string, unknown>>;
}

/** A list, whole or as the places where it differs from the list sent before. */
export type WireObjects<T> = { full: T[] } | { length: number; changed: Array<[number, T]> };

export interface WireBatch {
  /** Per commit sent (in order), the entries rendered at it, in environment and entry order. */
  commits: WireRender[][];
}


/**
 * What a render worker holds (see RenderPool): its own tree, git reader and
 * render caches. Every batch moves its tree; the batches it is given it
 * renders, reporting what each entry rendered at each commit (see RenderPool
 * for why that is what a single renderer gives).
 */
export class BatchRenderer {
  private readonly tree = new RepoTree();
  private readonly catFile: CatFile;
  private readonly renderer: EntryRenderer;
  private readonly envs: RenderPoolInit['environments'];
  /** Each entry's closure at the current tree, while `closuresKnown`. */
  private readonly closures: Array<Array<Set<string> | null>>;
  private readonly lastClosure: Array<Array<string[] | null>>;
  /** The directories of each entry's closure files: a file added there (a new patch) is probably read too. */
  private readonly closureDirs: Array<Array<Set<string> | null>>;
  private closuresKnown = true;
  /** What each entry's last render sent, along this worker's run of consecutive batches (what changes are against). */
  private readonly sent = new Map<string, { closure: string[]; objects: Record<string, unknown>[] }>();

  constructor(init: RenderPoolInit) {
    for (const [path, blob] of init.tree) this.tree.set(path, blob);
    const catFile = (this.catFile = new CatFile(init.gitDir, { env: init.gitEnv, maxBytes: init.maxFileBytes }));
    this.renderer = new EntryRenderer({
      tree: this.tree,
      blobs: new BlobContents(() => catFile),
      maxFileBytes: init.maxFileBytes,
    });
    this.envs = init.environments;
    this.closures = this.envs.map((e) => e.entries.map((x) => (x.closure ? new Set(x.closure) : null)));
    this.lastClosure = this.envs.map((e) => e.entries.map((x) => x.closure));
    this.closureDirs = this.envs.map((e) => e.entries.map((x) => (x.closure ? dirsOf(x.closure) : null)));
  }

  /** Moves the tree past a batch someone else renders. */
  skip(commits: FileChange[][]): void {
    for (const files of commits) this.tree.apply(files);
    this.closuresKnown = false;
    // The indexing thread applies another worker's batches meanwhile: this worker's next render of
    // each entry sends the whole list (the indexer's previous list may be another worker's).
    this.sent.clear();
  }

  async render(commits: FileChange[][]): Promise<WireBatch> {
    if (!this.closuresKnown) {
      // Batches went by without rendering: each entry's closure as of now is the one of a render now.
      for (let e = 0; e < this.envs.length; e++) {
        const env = this.envs[e]!;
        for (let i = 0; i < env.entries.length; i++) this.noteClosure(e, i, (await this.renderer.renderRaw(env.entries[i]!.spec)).closure);
      }
      this.closuresKnown = true;
    }
    // The blobs renders will probably read, in one round trip: kustomization files, files in a closure and
    // files added next to them (else a render that reads a new patch file renders twice, around a git round trip).
    const likely = (path: string) => this.closures.some((l) => l.some((c) => c?.has(path))) || this.closureDirs.some((l) => l.some((d) => d?.has(dirOf(path))));
    await this.renderer.prefetch(blobsToPrefetch(commits, likely));
    // An entry not rendered yet has no closure to go by: once each has rendered, the rest of the
    // batch is prefetched again (else the first batch's renders each miss their changed file).
    let unknown = this.closures.some((l) => l.some((c) => c === null));
    const sent = this.sent;
    const out: WireRender[][] = [];
    for (let n = 0; n < commits.length; n++) {
      const files = commits[n]!;
      if (unknown && !this.closures.some((l) => l.some((c) => c === null))) {
        unknown = false;
        await this.renderer.prefetch(blobsToPrefetch(commits.slice(n), likely));
      }
      this.tree.apply(files);
      const changed: string[] = [];
      for (const fc of files) {
        changed.push(fc.path);
        if (fc.oldPath) changed.push(fc.oldPath);
      }
      const keys = touchKeys(changed);
      const rendered: WireRender[] = [];
      for (let e = 0; e < this.envs.length; e++) {
        const env = this.envs[e]!;
        for (let i = 0; i < env.entries.length; i++) {
          const c = this.closures[e]![i] ?? null;
          if (c !== null && !closureHasAny(c, keys)) continue;
          const spec = env.entries[i]!.spec;
          const r = await this.renderer.renderRaw(spec);
          this.noteClosure(e, i, r.closure);
          const k = `${e}\0${i}`;
          const prev = sent.get(k);
          rendered.push({
            env: e,
            dir: spec.dir,
            closure: prev !== undefined && prev.closure === r.closure ? null : r.closure,
            problems: r.problems,
            objects: objectsDelta(prev?.objects, r.objects),
          });
          sent.set(k, { closure: r.closure, objects: r.objects });
        }
      }
      out.push(rendered);
    }
    return { commits: out };
  }

  close(): Promise<void> {
    return this.catFile.close();
  }

  private noteClosure(e: number, i: number, closure: string[]): void {
    if (closure !== this.lastClosure[e]![i]) {
      this.closures[e]![i] = new Set(closure);
      this.closureDirs[e]![i] = dirsOf(closure);
    }
    this.lastClosure[e]![i] = closure;
  }
}

function dirOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf('/')));
}

/** The directories holding a closure's files (a path ending in '/' is a directory listing). */
function dirsOf(closure: readonly string[]): Set<string> {
  const dirs = new Set<string>();
  for (const p of closure) if (!p.endsWith('/')) dirs.add(dirOf(p));
  return dirs;
}

/** The list `w` describes, given the list sent before it (whose instances are kept where unchanged). */
export function objectsOf<T>(w: WireObjects<T>, previous: T[] | undefined, dir: string): T[] {
  if ('full' in w) return w.full;
  if (previous === undefined) throw new Error(`render worker sent changes for ${dir} without a previous render`);
  if (w.changed.length === 0 && w.length === previous.length) return previous;
  const out = previous.slice(0, w.length);
  for (const [i, o] of w.changed) out[i] = o;
  return out;
}

/** How `next` differs from `previous` (`same`: unchanged; by default the same instance), or the whole list when that is shorter to say. */
export function objectsDelta<T>(previous: T[] | undefined, next: T[], same: (a: T, b: T) => boolean = (a, b) => a === b): WireObjects<T> {
  if (previous === undefined || previous.length !== next.length) return { full: next };
  const changed: Array<[number, T]> = [];
  for (let i = 0; i < next.length; i++) {
    if (same(previous[i]!, next[i]!)) continue;
    changed.push([i, next[i]!]);
    if (changed.length * 2 > next.length) return { full: next };
  }
  return { length: next.length, changed };
}
