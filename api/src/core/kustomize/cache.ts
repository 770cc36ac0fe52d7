import { createHash } from 'node:crypto';
import { YamlLoadError, loadYamlDocuments } from '../manifests';
import { clone, type Res } from './resource';
import { loadKustomizeYaml } from './yaml';

/**
 * Parsed YAML kept across renders (the indexer renders the same overlay at
 * many commits, and most files do not change between them). Keyed by a
 * content hash, so it is valid for any file with the same bytes. Callers
 * keep one per process (or per repository) and pass it in RenderOptions.
 */
export interface KustomizeCache {
  readonly size: number;
  clear(): void;
}

type Entry = { docs: unknown[] } | { error: string };

/**
 * What building one directory resource produced, and everything it looked at
 * (renderer-private; see Renderer.dirResource): reused by a later render when
 * every recorded read still gives the same answer.
 */
export interface SubBuild {
  reads: Array<[string, Buffer | null]>;
  dirs: Array<[string, boolean]>;
  lists: Array<[string, string[] | null]>;
  files: string[];
  /** Directories accumulated here (with the children's: a render whose stack holds one of them must not reuse this). */
  visited: string[];
  /** Builds and compiled plans used inside, whole: their answers must hold too, their files are in the closure. */
  children: SubBuild[];
  problems: Array<{ file: string; field: string; message: string; code: string }>;
  /**
   * The generation of the directory holding each path above (a listed
   * directory: itself) when this was recorded, with each answer's directory
   * (an index into gens); only when the file system has generations.
   */
  gens?: Array<[string, number]>;
  covers?: { reads: number[]; dirs: number[]; lists: number[] };
  /** The innermost directory holding every path looked at (children's too), with its generation then. */
  scope?: [string, number];
  /** Pristine result (never handed out: callers get copies), or why there is none. */
  result: unknown[] | null | 'missing' | 'component';
  /**
   * For a kustomization that only lists directories (a base of apps): each directory and how many
   * objects it gave, in order. Its result is then those directories' results end to end, so after a
   * change below it only the directories that changed need building again (see rebuildFromParts).
   */
  plan?: { entries: string[]; keys: string[]; lengths: number[] };
}

/** What one kustomization's transformers made of each object (renderer-private; see Renderer.runTransformers). */
export interface TransformMemo {
  /** The parsed kustomization (the parse cache hands out one instance per content). */
  raw: unknown;
  /** What the transformers read (patch files): the memo holds while they read the same. */
  reads: SubBuild;
  /** The compiled transformer steps (renderer-private): valid with the memo. */
  plan: unknown;
  /** Decision-point numbers by step (kept across memos of the same kustomization, so recorded decisions stay comparable). */
  opIds: Map<string, number[]>;
  /** The plan's decision-point number per step. */
  ops: number[];
  /** Input object → output (null: deleted by a patch), with the decisions it depended on. */
  out: WeakMap<object, TransformDone>;
  /** The last run's input list and what each became (undefined: not remembered), to skip the lookup for objects at the same place. */
  lastIn: readonly object[] | undefined;
  lastDone: Array<TransformDone | undefined>;
  /** How many of last time's objects matched each decision point, and what each decided. */
  lastCounts: Map<number, number> | undefined;
  lastDecisions: Map<number, boolean | null> | undefined;
}

/** A renamed object that references may follow: its identities (as one string), current name and earlier names (renderer-private). */
export interface Renamed {
  res: Res;
  part: string;
  name: string;
  prevNames: string[];
}

export interface TransformDone {
  out: unknown;
  /** Decision points that matched the object, and what each decided then. */
  ops: number[];
  applied: Array<boolean | null>;
  /** The image names the object had where the images step runs (or would run). */
  imageNames?: string[];
  /** imageNames as one string (judgements of image rule changes are kept by it). */
  imageKey?: string;
  /** Every name the object had coming in and going out, current and earlier (objects never change once shared). */
  idNames?: string[];
}

export class ParseCache implements KustomizeCache {
  private readonly entries = new Map<string, Entry>();
  /** Directory resources built by earlier renders, by directory and what names it (one version each). */
  readonly subs = new Map<string, SubBuild>();
  /** Per kustomization directory: its transformers' output per object. */
  readonly transforms = new Map<string, TransformMemo>();
  /** Generated objects with their hash suffix, by the object before. */
  readonly hashed = new WeakMap<object, unknown>();
  /** Finished objects (name references fixed, metadata finalized; null: dropped), by the object before and the renamed objects' key. */
  readonly finished = new WeakMap<object, { key: string; out: unknown }>();
  /** Per render site: the renamed objects of its last finish, indexed by earlier name (renderer-private; see renamedIndex in render.ts). */
  readonly renamed = new Map<string, { entries: Array<Renamed | null>; index: Map<string, Renamed[]> }>();
  /** Per entry: its last closure in read order, and sorted (renderer-private; see Renderer.closure). */
  readonly closures = new Map<string, { root: SubBuild; read: string[]; sorted: string[] }>();
  /** Per render site: its last finish (renderer-private; see finishIncrementally in render.ts). */
  readonly finishes = new Map<string, unknown>();
  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.subs.clear();
    this.transforms.clear();
    this.renamed.clear();
    this.finishes.clear();
    this.closures.clear();
  }

  lookup(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e !== undefined) {
      // Keep recently used entries at the end (Map iteration order) for eviction.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  store(key: string, e: Entry): void {
    this.entries.set(key, e);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

export function createKustomizeCache(maxEntries = 20_000): KustomizeCache {
  return new ParseCache(maxEntries);
}

/** Content hashes of Buffers already seen (a Git blob cache hands out the same Buffer for the same blob). */
const bufferKeys = new WeakMap<Buffer, string>();

function contentKey(text: string | Buffer): string {
  if (typeof text === 'string') return createHash('sha1').update(text).digest('base64');
  let k = bufferKeys.get(text);
  if (k === undefined) {
    k = createHash('sha1').update(text).digest('base64');
    bufferKeys.set(text, k);
  }
  return k;
}

export type YamlMode = 'resource' | 'kustomization';

/**
 * Parses YAML with the rules of `mode` (resources: kustomize's, kustomization
 * files: kubectl's). `mutable` results are fresh copies the caller may change;
 * otherwise they may be shared with the cache and must only be read.
 */
export function parseYaml(cache: ParseCache | undefined, mode: YamlMode, text: string | Buffer, mutable: boolean): unknown[] {
  const parse = (s: string) => (mode === 'resource' ? loadKustomizeYaml(s) : loadYamlDocuments(s).documents);
  if (cache === undefined) return parse(typeof text === 'string' ? text : text.toString('utf8'));
  const key = `${mode}:${contentKey(text)}`;
  let e = cache.lookup(key);
  if (e === undefined) {
    try {
      e = { docs: parse(typeof text === 'string' ? text : text.toString('utf8')) };
    } catch (err) {
      if (!(err instanceof YamlLoadError)) throw err;
      e = { error: err.message };
    }
    cache.store(key, e);
    if ('docs' in e && mutable) return clone(e.docs);
  }
  if ('error' in e) throw new YamlLoadError('yaml-syntax', e.error);
  return mutable ? clone(e.docs) : e.docs;
}
