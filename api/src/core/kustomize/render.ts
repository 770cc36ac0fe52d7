import { YamlLoadError } from '../manifests';
import { ParseCache, parseYaml, type Renamed, type SubBuild, type TransformDone, type TransformMemo, type YamlMode } from './cache';
import { addGenerated, generate, readGeneratorOptions, stringMap, type GeneratorContext } from './generators';
import { contentHashSuffix } from './hash';
import { cloneRes, ensureOwned, isShared, markShared, type MatchTrace } from './memo';
import { fixNameReferences, NAME_REF_KINDS, referencedNames } from './nameref';
import { applySmpByIdentity, applyTargetedPatch, compileSmp, parsePatchText, readPatchOptions, type ParsedPatch } from './patches';
import { basename, dirname, isWithin, joinPath, looksRemote, normalizePath } from './paths';
import { applyReplacements } from './replacements';
import {
  currentId,
  groupOfApiVersion,
  idKey,
  idString,
  isObj,
  kindOf,
  nameOf,
  namespaceOf,
  newRes,
  sameRes,
  setName,
  storePrevious,
  str,
  type Obj,
  type Res,
} from './resource';
import { compileTarget } from './selector';
import { resortChanged, sortResources, type SortOptions } from './sort';
import {
  applyAnnotations,
  imageNamesOf,
  rulesFor,
  applyCommonLabels,
  applyImages,
  applyLabels,
  applyNamespace,
  applyPrefixSuffix,
  applyReplicas,
  finalizeMetadata,
  type ImageRule,
  type LabelsEntry,
} from './transformers';
import type { KustomizeFs, KustomizeProblem, KustomizeProblemCode, RenderOptions, RenderResult } from './types';
import type { FieldSpec } from './fieldspec';

export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'bases',
  'components',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'images',
  'imageTags',
  'replicas',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'replacements',
  'sortOptions',
  // Known to kustomize, reported as unsupported below.
  'crds',
  'openapi',
  'configurations',
  'helmCharts',
  'helmGlobals',
  'helmChartInflationGenerator',
  'generators',
  'transformers',
  'validators',
  'vars',
  'buildMetadata',
]);

const UNSUPPORTED: Record<string, string> = {
  crds: 'crds (OpenAPI schemas of custom resources for name references and merge keys) are not supported by the built-in renderer; custom resources are rendered without them',
  openapi: 'openapi (a custom schema for strategic merge patches) is not supported by the built-in renderer; the built-in Kubernetes merge keys are used',
  configurations: 'configurations (custom transformer field specs) are not supported by the built-in renderer; the built-in field specs are used',
  helmCharts: 'helmCharts are not rendered by the built-in renderer (it runs no helm); the chart objects are missing from the result',
  helmGlobals: 'helmGlobals are not supported (helmCharts are not rendered)',
  helmChartInflationGenerator: 'helmChartInflationGenerator is not rendered by the built-in renderer (it runs no helm)',
  generators: 'generator plugins are not run by the built-in renderer; their objects are missing from the result',
  transformers: 'transformer plugins are not run by the built-in renderer; their changes are missing from the result',
  validators: 'validator plugins are not run by the built-in renderer',
  vars: 'vars (deprecated in kustomize) are not substituted by the built-in renderer; $(VAR) references stay as written. Use replacements',
  buildMetadata: 'buildMetadata (origin and managed-by annotations) is not added by the built-in renderer',
};

interface Kustomization {
  dir: string;
  file: string;
  raw: Obj;
  kind: 'Kustomization' | 'Component';
}

const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;

class Renderer {
  readonly problems: KustomizeProblem[] = [];
  private readonly restrict: boolean;
  private readonly maxBytes: number;
  private readonly cache: ParseCache | undefined;
  /**
   * What the render looked at, as a tree: the innermost record being built
   * (last) gets each file system answer and closure path; a reused or
   * finished build is attached to its parent whole (see SubBuild.children).
   */
  private readonly root: SubBuild = newRecord();
  private readonly recorders: SubBuild[] = [this.root];
  private readonly fs: KustomizeFs;

  constructor(
    private readonly rawFs: KustomizeFs,
    opts: RenderOptions,
  ) {
    this.restrict = (opts.loadRestrictions ?? 'rootOnly') === 'rootOnly';
    this.maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.cache = opts.cache instanceof ParseCache ? opts.cache : undefined;
    this.fs = {
      read: (p) => {
        const v = rawFs.read(p);
        this.current().reads.push([p, v]);
        return v;
      },
      isDir: (p) => {
        const v = rawFs.isDir(p);
        this.current().dirs.push([p, v]);
        return v;
      },
      list: (d) => {
        const v = rawFs.list(d);
        this.current().lists.push([d, v]);
        return v;
      },
    };
  }

  /**
   * The dependency closure, sorted. With a shared cache, a closure equal to the
   * last one of this entry (read in the same order) is that same sorted list.
   */
  closure(entry: string): string[] {
    const key = `${entry}\0${this.restrict}\0${this.maxBytes}`;
    const last = this.cache?.closures.get(key);
    // The same records (or records that read the same paths) as last time: the same closure, without collecting it.
    if (last !== undefined && sameReadPaths(this.root, last.root)) {
      last.root = this.root;
      return last.sorted;
    }
    const files: string[] = this.root.files.slice();
    for (const c of this.root.children) for (const f of filesOf(c)) files.push(f);
    if (this.cache === undefined) return [...new Set(files)].sort();
    if (last !== undefined && last.read.length === files.length && last.read.every((f, i) => f === files[i])) {
      last.root = this.root;
      return last.sorted;
    }
    const sorted = [...new Set(files)].sort();
    this.cache.closures.set(key, { root: this.root, read: files, sorted });
    return sorted;
  }

  /** Adds a path to the dependency closure. */
  addFile(path: string): void {
    this.current().files.push(path);
  }

  private current(): SubBuild {
    return this.recorders[this.recorders.length - 1]!;
  }

  /**
   * A directory resource: its kustomization accumulated (objects not yet
   * transformed by the including kustomization). With a shared cache the build
   * is reused when every file, directory and listing it looked at is unchanged
   * (a base shared by several overlays, or an app that did not change in a
   * commit), so rendering many commits costs what changed.
   */
  dirResource(k: Kustomization, entry: string, field: string, path: string, stack: string[]): readonly Res[] | null {
    const outcome = this.buildShared(path, stack);
    if (outcome === 'missing') {
      this.problem(k.file, field, `${entry} is a directory without a kustomization file (kustomization.yaml, kustomization.yml or Kustomization)`, 'not-found');
      return null;
    }
    if (outcome === 'component') {
      this.problem(k.file, field, `${entry} is a Component; list it under components, not ${field.replace(/\[.*$/, '')}`, 'invalid');
      return null;
    }
    return outcome;
  }

  /** The accumulated objects of the kustomization in `path`, reused from an earlier render when nothing it read changed. */
  private buildShared(path: string, stack: string[]): readonly Res[] | null | 'missing' | 'component' {
    const key = subKey(path, this.restrict, this.maxBytes);
    const memo = this.cache?.subs.get(key);
    const visited = memo && visitedBy(memo);
    const reusable = memo !== undefined && !stack.some((d) => visited!.has(d));
    // With a plan, a change below is handled part by part (unchanged parts cost one comparison each).
    const byParts = reusable && memo.plan !== undefined && memo.scope !== undefined && this.rawFs.generation?.call(this.rawFs, memo.scope[0]) !== memo.scope[1];
    if (reusable && !byParts && this.stillValid(memo)) {
      this.replayReads(memo);
      for (const p of memo.problems) this.problems.push(p as KustomizeProblem);
      // Shared instances in a shared list (see memo.ts): read only; whoever changes them takes a copy first.
      return memo.result as Res[] | null | 'missing' | 'component';
    }
    if (reusable && memo.plan !== undefined) {
      const parts = this.rebuildFromParts(memo, path, key, stack);
      if (parts !== null) return parts;
    }
    const rec = newRecord();
    this.recorders.push(rec);
    const before = this.problems.length;
    let out: Res[] | null | 'missing' | 'component';
    let sub: Kustomization | 'missing' | null = null;
    try {
      sub = this.loadKustomization(path);
      out = sub === 'missing' ? 'missing' : sub === null ? null : sub.kind === 'Component' ? 'component' : this.accumulate(sub, stack, []);
    } finally {
      this.recorders.pop();
    }
    this.current().children.push(rec);
    rec.problems = this.problems.slice(before);
    if (Array.isArray(out) && sub !== 'missing' && sub !== null) rec.plan = this.planOf(sub, rec, out);
    // A cycle depends on the including stack: never reuse a build that met one.
    if (this.cache && !rec.problems.some((p) => p.code === 'cycle')) {
      if (Array.isArray(out)) {
        // What did not change keeps its earlier instance (an app whose deployment changed still has the same service), so later steps still know it.
        const was = memo !== undefined && Array.isArray(memo.result) ? (memo.result as Res[]) : [];
        for (let i = 0; i < out.length; i++) {
          const w = was[i];
          if (w !== undefined && sameRes(w, out[i]!)) out[i] = w;
          else markShared(out[i]!);
        }
      }
      rec.result = out;
      this.recordGenerations(rec);
      this.cache.subs.set(key, rec);
    }
    return out;
  }

  /**
   * The record's plan when its kustomization only lists directories and their objects went in
   * whole, in order (no field but resources/bases, no problem, one child build per entry).
   */
  private planOf(k: Kustomization, rec: SubBuild, out: Res[]): SubBuild['plan'] {
    if (this.cache === undefined || rec.problems.length > 0) return undefined;
    for (const key of Object.keys(k.raw)) if (!PLAN_FIELDS.has(key)) return undefined;
    const entries: string[] = [];
    for (const e of [...this.strings(k, 'resources'), ...this.strings(k, 'bases')]) {
      const p = joinPath(k.dir, e.value);
      if (p === null) return undefined;
      entries.push(p);
    }
    if (entries.length !== rec.children.length) return undefined;
    const lengths: number[] = [];
    const keys = entries.map((p) => subKey(p, this.restrict, this.maxBytes));
    let total = 0;
    for (let i = 0; i < entries.length; i++) {
      const child = rec.children[i]!;
      if (this.cache.subs.get(keys[i]!) !== child || !Array.isArray(child.result)) return undefined;
      lengths.push(child.result.length);
      total += child.result.length;
    }
    return total === out.length ? { entries, keys, lengths } : undefined;
  }

  /**
   * buildShared for a kustomization with a plan whose own answers (its file, its entries being
   * directories) still hold: the directories that did not change give their earlier results, the
   * others are built, and the result is all of them end to end, as accumulating would make it. Null
   * (nothing recorded) when that is not sure to be the same: an entry gives no objects any more, or
   * gives objects of other identities (duplicates would need checking).
   */
  private rebuildFromParts(memo: SubBuild, path: string, key: string, stack: string[]): Res[] | null {
    const plan = memo.plan!;
    const gen = this.rawFs.generation;
    if (gen === undefined || !Array.isArray(memo.result) || !this.ownAnswersHold(memo)) return null;
    const was = memo.result as Res[];
    const rec = newRecord();
    rec.reads = memo.reads.slice();
    rec.dirs = memo.dirs.slice();
    rec.lists = memo.lists.slice();
    rec.files = memo.files.slice();
    rec.visited = memo.visited.slice();
    const before = this.problems.length;
    const out: Res[] = [];
    let pos = 0;
    let same = true;
    this.recorders.push(rec);
    stack.push(path);
    try {
      for (let i = 0; i < plan.entries.length && same; i++) {
        const child = memo.children[i]!;
        let built: readonly Res[] | null | 'missing' | 'component';
        if (child.scope !== undefined && gen.call(this.rawFs, child.scope[0]) === child.scope[1] && this.cache!.subs.get(plan.keys[i]!) === child) {
          this.replayReads(child);
          for (const p of child.problems) this.problems.push(p as KustomizeProblem);
          built = child.result as Res[];
        } else {
          built = this.buildShared(plan.entries[i]!, stack);
        }
        const n = plan.lengths[i]!;
        if (!Array.isArray(built) || built.length !== n) same = false;
        else if (built !== child.result) for (let j = 0; j < n && same; j++) same = idKeyOf(built[j]!) === idKeyOf(was[pos + j]!);
        if (same) for (const r of built as Res[]) out.push(r);
        pos += n;
      }
    } finally {
      stack.pop();
      this.recorders.pop();
    }
    if (!same) {
      this.problems.length = before;
      return null;
    }
    this.current().children.push(rec);
    rec.problems = this.problems.slice(before);
    for (let i = 0; i < out.length; i++) {
      const w = was[i];
      if (w !== undefined && sameRes(w, out[i]!)) out[i] = w;
      else markShared(out[i]!);
    }
    if (!rec.problems.some((p) => p.code === 'cycle')) {
      rec.result = out;
      if (rec.problems.length === 0) rec.plan = plan;
      this.recordGenerations(rec);
      this.cache!.subs.set(key, rec);
    }
    return out;
  }

  /**
   * Notes the generation of the directory holding each path `m` looked at (a
   * listed directory: itself). A later render that sees the same generations
   * knows every answer is unchanged; where some differ, only the answers under
   * those directories are checked again.
   */
  private recordGenerations(m: SubBuild): void {
    const gen = this.rawFs.generation;
    if (gen === undefined) return;
    const index = new Map<string, number>();
    const gens: Array<[string, number]> = [];
    const cover = (d: string) => {
      let i = index.get(d);
      if (i === undefined) {
        index.set(d, (i = gens.length));
        gens.push([d, gen.call(this.rawFs, d)]);
      }
      return i;
    };
    // A file changes its directory's generation; a directory appearing or going away (or a listing changing) its own.
    const covers = { reads: m.reads.map(([p]) => cover(parentOf(p))), dirs: m.dirs.map(([p]) => cover(p)), lists: m.lists.map(([d]) => cover(d)) };
    // A negative generation: the file system could not answer everything (yet); only a full check may reuse this.
    if (gens.some(([, g]) => g < 0)) {
      m.gens = undefined;
      m.covers = undefined;
      m.scope = undefined;
      return;
    }
    m.gens = gens;
    m.covers = covers;
    // The innermost directory holding everything the record (children included) looked at: while
    // nothing below it changes, the record holds in one comparison (a base while an overlay changes).
    let scope: string | null = null;
    for (const [d] of gens) scope = scope === null ? d : commonDir(scope, d);
    for (const c of m.children) {
      if (c.scope === undefined) {
        scope = '';
        break;
      }
      scope = scope === null ? c.scope[0] : commonDir(scope, c.scope[0]);
    }
    m.scope = scope === null || scope === '' ? undefined : [scope, gen.call(this.rawFs, scope)];
  }

  /**
   * Whether the file system still gives every answer `m` recorded itself (its children's are theirs);
   * with `moved`, only answers whose directory's generation changed are asked again.
   */
  private ownAnswersHold(m: SubBuild, moved?: { covers: NonNullable<SubBuild['covers']>; changed: boolean[] }): boolean {
    for (let i = 0; i < m.reads.length; i++) {
      if (moved !== undefined && !moved.changed[moved.covers.reads[i]!]) continue;
      const [p, v] = m.reads[i]!;
      const now = this.rawFs.read(p);
      if (now !== v && (now === null || v === null || !now.equals(v))) return false;
    }
    for (let i = 0; i < m.dirs.length; i++) {
      if (moved !== undefined && !moved.changed[moved.covers.dirs[i]!]) continue;
      const [p, v] = m.dirs[i]!;
      if (this.rawFs.isDir(p) !== v) return false;
    }
    for (let i = 0; i < m.lists.length; i++) {
      if (moved !== undefined && !moved.changed[moved.covers.lists[i]!]) continue;
      const [d, v] = m.lists[i]!;
      const now = this.rawFs.list(d);
      if (now === null || v === null ? now !== v : now.length !== v.length || now.some((n, j) => n !== v[j])) return false;
    }
    return true;
  }

  private stillValid(m: SubBuild): boolean {
    const gen = this.rawFs.generation;
    if (m.scope !== undefined && gen !== undefined && gen.call(this.rawFs, m.scope[0]) === m.scope[1]) return true;
    let changed: boolean[] | null = null;
    if (m.gens !== undefined && m.covers !== undefined && gen !== undefined) {
      let any = false;
      changed = m.gens.map(([d, g]) => {
        const c = gen.call(this.rawFs, d) !== g;
        any ||= c;
        return c;
      });
      if (!any) return m.children.every((c) => this.stillValid(c));
    }
    if (!this.ownAnswersHold(m, changed === null ? undefined : { covers: m.covers!, changed })) return false;
    for (const c of m.children) if (!this.stillValid(c)) return false;
    // Something else in those directories changed: every answer still holds at these generations.
    if (m.gens !== undefined && gen !== undefined) {
      for (const e of m.gens) e[1] = gen.call(this.rawFs, e[0]);
      if (m.scope !== undefined) m.scope[1] = gen.call(this.rawFs, m.scope[0]);
      if (m.gens.some(([, g]) => g < 0) || (m.scope !== undefined && m.scope[1] < 0)) {
        m.gens = undefined;
        m.covers = undefined;
        m.scope = undefined;
      }
    }
    return true;
  }

  /** Parsed YAML through the shared cache; `mutable` results are private copies. */
  yaml(mode: YamlMode, content: string | Buffer, mutable: boolean): unknown[] {
    return parseYaml(this.cache, mode, content, mutable);
  }

  problem(file: string, field: string, message: string, code: KustomizeProblemCode): void {
    this.problems.push({ file, field, message, code });
  }

  /** Reads a file, recording it (present or not) in the dependency closure. */
  read(path: string): Buffer | null {
    this.addFile(path);
    return this.fs.read(path);
  }

  /** The kustomization in `dir`; 'missing' when there is none, null when it is unreadable. */
  loadKustomization(dir: string): Kustomization | 'missing' | null {
    // All three names are part of the closure: adding a second kustomization file changes the result.
    const found: Array<{ file: string; content: Buffer }> = [];
    for (const name of KUSTOMIZATION_FILE_NAMES) {
      const file = joinPath(dir, name)!;
      const content = this.read(file);
      if (content !== null) found.push({ file, content });
    }
    if (found.length === 0) return 'missing';
    const { file, content } = found[0]!;
    if (content.length > this.maxBytes) {
      this.problem(file, '', `${content.length} bytes, over the ${this.maxBytes} byte limit`, 'invalid');
      return null;
    }
    if (found.length > 1) {
      this.problem(file, '', `found several kustomization files in ${dir || '.'} (${found.map((f) => basename(f.file)).join(', ')}); kustomize refuses this, using ${basename(file)}`, 'conflict');
    }
    let docs: unknown[];
    try {
      // Kustomization files are read with kubectl's YAML rules (sigs.k8s.io/yaml), unlike resources.
      docs = this.yaml('kustomization', content, false).filter((d) => d !== null && d !== undefined);
    } catch (e) {
      this.problem(file, '', `not valid YAML: ${e instanceof YamlLoadError ? e.message : String(e)}`, 'invalid');
      return null;
    }
    if (docs.length > 1) this.problem(file, '', 'a kustomization file must hold one YAML document; using the first', 'invalid');
    const raw = docs[0] ?? {};
    if (!isObj(raw)) {
      this.problem(file, '', 'a kustomization must be a map', 'invalid');
      return null;
    }
    const kind = raw.kind ?? 'Kustomization';
    if (kind !== 'Kustomization' && kind !== 'Component') {
      this.problem(file, 'kind', `kind must be Kustomization or Component, not ${JSON.stringify(kind)}`, 'invalid');
      return null;
    }
    for (const key of Object.keys(raw)) {
      if (!KNOWN_FIELDS.has(key)) this.problem(file, key, `unknown kustomization field ${JSON.stringify(key)} (kustomize refuses it); ignored`, 'invalid');
    }
    return { dir, file, raw, kind };
  }

  // ---------------------------------------------------------------- fields

  strings(k: Kustomization, field: string): Array<{ value: string; field: string }> {
    const v = k.raw[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.problem(k.file, field, 'must be a list of strings', 'invalid');
      return [];
    }
    const out: Array<{ value: string; field: string }> = [];
    v.forEach((s, i) => {
      if (typeof s === 'string') out.push({ value: s, field: `${field}[${i}]` });
      else this.problem(k.file, `${field}[${i}]`, 'must be a string', 'invalid');
    });
    return out;
  }

  maps(k: Kustomization, field: string): Array<{ value: Obj; field: string }> {
    const v = k.raw[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.problem(k.file, field, 'must be a list', 'invalid');
      return [];
    }
    const out: Array<{ value: Obj; field: string }> = [];
    v.forEach((m, i) => {
      if (isObj(m)) out.push({ value: m, field: `${field}[${i}]` });
      else this.problem(k.file, `${field}[${i}]`, 'must be a map', 'invalid');
    });
    return out;
  }

  string(k: Kustomization, field: string): string {
    const v = k.raw[field];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      this.problem(k.file, field, 'must be a string', 'invalid');
      return '';
    }
    return v;
  }

  stringMap(k: Kustomization, field: string): Record<string, string> {
    return stringMap(k.raw[field], field, { problem: (f, m) => this.problem(k.file, f, m, 'invalid') }) ?? {};
  }

  /** A file named in a kustomization: inside the repository, inside the kustomization root unless restrictions are off. */
  readRelative(k: Kustomization, rel: string, field: string): Buffer | null {
    const path = joinPath(k.dir, rel);
    if (path === null) {
      if (looksRemote(rel)) this.problem(k.file, field, `${rel} is a remote file; the built-in renderer reads only the repository`, 'remote');
      else this.problem(k.file, field, `${rel} is outside the repository`, 'not-found');
      return null;
    }
    if (this.restrict && !isWithin(path, k.dir)) {
      this.problem(
        k.file,
        field,
        `${rel} is not in or below the kustomization directory ${k.dir || '.'} (kustomize's default load restrictions; Flux renders with them off)`,
        'restricted',
      );
      return null;
    }
    const content = this.read(path);
    if (content === null) {
      if (looksRemote(rel)) this.problem(k.file, field, `${rel} is a remote file; the built-in renderer reads only the repository`, 'remote');
      else this.problem(k.file, field, this.fs.isDir(path) ? `${rel} is a directory, not a file` : `${rel} does not exist`, 'not-found');
      return null;
    }
    if (content.length > this.maxBytes) {
      this.problem(k.file, field, `${rel} is ${content.length} bytes, over the ${this.maxBytes} byte limit`, 'invalid');
      return null;
    }
    return content;
  }

  // ------------------------------------------------------------ accumulate

  accumulate(k: Kustomization, stack: string[], ra: Res[]): Res[] {
    if (stack.includes(k.dir)) {
      this.problem(k.file, '', `cycle: ${[...stack, k.dir].map((d) => d || '.').join(' -> ')}`, 'cycle');
      return ra;
    }
    stack.push(k.dir);
    this.current().visited.push(k.dir);
    try {
      for (const key of Object.keys(UNSUPPORTED)) {
        const v = k.raw[key];
        if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(isObj(v) && Object.keys(v).length === 0)) {
          this.problem(k.file, key, UNSUPPORTED[key]!, 'unsupported');
        }
      }
      const seen: SeenIds = { keys: new Set(ra.map(idKeyOf)), lazy: null };
      for (const e of [...this.strings(k, 'resources'), ...this.strings(k, 'bases')]) this.addResource(k, e.value, e.field, ra, seen, stack);
      for (const e of this.strings(k, 'components')) this.addComponent(k, e.value, e.field, ra, stack);
      this.runGenerators(k, ra);
      this.runTransformers(k, ra);
    } finally {
      stack.pop();
    }
    return ra;
  }

  /**
   * Appends objects, refusing identities already present (kustomize's
   * "already registered id"). `seen` holds the identities of `ra`; it stays
   * valid while only appends happen (the resources phase of one kustomization).
   * The first list appended to an empty `ra` is taken whole when it holds no
   * duplicates (an overlay over one base: no identity is computed at all).
   */
  appendAll(ra: Res[], add: readonly Res[], seen: SeenIds, file: string, field: string): void {
    if (ra.length === 0 && seen.keys.size === 0 && seen.lazy === null && dupFree(add)) {
      for (const r of add) ra.push(r);
      seen.lazy = add;
      return;
    }
    if (seen.lazy !== null) {
      for (const r of seen.lazy) seen.keys.add(idKeyOf(r));
      seen.lazy = null;
    }
    for (const r of add) {
      const key = idKeyOf(r);
      if (seen.keys.has(key)) {
        this.problem(file, field, `${idString(currentId(r))} is defined more than once (kustomize refuses duplicate objects); the later one is dropped`, 'conflict');
        continue;
      }
      seen.keys.add(key);
      ra.push(r);
    }
  }

  addResource(k: Kustomization, entry: string, field: string, ra: Res[], seen: SeenIds, stack: string[]): void {
    const path = joinPath(k.dir, entry);
    const isDir = path !== null && this.fs.isDir(path);
    if (path === null || (!isDir && this.fs.read(path) === null)) {
      if (path !== null) this.addFile(path);
      if (looksRemote(entry)) {
        this.problem(k.file, field, `${entry} is a remote resource; the built-in renderer reads only the repository, so its objects are missing`, 'remote');
      } else {
        this.problem(k.file, field, path === null ? `${entry} is outside the repository` : `${entry} does not exist`, 'not-found');
      }
      return;
    }
    if (isDir) {
      const built = this.dirResource(k, entry, field, path, stack);
      if (built !== null) this.appendAll(ra, built, seen, k.file, field);
      return;
    }
    const content = this.readRelative(k, entry, field);
    if (content === null) return;
    this.appendAll(ra, this.parseResources(path, content, k, field), seen, k.file, field);
  }

  parseResources(path: string, content: Buffer, k: Kustomization | null, field: string): Res[] {
    const file = k?.file ?? path;
    let docs: unknown[];
    try {
      docs = this.yaml('resource', content, true);
    } catch (e) {
      this.problem(path, '', `not valid YAML: ${e instanceof YamlLoadError ? e.message : String(e)}`, 'invalid');
      return [];
    }
    const out: Res[] = [];
    const add = (doc: unknown, where: string) => {
      if (!isObj(doc)) {
        this.problem(path, where, 'is not an object (a YAML map)', 'invalid');
        return;
      }
      const apiVersion = str(doc.apiVersion);
      const kind = str(doc.kind);
      if (!kind) {
        this.problem(path, where, 'has no kind', 'invalid');
        return;
      }
      if (groupOfApiVersion(apiVersion) === 'kustomize.config.k8s.io') {
        this.problem(file, field, `${path} is a kustomization file, not a resource; list its directory instead`, 'invalid');
        return;
      }
      const md = doc.metadata;
      if (!isObj(md) || typeof md.name !== 'string' || md.name === '') {
        this.problem(path, where, `${kind} has no metadata.name`, 'invalid');
        return;
      }
      out.push(newRes(doc, path));
    };
    docs.forEach((doc, i) => {
      if (doc === null || doc === undefined) return;
      const where = docs.length > 1 ? `document ${i + 1}` : '';
      if (isObj(doc) && Array.isArray(doc.items) && typeof doc.kind === 'string' && doc.kind.endsWith('List') && !(isObj(doc.metadata) && doc.metadata.name)) {
        doc.items.forEach((item, j) => add(item, `${where ? `${where}, ` : ''}items[${j}]`));
        return;
      }
      add(doc, where);
    });
    return out;
  }

  addComponent(k: Kustomization, entry: string, field: string, ra: Res[], stack: string[]): void {
    const path = joinPath(k.dir, entry);
    if (path === null || !this.fs.isDir(path)) {
      if (path !== null) this.addFile(path);
      if (looksRemote(entry)) this.problem(k.file, field, `${entry} is a remote component; the built-in renderer reads only the repository`, 'remote');
      else this.problem(k.file, field, `${entry} is not a directory in the repository`, 'not-found');
      return;
    }
    const sub = this.loadKustomization(path);
    if (sub === 'missing') {
      this.problem(k.file, field, `${entry} has no kustomization file`, 'not-found');
      return;
    }
    if (sub === null) return;
    if (sub.kind !== 'Component') {
      this.problem(k.file, field, `${entry} is a Kustomization, not a Component (kind: Component); list it under resources`, 'invalid');
      return;
    }
    // A component works on what its parent has accumulated so far.
    ensureOwned(ra);
    this.accumulate(sub, stack, ra);
  }

  // ------------------------------------------------------------ generators

  runGenerators(k: Kustomization, ra: Res[]): void {
    const ctx: GeneratorContext = {
      file: k.file,
      readFile: (rel, field) => this.readRelative(k, rel, field),
      problem: (field, message, code = 'invalid') => this.problem(k.file, field, message, code),
    };
    const global = readGeneratorOptions(k.raw.generatorOptions, 'generatorOptions', ctx);
    for (const [field, kind] of [
      ['configMapGenerator', 'ConfigMap'],
      ['secretGenerator', 'Secret'],
    ] as const) {
      for (const e of this.maps(k, field)) {
        const g = generate(kind, e.value, e.field, global, ctx);
        if (g) addGenerated(ra, g, ctx);
      }
    }
  }

  // ---------------------------------------------------------- transformers

  /**
   * The kustomization's patches and transformers over `ra` (in place). With a
   * shared cache, an object this kustomization transformed before (the same
   * instance, from a reused directory build) takes its earlier output, and
   * only the others run through the transformers; see transformIncrementally.
   */
  runTransformers(k: Kustomization, ra: Res[]): void {
    if (!TRANSFORMER_FIELDS.some((f) => k.raw[f] !== undefined && k.raw[f] !== null)) return;
    // replacements copy values between objects: no object's output is its own.
    if (this.cache === undefined || (k.raw.replacements !== undefined && k.raw.replacements !== null)) {
      ensureOwned(ra);
      this.transform(k, ra);
      return;
    }
    try {
      this.transformIncrementally(k, ra, this.cache);
    } catch (e) {
      // A memo half brought up to date must not be used again.
      this.cache.transforms.delete(`${k.dir}\0${this.restrict}\0${this.maxBytes}`);
      throw e;
    }
  }

  /**
   * Every transformer acts on each object by itself, except for decisions on
   * the whole list (a patch by identity needs exactly one match; a replicas
   * entry with no match is a problem). The changed objects run through the
   * transformers with the unchanged ones counted through a MatchTrace; an
   * unchanged object's earlier output stands when every decision that
   * matched it comes out the same, else everything runs again.
   */
  private transformIncrementally(k: Kustomization, ra: Res[], cache: ParseCache): void {
    const key = `${k.dir}\0${this.restrict}\0${this.maxBytes}`;
    let memo: TransformMemo | undefined = cache.transforms.get(key);
    // A kustomization or patch file that changed invalidates the memo. Most objects usually come out
    // as before: when the steps changed only in patches that do not apply to an object (or image
    // rules for images it does not use), its earlier output stands; any other object that comes out
    // equal keeps its earlier output instance, so later steps still know it.
    let stale: TransformMemo | undefined;
    if (memo !== undefined && (memo.raw !== k.raw || !this.stillValid(memo.reads))) {
      stale = memo;
      memo = undefined;
    }
    let plan: TransformStep[];
    let reads: SubBuild;
    if (memo !== undefined) {
      // The same kustomization and patch files: the compiled steps stand; their files are still read.
      plan = memo.plan as TransformStep[];
      reads = memo.reads;
      this.replayReads(reads);
    } else {
      reads = newRecord();
      this.recorders.push(reads);
      try {
        plan = this.compile(k);
      } finally {
        this.recorders.pop();
      }
      this.current().children.push(reads);
    }
    const opIds = memo?.opIds ?? stale?.opIds ?? new Map<string, number[]>();
    const ops = memo !== undefined ? memo.ops : opsOf(plan, opIds);
    const delta = memo === undefined && stale !== undefined ? planDelta(stale.plan as TransformStep[], plan) : null;
    const hits: Array<TransformDone | undefined> = new Array(ra.length);
    const misses: Res[] = [];
    // The last run: this memo's, or the stale one's when its outputs can be judged object by object.
    const prior = memo ?? (delta !== null ? stale : undefined);
    // Objects at the same place as last time (same instance, remembered) need no lookup, and their
    // matches are already in last time's counts: only the other places change the counts. After a
    // change of steps, such an object keeps its earlier output when the change does not affect it.
    const lastIn = prior?.lastIn;
    const counted = prior !== undefined && prior.lastCounts !== undefined && lastIn !== undefined && lastIn.length === ra.length;
    // Last time's counts are brought up to date in place (the memo is dropped if anything below fails):
    // first without the objects that run again (what they match is `outside` them), then with them.
    const outside = counted ? prior!.lastCounts! : new Map<number, number>();
    const count = (d: TransformDone | undefined, by: number) => {
      if (d !== undefined) for (const op of d.ops) outside.set(op, (outside.get(op) ?? 0) + by);
    };
    const elsewhere: number[] = [];
    for (let i = 0; i < ra.length; i++) {
      const r = ra[i]!;
      if (lastIn !== undefined && lastIn[i] === r) {
        const d = prior!.lastDone[i];
        if (d !== undefined && (delta === null || unaffected(r, d, delta))) {
          hits[i] = d;
          if (!counted) count(d, 1);
          continue;
        }
      }
      if (counted) count(prior!.lastDone[i], -1);
      let d = memo?.out.get(r);
      if (d === undefined && delta !== null) {
        const was = stale!.out.get(r);
        if (was !== undefined && unaffected(r, was, delta)) d = was;
      }
      if (d === undefined) {
        misses.push(r);
        continue;
      }
      hits[i] = d;
      elsewhere.push(i);
      count(d, 1);
    }
    const hitCounts = outside;
    const work = misses.map(cloneRes);
    const decisions = new Map<number, boolean | null>();
    const matched = new Map<Res, { ops: number[]; applied: Array<boolean | null> }>();
    const tainted = new Set<Res>();
    const imageNames = new Map<Res, string[]>();
    let current = 0;
    const trace: MatchTrace = {
      next: () => current,
      outside: (op) => outside.get(op) ?? 0,
      record: (op, list, applied) => {
        decisions.set(op, applied);
        for (const r of list) {
          let m = matched.get(r);
          if (!m) matched.set(r, (m = { ops: [], applied: [] }));
          m.ops.push(op);
          m.applied.push(applied);
        }
      },
      taint: (r) => tainted.add(r),
    };
    const problemsBefore = this.problems.length;
    const sub = work.slice();
    this.apply(plan, sub, trace, (i, list) => {
      current = ops[i]!;
      // The image names an object had when the image rules ran: a later change of rules that names none of them leaves it alone.
      if ((plan[i] as RunStep).images) for (const r of list) imageNames.set(r, imageNamesOf(r.obj));
    });
    // An object at the same place had the decisions of last time: unless one of those changed, only the others need checking.
    const lastDecisions = prior?.lastDecisions;
    let changedDecision = !counted || lastDecisions === undefined || decisions.size !== lastDecisions.size;
    if (!changedDecision) for (const [op, v] of decisions) if (lastDecisions!.get(op) !== v) changedDecision = true;
    for (const d of changedDecision ? hits : elsewhere.map((i) => hits[i])) {
      if (d === undefined) continue;
      for (let i = 0; i < d.ops.length; i++) {
        const was = d.applied[i]!;
        if (was !== null && decisions.get(d.ops[i]!) !== was) {
          // A decision changed for an unchanged object: transform everything again, remember nothing.
          this.problems.length = problemsBefore;
          cache.transforms.delete(key);
          ensureOwned(ra);
          this.apply(plan, ra);
          return;
        }
      }
    }
    const hasImages = plan.some(isImagesStep);
    if (memo === undefined) {
      this.recordGenerations(reads);
      memo = { raw: k.raw, reads, plan, opIds, ops, out: new WeakMap(), lastIn: undefined, lastDone: [], lastCounts: undefined, lastDecisions: undefined };
      cache.transforms.set(key, memo);
    }
    const alive = sub.length === work.length ? null : new Set(sub);
    const input = ra.slice();
    const done: Array<TransformDone | undefined> = new Array(ra.length);
    // The outputs go into `ra` itself, in order: place `o` is written only after place `i` >= `o` was read.
    let o = 0;
    let w = 0;
    for (let i = 0; i < input.length; i++) {
      const d = hits[i];
      const r = input[i]!;
      if (d !== undefined) {
        done[i] = d;
        if (d.out !== null) ra[o++] = d.out as Res;
        continue;
      }
      const c = work[w++]!;
      const live = alive === null || alive.has(c);
      let res = c;
      if (live && stale !== undefined && !tainted.has(c)) {
        const before = prior === stale && lastIn?.[i] === r ? (stale.lastDone[i] ?? stale.out.get(r)) : stale.out.get(r);
        const was = before?.out as Res | null | undefined;
        if (was && sameRes(was, c)) res = was;
      }
      if (!tainted.has(c)) {
        const m = matched.get(c);
        // Without an images step, the names the step would see are those of the output.
        const names = hasImages ? (imageNames.get(c) ?? []) : live ? imageNamesOf(c.obj) : [];
        const t: TransformDone = { out: live ? markShared(res) : null, ops: m?.ops ?? [], applied: m?.applied ?? [], imageNames: names, imageKey: names.join('\0'), idNames: idNamesOf(r, live ? res : null) };
        memo.out.set(r, t);
        done[i] = t;
        for (const op of t.ops) hitCounts.set(op, (hitCounts.get(op) ?? 0) + 1);
      }
      if (live) ra[o++] = res;
    }
    ra.length = o;
    // A new memo knows every object of this run by instance, as the stale one did (later runs look
    // objects up by instance where the list changed shape; a miss would give them new output instances).
    if (stale !== undefined) for (let i = 0; i < input.length; i++) if (hits[i] !== undefined) memo.out.set(input[i]!, hits[i]!);
    memo.lastIn = input;
    memo.lastDone = done;
    memo.lastCounts = hitCounts;
    memo.lastDecisions = decisions;
  }

  /** A reused build or compiled plan: what it read is part of what the enclosing build (or the render) read. */
  private replayReads(m: SubBuild): void {
    this.current().children.push(m);
  }

  /** The kustomization's patches and transformers over `ra`, in place. */
  private transform(k: Kustomization, ra: Res[], trace?: MatchTrace): void {
    this.apply(this.compile(k), ra, trace);
  }

  /** Runs compiled steps: problems found while compiling come out at their place among the others. `before` sees each step first. */
  private apply(plan: TransformStep[], ra: Res[], trace?: MatchTrace, before?: (i: number, ra: Res[]) => void): void {
    for (let i = 0; i < plan.length; i++) {
      const step = plan[i]!;
      if ('problem' in step) {
        this.problems.push(step.problem);
        continue;
      }
      before?.(i, ra);
      // A patch without a target that names no object of this (partial) list, and that exactly one
      // object outside it matched, decides 'applied' and changes nothing here: what applySmpByIdentity
      // would do, without running it (a changed object meets every patch of the overlay).
      if (trace !== undefined && step.smpName !== undefined && !anyNamed(ra, step.smpName)) {
        const op = trace.next();
        if (trace.outside(op) === 1) {
          trace.record(op, NO_OBJECTS, true);
          continue;
        }
      }
      step.run(ra, trace, this);
    }
  }

  /**
   * The kustomization's transformer fields as steps (patch files read and
   * parsed, targets compiled, rules checked), in kustomize's order. A problem
   * met while compiling is a step of its own, so applying the plan reports
   * problems in the order a direct run would.
   */
  private compile(k: Kustomization): TransformStep[] {
    const steps: TransformStep[] = [];
    const mark = this.problems.length;
    // Steps may run in later renders (a memoized plan): they report to the renderer that runs them, never to `this`.
    const step = (sig: string, run: StepRun, meta: Pick<RunStep, 'smp' | 'smpName' | 'images'> = {}) => {
      for (const problem of this.problems.splice(mark)) steps.push({ problem });
      steps.push({ sig, run, ...meta });
    };
    const smp = (doc: Obj, field: string) => {
      // Parsed patch documents are shared per file content: their signature and matcher are computed once.
      let known = smpSteps.get(doc);
      if (known === undefined) smpSteps.set(doc, (known = { sig: `smp ${JSON.stringify(doc)}`, compiled: compileSmp(doc) }));
      const { compiled } = known;
      // (Only a patch with a kind and a name can match: smpName is set for those.)
      const smpName = compiled.id.kind && compiled.id.name ? compiled.id.name : undefined;
      step(known.sig, (ra, trace, r) => applySmpByIdentity(ra, doc, field, patchCtx(r, field), trace, compiled), { smp: compiled.applies, smpName });
    };
    const patchCtx = (r: Renderer, field: string) => ({
      problem: (f: string, message: string, code: KustomizeProblemCode = 'invalid') => r.problem(k.file, f || field, message, code),
    });

    // patchesStrategicMerge (deprecated): file paths or inline YAML.
    for (const e of this.strings(k, 'patchesStrategicMerge')) {
      const text = this.patchText(k, e.value, e.field);
      if (text === null) continue;
      const parsed = parsePatchText(text, (t) => this.yaml('resource', t, false));
      if (typeof parsed === 'string' || parsed.type !== 'smp') {
        this.problem(k.file, e.field, typeof parsed === 'string' ? parsed : 'patchesStrategicMerge entries must be strategic merge patches, not JSON patches', 'invalid');
        continue;
      }
      for (const doc of parsed.docs) smp(doc, e.field);
    }

    for (const e of this.maps(k, 'patches')) {
      const { value } = e;
      // The usual entry, a file path alone: the same file content at the same entry compiles to the
      // same steps, kept per content (an overlay's kustomization or one of its patch files changing
      // recompiles the others for nothing). The file is still read: the read is part of the closure.
      if (isPathOnly(value)) {
        const buf = this.readRelative(k, value.path as string, `${e.field}.path`);
        if (buf === null) continue;
        for (const problem of this.problems.splice(mark)) steps.push({ problem });
        const key = `${k.file}\0${e.field}\0${value.path as string}`;
        const known = compiledPatches.get(buf)?.get(key);
        if (known !== undefined) {
          for (const s of known) steps.push(s);
          continue;
        }
        const first = steps.length;
        const parsed = this.patchFile(k, buf, `${e.field}.path`);
        if (parsed === null) continue;
        if (parsed.type === 'json') {
          this.problem(k.file, e.field, 'a JSON 6902 patch needs a target', 'invalid');
          continue;
        }
        for (const doc of parsed.docs) smp(doc, e.field);
        if (this.problems.length === mark) {
          let byEntry = compiledPatches.get(buf);
          if (byEntry === undefined) compiledPatches.set(buf, (byEntry = new Map()));
          byEntry.set(key, steps.slice(first));
        }
        continue;
      }
      for (const key of Object.keys(value)) {
        if (!['path', 'patch', 'target', 'options'].includes(key)) this.problem(k.file, `${e.field}.${key}`, `unknown field ${JSON.stringify(key)}`, 'invalid');
      }
      const parsed = this.loadPatch(k, value, e.field);
      if (parsed === null) continue;
      const options = readPatchOptions(value.options, `${e.field}.options`, patchCtx(this, e.field));
      if (value.target === undefined || value.target === null) {
        if (parsed.type === 'json') {
          this.problem(k.file, e.field, 'a JSON 6902 patch needs a target', 'invalid');
          continue;
        }
        for (const doc of parsed.docs) smp(doc, e.field);
        continue;
      }
      if (parsed.type === 'smp' && parsed.docs.length > 1) {
        this.problem(k.file, e.field, 'several strategic merge patches in one entry cannot have a target (kustomize refuses it); split them', 'invalid');
        continue;
      }
      const target = compileTarget(value.target);
      if (typeof target === 'string') {
        this.problem(k.file, `${e.field}.target`, target, 'invalid');
        continue;
      }
      step(`patch ${JSON.stringify([parsed, value.target, options])}`, (ra, trace, r) => applyTargetedPatch(ra, parsed, target, options, e.field, patchCtx(r, e.field), trace));
    }

    const namespace = this.string(k, 'namespace');
    if (namespace) step(`namespace ${namespace}`, (ra) => applyNamespace(ra, namespace));
    const prefix = this.string(k, 'namePrefix');
    if (prefix) step(`prefix ${prefix}`, (ra) => applyPrefixSuffix(ra, prefix, ''));
    const suffix = this.string(k, 'nameSuffix');
    if (suffix) step(`suffix ${suffix}`, (ra) => applyPrefixSuffix(ra, '', suffix));

    for (const e of this.maps(k, 'labels')) {
      const entry = this.labelsEntry(k, e.value, e.field);
      if (entry) step(`labels ${JSON.stringify(entry)}`, (ra) => applyLabels(ra, entry));
    }
    const commonLabels = this.stringMap(k, 'commonLabels');
    if (Object.keys(commonLabels).length > 0) step(`commonLabels ${JSON.stringify(commonLabels)}`, (ra) => applyCommonLabels(ra, commonLabels));
    const commonAnnotations = this.stringMap(k, 'commonAnnotations');
    if (Object.keys(commonAnnotations).length > 0) step(`commonAnnotations ${JSON.stringify(commonAnnotations)}`, (ra) => applyAnnotations(ra, commonAnnotations));

    for (const e of this.maps(k, 'patchesJson6902')) {
      const { value } = e;
      const parsed = this.loadPatch(k, value, e.field);
      if (parsed === null) continue;
      if (parsed.type !== 'json') {
        this.problem(k.file, e.field, 'patchesJson6902 entries must be JSON 6902 patches (a list of operations)', 'invalid');
        continue;
      }
      const target = compileTarget(value.target);
      if (typeof target === 'string') {
        this.problem(k.file, `${e.field}.target`, target, 'invalid');
        continue;
      }
      step(`json6902 ${JSON.stringify([parsed, value.target])}`, (ra, trace, r) => applyTargetedPatch(ra, parsed, target, { allowNameChange: false, allowKindChange: false }, e.field, patchCtx(r, e.field), trace));
    }

    for (const e of this.maps(k, 'replicas')) {
      const { name, count } = e.value;
      if (typeof name !== 'string' || name === '' || typeof count !== 'number' || !Number.isInteger(count)) {
        this.problem(k.file, e.field, 'needs a name and an integer count', 'invalid');
        continue;
      }
      const field = e.field;
      step(`replicas ${name} ${count}`, (ra, trace, r) => {
        if (!applyReplicas(ra, name, count, trace)) {
          r.problem(k.file, field, `no Deployment, ReplicaSet, StatefulSet or ReplicationController named ${name}`, 'not-applied');
        }
      });
    }

    const images: ImageRule[] = [];
    for (const e of [...this.maps(k, 'images'), ...this.maps(k, 'imageTags')]) {
      const rule = this.imageRule(k, e.value, e.field);
      if (rule) images.push(rule);
    }
    if (images.length > 0) step(`images ${JSON.stringify(images)}`, (ra) => applyImages(ra, images), { images });

    const replacements = k.raw.replacements;
    if (replacements !== undefined && replacements !== null) {
      // Replacements read their source files while they run: never memoized (see runTransformers).
      step('replacements', (ra, _trace, r) =>
        applyReplacements(ra, replacements, {
          file: k.file,
          readFile: (rel, field) => r.readRelative(k, rel, field),
          parse: (text) => r.yaml('resource', text, false),
          problem: (field, message, code = 'invalid') => r.problem(k.file, field, message, code),
        }),
      );
    }
    for (const problem of this.problems.splice(mark)) steps.push({ problem });
    return steps;
  }

  patchText(k: Kustomization, entry: string, field: string): string | null {
    // A path when such a file exists (or the entry has no line break and looks like a path), else inline YAML.
    const path = joinPath(k.dir, entry);
    if (path !== null && !entry.includes('\n') && (this.fs.read(path) !== null || !/[:{]/.test(entry))) {
      const buf = this.readRelative(k, entry, field);
      return buf === null ? null : buf.toString('utf8');
    }
    return entry;
  }

  /** A patch file's content, parsed (once per content: patch files are read-only once parsed, targets get copies). */
  patchFile(k: Kustomization, buf: Buffer, field: string): ParsedPatch | null {
    let parsed = patchFiles.get(buf);
    if (parsed === undefined) {
      parsed = parsePatchText(buf.toString('utf8'), (t) => this.yaml('resource', t, false));
      patchFiles.set(buf, parsed);
    }
    if (typeof parsed === 'string') {
      this.problem(k.file, field, parsed, 'invalid');
      return null;
    }
    return parsed;
  }

  loadPatch(k: Kustomization, value: Obj, field: string): ParsedPatch | null {
    const hasPath = value.path !== undefined && value.path !== null;
    const hasPatch = value.patch !== undefined && value.patch !== null;
    if (hasPath === hasPatch) {
      this.problem(k.file, field, hasPath ? 'set either path or patch, not both' : 'needs a path or an inline patch', 'invalid');
      return null;
    }
    let text: string;
    if (hasPath) {
      if (typeof value.path !== 'string') {
        this.problem(k.file, `${field}.path`, 'must be a string', 'invalid');
        return null;
      }
      const buf = this.readRelative(k, value.path, `${field}.path`);
      return buf === null ? null : this.patchFile(k, buf, `${field}.path`);
    } else {
      if (typeof value.patch !== 'string') {
        this.problem(k.file, `${field}.patch`, 'must be a string (use a YAML block scalar: patch: |-)', 'invalid');
        return null;
      }
      text = value.patch;
    }
    const parsed = parsePatchText(text, (t) => this.yaml('resource', t, false));
    if (typeof parsed === 'string') {
      this.problem(k.file, hasPath ? `${field}.path` : `${field}.patch`, parsed, 'invalid');
      return null;
    }
    return parsed;
  }

  labelsEntry(k: Kustomization, v: Obj, field: string): LabelsEntry | null {
    for (const key of Object.keys(v)) {
      if (!['pairs', 'includeSelectors', 'includeTemplates', 'fields'].includes(key)) this.problem(k.file, `${field}.${key}`, `unknown field ${JSON.stringify(key)}`, 'invalid');
    }
    const pairs = stringMap(v.pairs, `${field}.pairs`, { problem: (f, m) => this.problem(k.file, f, m, 'invalid') }) ?? {};
    const fields: FieldSpec[] = [];
    if (Array.isArray(v.fields)) {
      v.fields.forEach((f, i) => {
        if (!isObj(f) || typeof f.path !== 'string') {
          this.problem(k.file, `${field}.fields[${i}]`, 'needs a path', 'invalid');
          return;
        }
        fields.push({
          path: f.path,
          create: f.create === true,
          ...(typeof f.kind === 'string' ? { kind: f.kind } : {}),
          ...(typeof f.group === 'string' ? { group: f.group } : {}),
          ...(typeof f.version === 'string' ? { version: f.version } : {}),
        });
      });
    }
    return { pairs, includeSelectors: v.includeSelectors === true, includeTemplates: v.includeTemplates === true, fields };
  }

  imageRule(k: Kustomization, v: Obj, field: string): ImageRule | null {
    const rule: ImageRule = { name: '' };
    for (const [key, val] of Object.entries(v)) {
      if (!['name', 'newName', 'newTag', 'digest'].includes(key)) {
        this.problem(k.file, `${field}.${key}`, `unknown field ${JSON.stringify(key)}`, 'invalid');
        continue;
      }
      if (typeof val !== 'string') {
        this.problem(k.file, `${field}.${key}`, `must be a string${typeof val === 'number' ? ' (quote it: 1.10 is the number 1.1 in YAML)' : ''}`, 'invalid');
        return null;
      }
      rule[key as keyof ImageRule] = val;
    }
    if (!rule.name) {
      this.problem(k.file, field, 'needs a name', 'invalid');
      return null;
    }
    return rule;
  }

  // -------------------------------------------------------------- Flux mode

  /** What Flux renders for a path without a kustomization: every manifest below it (sub-kustomizations as directories). */
  generateFromDir(dir: string, stack: string[]): Res[] {
    const ra: Res[] = [];
    const seen: SeenIds = { keys: new Set(), lazy: null };
    const walk = (d: string) => {
      // A listed directory is part of the closure as `dir/` (its tree, for the caller's cache key).
      this.addFile(d === '' ? '/' : `${d}/`);
      const names = (this.fs.list(d) ?? []).slice().sort();
      for (const name of names) {
        const path = joinPath(d, name)!;
        if (this.fs.isDir(path)) {
          if (name.startsWith('.')) continue;
          const sub = this.loadKustomization(path);
          if (sub === 'missing') walk(path);
          else if (sub !== null && sub.kind === 'Kustomization') this.appendAll(ra, this.accumulate(sub, stack, []), seen, path, '');
          continue;
        }
        if (!/\.(ya?ml|json)$/i.test(name)) continue;
        const content = this.read(path);
        if (content === null || content.length > this.maxBytes) continue;
        let docs: unknown[];
        try {
          docs = this.yaml('resource', content, false);
        } catch {
          continue;
        }
        const manifests = docs.some(
          (doc) => isObj(doc) && typeof doc.apiVersion === 'string' && typeof doc.kind === 'string' && groupOfApiVersion(doc.apiVersion) !== 'kustomize.config.k8s.io',
        );
        if (manifests) this.appendAll(ra, this.parseResources(path, content, null, ''), seen, path, '');
      }
    };
    walk(dir);
    return ra;
  }

  // ---------------------------------------------------------------- finish

  /** Hash suffixes, name references, metadata, order. `site` names the render (its entry) for what finishIncrementally keeps between renders. */
  finish(ra: Res[], sort: SortOptions, site: string): Record<string, unknown>[] {
    if (this.cache !== undefined) return this.finishIncrementally(ra, sort, this.cache, site);
    for (const r of ra) {
      const kind = kindOf(r);
      if (r.needsHash && (kind === 'ConfigMap' || kind === 'Secret')) {
        const suffix = contentHashSuffix(r.obj);
        storePrevious(r);
        setName(r, `${nameOf(r)}-${suffix}`);
      }
    }
    const nameProblems: Array<{ file: string; message: string }> = [];
    fixNameReferences(ra, nameProblems);
    for (const p of nameProblems) this.problem(p.file, '', p.message, 'conflict');
    const kept = finalizeMetadata(ra);
    return sortResources(kept, sort).map((r) => r.obj);
  }

  /**
   * finish() with a shared cache: hash suffixes are remembered per object, and
   * name references are fixed only for objects not finished before against
   * the same renamed objects (the only thing besides itself a referrer's
   * result depends on). The returned objects may be shared with the cache.
   */
  private finishIncrementally(input: Res[], sort: SortOptions, cache: ParseCache, site: string): Record<string, unknown>[] {
    const siteKey = `${site}\0${this.restrict}\0${this.maxBytes}`;
    // The last finish at this site: an object at the same place as then, whose name lookups
    // found the same renamed objects, is finished as then (no lookup of any memo).
    const last = cache.finishes.get(siteKey) as FinishState | undefined;
    cache.finishes.delete(siteKey);
    const n = input.length;
    const ra = input.slice();
    for (let i = 0; i < n; i++) {
      const r = ra[i]!;
      if (last !== undefined && last.raw[i] === r) {
        ra[i] = last.input[i]!;
        continue;
      }
      const kind = kindOf(r);
      if (!r.needsHash || (kind !== 'ConfigMap' && kind !== 'Secret')) continue;
      let h = cache.hashed.get(r) as Res | undefined;
      if (h === undefined) {
        h = cloneRes(r);
        const suffix = contentHashSuffix(h.obj);
        storePrevious(h);
        setName(h, `${nameOf(h)}-${suffix}`);
        cache.hashed.set(r, markShared(h));
      }
      ra[i] = h;
    }
    const hashed = ra.slice();
    // The places whose object differs from last time's (all of them without a comparable last time).
    let moved: number[] | null = null;
    if (last !== undefined && last.input.length === n) {
      moved = [];
      for (let i = 0; i < n; i++) if (last.input[i] !== ra[i]) moved.push(i);
    }
    const { index, changed } = renamedIndex(cache, siteKey, ra, moved);
    const keys: string[] = new Array(n);
    const lookups: Array<readonly string[]> = new Array(n);
    const outs: Array<Res | null | undefined> = new Array(n);
    const only = new Set<Res>();
    const before = new Map<Res, number>();
    for (let i = 0; i < n; i++) {
      const r = ra[i]!;
      if (last !== undefined && changed !== 'all' && last.input[i] === r && !lookedUpAny(last.lookups[i]!, changed)) {
        keys[i] = last.keys[i]!;
        lookups[i] = last.lookups[i]!;
        outs[i] = last.outs[i];
        continue;
      }
      const ref = referrerKey(r, index);
      keys[i] = ref.key;
      lookups[i] = ref.lookups;
      const f = cache.finished.get(r);
      if (f !== undefined && f.key === ref.key) {
        outs[i] = f.out as Res | null;
        continue;
      }
      const c = cloneRes(r);
      before.set(c, i);
      only.add(c);
      ra[i] = c;
    }
    let nameProblems: Array<{ file: string; message: string }> = [];
    if (only.size > 0) {
      // The renamed objects the referrers' lookups found are all fixing can use: fix against those only.
      const found = new Set<Res>();
      for (const i of before.values()) for (const name of lookups[i]!) for (const e of index.get(name) ?? []) found.add(e.res);
      fixNameReferences([...found, ...only], nameProblems, only);
      if (nameProblems.length > 0) {
        // Ambiguous references: fix again over the whole list, for problems worded and ordered as a full run has them.
        nameProblems = [];
        for (const [c, i] of [...before]) {
          const again = cloneRes(hashed[i]!);
          before.delete(c);
          only.delete(c);
          before.set(again, i);
          only.add(again);
          ra[i] = again;
        }
        fixNameReferences(ra, nameProblems, only);
      }
    }
    for (const p of nameProblems) this.problem(p.file, '', p.message, 'conflict');
    for (const [c, i] of before) {
      const f = finalizeMetadata([c])[0] ?? null;
      outs[i] = f === null ? null : markShared(f);
      // A run with ambiguous references remembers nothing (its problems are not per object).
      if (nameProblems.length === 0) cache.finished.set(hashed[i]!, { key: keys[i]!, out: outs[i] });
    }
    const kept: Res[] = [];
    for (const f of outs) if (f !== null && f !== undefined) kept.push(f);
    const order = sortedOrder(kept, sort, last);
    if (nameProblems.length === 0) cache.finishes.set(siteKey, { raw: input, input: hashed, keys, lookups, outs, kept, order, sort: sortString(sort) });
    return order.map((j) => kept[j]!.obj);
  }

  sortOptions(k: Kustomization | null): SortOptions {
    const raw = k?.raw.sortOptions;
    if (raw === undefined || raw === null) return LEGACY_ORDER;
    if (!isObj(raw) || (raw.order !== 'legacy' && raw.order !== 'fifo')) {
      this.problem(k!.file, 'sortOptions', 'order must be legacy or fifo', 'invalid');
      return LEGACY_ORDER;
    }
    const legacy = isObj(raw.legacySortOptions) ? raw.legacySortOptions : {};
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined);
    return { order: raw.order, orderFirst: list(legacy.orderFirst), orderLast: list(legacy.orderLast) };
  }
}

/**
 * Renders the kustomization in `entryDir` like `kustomize build` (v5): the
 * objects, every file the result depends on, and the problems met. It never
 * throws; a feature it cannot render is a problem, and the rest is rendered.
 */
export function renderKustomization(entryDir: string, fs: KustomizeFs, opts: RenderOptions = {}): RenderResult {
  const r = new Renderer(fs, opts);
  let objects: Record<string, unknown>[] = [];
  const dir = normalizePath(entryDir);
  try {
    if (dir === null) {
      r.problem(entryDir, '', 'the entry directory is outside the repository', 'not-found');
    } else {
      const k = r.loadKustomization(dir);
      if (k === 'missing') {
        if (opts.missingKustomization === 'generate' && fs.isDir(dir)) {
          objects = r.finish(r.generateFromDir(dir, []), LEGACY_ORDER, `generate:${dir}`);
        } else {
          r.problem(dir, '', fs.isDir(dir) ? `no kustomization file in ${dir || '.'}` : `${dir || '.'} is not a directory`, 'not-found');
        }
      } else if (k !== null) {
        if (k.kind === 'Component') {
          r.problem(k.file, 'kind', 'a Component cannot be built on its own; include it from a Kustomization', 'invalid');
        } else {
          const ra = r.accumulate(k, [], []);
          objects = r.finish(ra, r.sortOptions(k), dir);
        }
      }
    }
  } catch (e) {
    // Safety net: hostile input must never take the caller down.
    r.problem(entryDir, '', `internal error while rendering: ${e instanceof Error ? e.message : String(e)}`, 'invalid');
    objects = [];
  }
  return { objects, files: r.closure(dir ?? entryDir), problems: r.problems };
}

/** Parsed patch files by content Buffer (a Git blob cache hands out one Buffer per blob). */
const patchFiles = new WeakMap<Buffer, ParsedPatch | string>();

/** Compiled steps of `patches` entries that are a path alone, by file content and kustomization file, entry and path (see Renderer.compile). */
const compiledPatches = new WeakMap<Buffer, Map<string, TransformStep[]>>();

/** A `patches` entry with a string `path` and nothing else. */
function isPathOnly(value: Obj): boolean {
  if (typeof value.path !== 'string') return false;
  let keys = 0;
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) keys++;
  return keys === 1;
}

/** Fields whose presence makes runTransformers do something. */
const TRANSFORMER_FIELDS = [
  'patchesStrategicMerge',
  'patches',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'labels',
  'commonLabels',
  'commonAnnotations',
  'patchesJson6902',
  'replicas',
  'images',
  'imageTags',
  'replacements',
] as const;


/**
 * The objects that can be referred to by an old name (renamed objects of the
 * kinds fixNameReferences knows), by each earlier name. Kept per render site
 * between renders and updated where the list changed (usually one object of
 * many), so it costs a pointer comparison per object.
 */
function renamedIndex(cache: ParseCache, site: string, ra: Res[], moved: number[] | null): { index: Map<string, Renamed[]>; changed: Set<string> | 'all' } {
  const entryAt = (r: Res) => (r.prev.length > 0 && NAME_REF_KINDS.has(kindOf(r)) ? renamedEntry(r) : null);
  const st = cache.renamed.get(site);
  if (st !== undefined && moved !== null && st.entries.length === ra.length) {
    // Only the places that hold another object than last time can change the index.
    const changed = new Set<string>();
    for (const i of moved) {
      const was = st.entries[i]!;
      const e = entryAt(ra[i]!);
      if (e === was) continue;
      if (was !== null) {
        indexRenamed(st.index, was, false);
        for (const x of was.prevNames) changed.add(x);
      }
      if (e !== null) {
        indexRenamed(st.index, e, true);
        for (const x of e.prevNames) changed.add(x);
      }
      st.entries[i] = e;
    }
    return { index: st.index, changed };
  }
  const index = new Map<string, Renamed[]>();
  const entries = ra.map(entryAt);
  for (const e of entries) if (e !== null) indexRenamed(index, e, true);
  cache.renamed.set(site, { entries, index });
  return { index, changed: 'all' };
}

function renamedEntry(r: Res): Renamed {
  // Shared instances never change: their entry is computed once.
  let e = renamedEntries.get(r);
  if (e === undefined) {
    const names: string[] = [];
    for (const id of r.prev) if (!names.includes(id.name)) names.push(id.name);
    e = { res: r, part: JSON.stringify([r.obj.apiVersion, kindOf(r), nameOf(r), namespaceOf(r), r.prev, r.prefixes, r.suffixes]), name: nameOf(r), prevNames: names };
    if (isShared(r)) renamedEntries.set(r, e);
  }
  return e;
}

function indexRenamed(index: Map<string, Renamed[]>, e: Renamed, add: boolean): void {
  for (const name of e.prevNames) {
    const l = index.get(name);
    if (add) {
      if (l === undefined) index.set(name, [e]);
      else l.push(e);
      continue;
    }
    const i = l?.indexOf(e) ?? -1;
    if (i < 0) continue;
    l!.splice(i, 1);
    if (l!.length === 0) index.delete(name);
  }
}

const renamedEntries = new WeakMap<Res, Renamed>();

/**
 * Everything fixing the references of `r` reads from other objects, as one
 * string: equal keys fix `r` the same way. Its references can only resolve to
 * renamed objects one of whose earlier names it mentions; a later rule may see
 * the name an earlier one wrote, so their current names are followed too.
 * Most objects mention no renamed object: their key is '' and stays so while
 * other objects change. `lookups`: every name looked up (the key can change
 * only when the renamed objects under one of them do).
 */
function referrerKey(r: Res, index: Map<string, Renamed[]>): { key: string; lookups: readonly string[] } {
  let names = refNames.get(r);
  if (names === undefined) {
    names = referencedNames(r);
    if (isShared(r)) refNames.set(r, names);
  }
  if (names.length === 0) return NO_REFERENCES;
  const queue = names.slice();
  const parts: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    for (const c of index.get(queue[i]!) ?? []) {
      if (parts.includes(c.part)) continue;
      parts.push(c.part);
      if (!queue.includes(c.name)) queue.push(c.name);
    }
  }
  return { key: parts.length <= 1 ? (parts[0] ?? '') : parts.sort().join('\n'), lookups: queue };
}

const NO_REFERENCES = { key: '', lookups: [] as readonly string[] };

const refNames = new WeakMap<Res, string[]>();


/** The identities appended so far in a resources phase (Renderer.appendAll); `lazy`: a list whose keys are not in `keys` yet. */
interface SeenIds {
  keys: Set<string>;
  lazy: readonly Res[] | null;
}

const idKeys = new WeakMap<Res, string>();

/** idKey(currentId(r)), remembered for shared instances (they never change). */
function idKeyOf(r: Res): string {
  let k = idKeys.get(r);
  if (k === undefined) {
    k = idKey(currentId(r));
    if (isShared(r)) idKeys.set(r, k);
  }
  return k;
}

const dupFreeLists = new WeakMap<readonly Res[], boolean>();

/** No two objects of `list` have the same identity (remembered per list: directory builds hand out one shared list). */
function dupFree(list: readonly Res[]): boolean {
  let v = dupFreeLists.get(list);
  if (v === undefined) {
    const keys = new Set<string>();
    for (const r of list) keys.add(idKeyOf(r));
    v = keys.size === list.length;
    dupFreeLists.set(list, v);
  }
  return v;
}

/** One compiled transformer step, or a problem met while compiling (reported when the plan runs). */
type TransformStep = { problem: KustomizeProblem } | RunStep;
interface RunStep {
  /** What the step does, as a string: equal strings, equal effect on equal objects. */
  sig: string;
  run: StepRun;
  /** A strategic merge patch without a target: which objects it applies to (it never changes an identity). */
  smp?: (r: Res) => boolean;
  /** The name it applies to (an object it applies to has it as its current or an earlier name); unset when it has no kind or name (it applies to nothing). */
  smpName?: string;
  /** The images step: its rules. */
  images?: ImageRule[];
}
/** A compiled step: `r` is the renderer running it (problems and reads go there). */
type StepRun = (ra: Res[], trace: MatchTrace | undefined, r: Renderer) => void;

/** A stable decision-point number per step (its signature and occurrence), shared by the memos of one kustomization over time. */
function opsOf(plan: TransformStep[], ids: Map<string, number[]>): number[] {
  const seen = new Map<string, number>();
  let next = 0;
  for (const l of ids.values()) next += l.length;
  return plan.map((step) => {
    if (!('run' in step)) return -1;
    const n = seen.get(step.sig) ?? 0;
    seen.set(step.sig, n + 1);
    let l = ids.get(step.sig);
    if (l === undefined) ids.set(step.sig, (l = []));
    while (l.length <= n) l.push(next++);
    return l[n]!;
  });
}

/** How a kustomization's steps changed, when an object's earlier output can still be judged object by object. */
interface PlanDelta {
  /** Strategic merge patches (without a target) added, removed or changed: an object any of them applies to transforms again. */
  smp: Array<(r: Res) => boolean>;
  /** Their names: an object with none of them (current or earlier) is affected by none of them. */
  smpNames: Set<string>;
  /** The image rules before and after, when they changed. */
  images: { before: ImageRule[]; after: ImageRule[]; judged: Map<string, boolean> } | null;
}

/**
 * Null unless every other step is the same and in the same order, and every
 * strategic merge patch without a target comes first (so it sees the objects
 * as they came in: such patches never change identities).
 */
function planDelta(before: TransformStep[], after: TransformStep[]): PlanDelta | null {
  const runs = (p: TransformStep[]) => p.filter((s): s is RunStep => 'run' in s);
  const a = runs(before);
  const b = runs(after);
  const others = (l: RunStep[]) => l.filter((s) => !s.smp && !s.images).map((s) => s.sig);
  const oa = others(a);
  const ob = others(b);
  if (oa.length !== ob.length || oa.some((sig, i) => sig !== ob[i])) return null;
  const smpFirst = (l: RunStep[]) => {
    const firstOther = l.findIndex((s) => !s.smp);
    return firstOther < 0 || l.slice(firstOther).every((s) => !s.smp);
  };
  if (!smpFirst(a) || !smpFirst(b)) return null;
  const counts = (l: RunStep[]) => {
    const m = new Map<string, number>();
    for (const s of l) if (s.smp) m.set(s.sig, (m.get(s.sig) ?? 0) + 1);
    return m;
  };
  const ca = counts(a);
  const cb = counts(b);
  const smp: Array<(r: Res) => boolean> = [];
  const smpNames = new Set<string>();
  for (const s of [...a, ...b]) {
    if (!s.smp || ca.get(s.sig) === cb.get(s.sig)) continue;
    smp.push(s.smp);
    if (s.smpName !== undefined) smpNames.add(s.smpName);
  }
  // The patches both have must keep their order (two of them may apply to one object).
  const common = (l: RunStep[]) => l.filter((s) => s.smp && ca.get(s.sig) === cb.get(s.sig)).map((s) => s.sig);
  const pa = common(a);
  const pb = common(b);
  if (pa.length !== pb.length || pa.some((sig, i) => sig !== pb[i])) return null;
  const ia = a.find((s) => s.images)?.images ?? [];
  const ib = b.find((s) => s.images)?.images ?? [];
  return { smp, smpNames, images: JSON.stringify(ia) === JSON.stringify(ib) ? null : { before: ia, after: ib, judged: new Map() } };
}

/** Whether an object's earlier output (`done`, from before the steps changed by `delta`) stands. */
function unaffected(r: Res, done: TransformDone, delta: PlanDelta): boolean {
  const out = done.out as Res | null;
  // Its identities as it came in, and as it went out (in case an unchanged patch changed a kind).
  if (delta.smp.length > 0 && mentionsAny(done, r, delta.smpNames)) {
    for (const applies of delta.smp) if (applies(r) || (out !== null && applies(out))) return false;
  }
  if (delta.images !== null) {
    const names = done.imageNames;
    if (names === undefined) return false;
    // No image names (most objects): no rule reaches it, before or after.
    if (names.length === 0) return true;
    // Objects share image names: each set of names is judged once per change.
    const key = done.imageKey ?? names.join('\0');
    let same = delta.images.judged.get(key);
    if (same === undefined) {
      same = JSON.stringify(rulesFor(delta.images.before, names)) === JSON.stringify(rulesFor(delta.images.after, names));
      delta.images.judged.set(key, same);
    }
    if (!same) return false;
  }
  return true;
}

/** Whether any object of the list has `name` as its current or an earlier name. */
function anyNamed(list: readonly Res[], name: string): boolean {
  for (const r of list) {
    if (nameOf(r) === name) return true;
    for (const p of r.prev) if (p.name === name) return true;
  }
  return false;
}

const NO_OBJECTS: readonly Res[] = [];

/** Every name of `r` and `out`, current and earlier, without repeats. */
function idNamesOf(r: Res, out: Res | null): string[] {
  const names = [nameOf(r)];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  for (const p of r.prev) add(p.name);
  if (out !== null) {
    add(nameOf(out));
    for (const p of out.prev) add(p.name);
  }
  return names;
}

/** Whether the object (`r`, transformed as `done` says) had any of `names`, coming in or going out. */
function mentionsAny(done: TransformDone, r: Res, names: ReadonlySet<string>): boolean {
  const known = done.idNames ?? idNamesOf(r, done.out as Res | null);
  for (const n of known) if (names.has(n)) return true;
  return false;
}

/** Whether any of these names is in `changed` (a plain loop: this runs for every object of every render). */
function lookedUpAny(names: readonly string[], changed: ReadonlySet<string>): boolean {
  if (changed.size === 0) return false;
  for (let i = 0; i < names.length; i++) if (changed.has(names[i]!)) return true;
  return false;
}

/** What one finish at a render site produced (Renderer.finishIncrementally), for the next one there. */
interface FinishState {
  /** The objects as they came in, after hash suffixes, the name-reference keys and lookups, and the outputs (null: dropped). */
  raw: Res[];
  input: Res[];
  keys: string[];
  lookups: Array<readonly string[]>;
  outs: Array<Res | null | undefined>;
  /** The kept outputs and their sorted order, under these sort options. */
  kept: Res[];
  order: number[];
  sort: string;
}

/** Everything sortResources compares. */
/** Objects with another identity than last time that are put back in place rather than everything sorted again. */
const RESORT_AT_MOST = 8;

function sortKeyOf(r: Res): string {
  return JSON.stringify([r.obj.apiVersion, r.obj.kind, namespaceOf(r), nameOf(r)]);
}

/**
 * The order sortResources gives `kept`, as indexes. The order depends only on
 * identities, so when every object has the identity of the one at its place
 * last time (the same instance, or an equal id), the last order stands.
 */
function sortedOrder(kept: Res[], sort: SortOptions, last: FinishState | undefined): number[] {
  if (last !== undefined && last.kept.length === kept.length && last.sort === sortString(sort)) {
    // A few objects with another identity (a generated ConfigMap's new name): only those move.
    const changed: number[] = [];
    for (let i = 0; i < kept.length && changed.length <= RESORT_AT_MOST; i++) {
      const a = kept[i]!;
      const b = last.kept[i]!;
      if (a !== b && sortKeyOf(a) !== sortKeyOf(b)) changed.push(i);
    }
    if (changed.length === 0) return last.order;
    if (changed.length <= RESORT_AT_MOST) return resortChanged(last.order, kept, changed, sort);
  }
  const position = new Map<Res, number>();
  kept.forEach((r, i) => position.set(r, i));
  return sortResources(kept, sort).map((r) => position.get(r)!);
}

const smpSteps = new WeakMap<Obj, { sig: string; compiled: ReturnType<typeof compileSmp> }>();

const parents = new Map<string, string>();

/** dirname(), remembered (a render records the same few hundred paths again and again). */
function parentOf(path: string): string {
  let d = parents.get(path);
  if (d === undefined) {
    d = dirname(path);
    if (parents.size > 100_000) parents.clear();
    parents.set(path, d);
  }
  return d;
}

const sortStrings = new WeakMap<SortOptions, string>();
const LEGACY_ORDER: SortOptions = Object.freeze({ order: 'legacy' });

function sortString(sort: SortOptions): string {
  let v = sortStrings.get(sort);
  if (v === undefined) sortStrings.set(sort, (v = JSON.stringify(sort)));
  return v;
}

/** Kustomization fields a plan allows (see Renderer.planOf). */
const PLAN_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'resources', 'bases']);

function subKey(path: string, restrict: boolean, maxBytes: number): string {
  return `${path}\0${restrict}\0${maxBytes}`;
}

function newRecord(): SubBuild {
  return { reads: [], dirs: [], lists: [], files: [], visited: [], children: [], problems: [], result: null };
}

const visitedSets = new WeakMap<SubBuild, Set<string>>();

/** The kustomization directories a record (and the records inside it) accumulated; records never change once built. */
function visitedBy(m: SubBuild): Set<string> {
  let v = visitedSets.get(m);
  if (v === undefined) {
    v = new Set(m.visited);
    for (const c of m.children) for (const d of visitedBy(c)) v.add(d);
    visitedSets.set(m, v);
  }
  return v;
}

const recordFiles = new WeakMap<SubBuild, string[]>();

/** Whether two records list the same paths in the same order (filesOf equal), comparing shared sub-records by identity. */
function sameReadPaths(a: SubBuild, b: SubBuild): boolean {
  if (a === b) return true;
  const fa = a.files;
  const fb = b.files;
  if (fa.length !== fb.length || a.children.length !== b.children.length) return false;
  for (let i = 0; i < fa.length; i++) if (fa[i] !== fb[i]) return false;
  for (let i = 0; i < a.children.length; i++) if (!sameReadPaths(a.children[i]!, b.children[i]!)) return false;
  return true;
}

/** Every closure path a finished record holds, its children's included (in reading order, repeats kept). */
function filesOf(m: SubBuild): string[] {
  let v = recordFiles.get(m);
  if (v === undefined) {
    v = m.files.slice();
    for (const c of m.children) for (const f of filesOf(c)) v.push(f);
    recordFiles.set(m, v);
  }
  return v;
}

/** The innermost directory containing both (possibly '', the root). */
function commonDir(a: string, b: string): string {
  while (!isWithin(b, a)) a = a === '' ? '' : dirname(a);
  return a;
}

const isImagesStep = (s: TransformStep) => 'run' in s && s.images !== undefined;
