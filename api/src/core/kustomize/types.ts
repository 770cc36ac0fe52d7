import type { KustomizeCache } from './cache';

/**
 * Read access to a tree of files, so one renderer serves a Git tree at a
 * commit (blobs by path) and a directory on disk. Paths are repository-relative
 * and '/'-separated; the repository root is ''.
 */
export interface KustomizeFs {
  /** File content, or null when there is no file at this path (absent, or a directory). */
  read(path: string): Buffer | null;
  /** Names (not paths) of the entries directly inside a directory, or null when it is not a directory. */
  list(dir: string): string[] | null;
  isDir(path: string): boolean;
  /**
   * Optional: a number that changes whenever anything at or below `dir`
   * changes (equal numbers: nothing below changed). Lets a render check that a
   * reused directory build is still valid in one comparison instead of
   * re-reading every file it read. Negative: no answer (nothing may be
   * trusted by generation now, e.g. contents are still being loaded).
   */
  generation?(dir: string): number;
}

export type KustomizeProblemCode =
  /** A kustomize feature the built-in renderer does not implement (helmCharts, plugins, crds, …). */
  | 'unsupported'
  /** A resource, base, patch or generator source that points outside the repository (a URL). */
  | 'remote'
  /** A referenced file or directory does not exist. */
  | 'not-found'
  /** A file that is not valid YAML, or a field with the wrong shape. */
  | 'invalid'
  /** Two objects with the same identity, or a generator behavior that does not fit. */
  | 'conflict'
  /** A patch, replica count or replacement that does not apply. */
  | 'not-applied'
  /** A file outside the kustomization root under the default load restrictions. */
  | 'restricted'
  /** A kustomization that (indirectly) includes itself. */
  | 'cycle';

/** Something the renderer could not do. The rendering goes on without it; the caller decides whether to trust the result. */
export interface KustomizeProblem {
  /** The file where the problem is (usually a kustomization file), repository-relative. */
  file: string;
  /** The field in that file, e.g. `patches[2].target` or `helmCharts`; '' for the file as a whole. */
  field: string;
  message: string;
  code: KustomizeProblemCode;
}

export interface RenderOptions {
  /** Parsed-YAML cache shared between renders (createKustomizeCache()); speeds up rendering many commits. */
  cache?: KustomizeCache;
  /**
   * `rootOnly` (kubectl's and Argo CD's default): files named by resources,
   * patches and generators must be inside the kustomization's directory.
   * `none` (what Flux's kustomize-controller uses): any file in the repository.
   */
  loadRestrictions?: 'rootOnly' | 'none';
  /**
   * When the entry directory has no kustomization file: `problem` (kubectl's
   * behaviour) or `generate`, which renders every manifest under the directory
   * the way Flux does for a path without a kustomization.yaml.
   */
  missingKustomization?: 'problem' | 'generate';
  /** Files larger than this are reported instead of read. Default 4 MiB. */
  maxFileBytes?: number;
}

export interface RenderResult {
  /** Rendered objects, in kustomize's legacy order (or FIFO when the kustomization asks for it). */
  objects: Record<string, unknown>[];
  /**
   * Every path the result depends on, sorted: files read, plus paths that were
   * looked for and did not exist (the three kustomization file names of every
   * directory, missing resources), so adding them later changes a cache key.
   * With `missingKustomization: 'generate'`, directories whose listing was
   * used appear with a trailing '/' ('/' for the root): key them by tree.
   */
  files: string[];
  problems: KustomizeProblem[];
}
