import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { canonicalJson, sha256Hex } from '../core/canonical';
import { identityKey, type ObjectIdentity } from '../core/identity';
import {
  createKustomizeCache,
  deepEqual,
  findKustomizeEntryPoints,
  KUSTOMIZATION_FILE_NAMES,
  renderKustomization,
  type KustomizeEntryPoint,
  type KustomizeProblem,
} from '../core/kustomize';
import { isBuiltinClusterScoped, loadYamlDocuments, parseManifestFile } from '../core/manifests';
import { redactObject, type SensitiveRules } from '../core/redact';
import type { FileChange } from './reader/log-stream';
import type { BlobContents, RepoTree } from './reader/repo-tree';
import { fluxSubstitute } from '../core/kustomize/flux-substitute';

/** How one entry directory of an environment is rendered. */
export interface EntrySpec {
  /** Repository-relative directory ('' = root). */
  dir: string;
  /** Where the entry came from: the environment's `entries`, or a Flux Kustomization / Argo CD Application (render: auto). */
  source: 'config' | 'flux' | 'argocd';
  renderer: 'builtin' | 'binary';
  loadRestrictions: 'rootOnly' | 'none';
  missingKustomization: 'problem' | 'generate';
  /** Flux spec.targetNamespace, set on every namespaced object. */
  targetNamespace?: string;
  /** Flux spec.postBuild.substitute: variables substituted in the rendered objects. */
  substitute?: Record<string, string>;
  /** Problems of the object that named this entry (settings Driftline does not apply). */
  refProblems?: KustomizeProblem[];
}

export interface RenderedObject {
  key: string;
  identity: ObjectIdentity;
  hash: string;
}

/** One render of an entry at one tree. */
export interface EntryOutput {
  /** The dependency closure: every path the render read or looked for (RenderResult.files). */
  closure: string[];
  problems: KustomizeProblem[];
  /** The desired objects (identity, redacted document hash); meaningful when there are no problems. */
  objects: RenderedObject[];
  /** Entry points named by rendered Flux Kustomizations / Argo CD Applications (render: auto follows them). */
  refs: EntrySpec[];
}

export interface EntryRendererOptions {
  tree: RepoTree;
  blobs: BlobContents;
  /** Blobs larger than the repository's maxFileSize are not read. */
  maxFileBytes: number;
  /** For render(): what turns rendered objects into desired objects (render workers only renderRaw). */
  desired?: DesiredObjects;
}

export interface DesiredObjectsOptions {
  installKey: Buffer;
  sensitive?: SensitiveRules;
  /** Output objects larger than the repository's maxFileSize are refused like files are. */
  maxFileBytes: number;
}

const FLUX_APPLIED = new Set(['targetNamespace']);

const KUSTOMIZATION_NAMES = new Set<string>(KUSTOMIZATION_FILE_NAMES);

/**
 * The new blobs among these commits' changes that renders will probably read: kustomization files,
 * and files `read` names (in a closure, or matched by a rendering environment). Loaded in one go
 * (EntryRenderer.prefetch), they save a round trip to git per render.
 */
export function blobsToPrefetch(commits: Iterable<readonly FileChange[]>, read: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const files of commits) {
    for (const fc of files) {
      if (!fc.newBlob || fc.status === 'D' || fc.newMode === '160000') continue;
      if (KUSTOMIZATION_NAMES.has(fc.path.slice(fc.path.lastIndexOf('/') + 1)) || read(fc.path)) out.push(fc.newBlob);
    }
  }
  return out;
}

const specKeys = new WeakMap<EntrySpec, string>();

/** A string equal for specs that render alike (cached per spec object: the indexer compares them per entry per commit). */
export function specKey(s: EntrySpec): string {
  let k = specKeys.get(s);
  if (k === undefined) specKeys.set(s, (k = computeSpecKey(s)));
  return k;
}

function computeSpecKey(s: EntrySpec): string {
  return JSON.stringify([s.dir, s.source, s.renderer, s.loadRestrictions, s.missingKustomization, s.targetNamespace ?? null, s.substitute ?? null, s.refProblems ?? []]);
}

/** The entry a Flux Kustomization or Argo CD Application names, rendered as that tool would (within what the built-in renderer does). */
export function specFromEntryPoint(ep: KustomizeEntryPoint, file: string, renderer: EntrySpec['renderer']): EntrySpec {
  const refProblems: KustomizeProblem[] = [];
  const o = ep.overrides ?? {};
  if (ep.tool === 'flux') {
    let substitute: Record<string, string> | undefined;
    for (const k of Object.keys(o).sort()) {
      if (FLUX_APPLIED.has(k)) continue;
      if (k === 'postBuild' && o.postBuild && typeof o.postBuild === 'object' && !Array.isArray(o.postBuild)) {
        // Inline variables are applied; substituteFrom reads ConfigMaps and Secrets from the cluster, which Git does not hold.
        const pb = o.postBuild as { substitute?: unknown; substituteFrom?: unknown };
        if (pb.substitute && typeof pb.substitute === 'object' && !Array.isArray(pb.substitute)) {
          substitute = Object.fromEntries(Object.entries(pb.substitute as Record<string, unknown>).map(([name, v]) => [name, typeof v === 'string' ? v : JSON.stringify(v)]));
        }
        if (Array.isArray(pb.substituteFrom) && pb.substituteFrom.length) {
          refProblems.push({
            file,
            field: 'spec.postBuild.substituteFrom',
            message: `Flux Kustomization ${ep.namespace ? `${ep.namespace}/` : ''}${ep.name} takes variables from ConfigMaps/Secrets in the cluster (substituteFrom), which Driftline cannot read from Git; only spec.postBuild.substitute is applied`,
            code: 'unsupported',
          });
        }
        continue;
      }
      refProblems.push({
        file,
        field: `spec.${k}`,
        message: `Flux Kustomization ${ep.namespace ? `${ep.namespace}/` : ''}${ep.name} sets spec.${k}, which Driftline does not apply when rendering ${ep.path || '.'}`,
        code: 'unsupported',
      });
    }
    const tn = typeof o.targetNamespace === 'string' && o.targetNamespace ? o.targetNamespace : undefined;
    return {
      dir: ep.path,
      source: 'flux',
      renderer,
      loadRestrictions: 'none',
      missingKustomization: 'generate',
      ...(tn ? { targetNamespace: tn } : {}),
      ...(substitute ? { substitute } : {}),
      ...(refProblems.length ? { refProblems } : {}),
    };
  }
  if (Object.keys(o).length) {
    refProblems.push({
      file,
      field: 'spec.source.kustomize',
      message: `Argo CD Application ${ep.name} sets source.kustomize, which Driftline does not apply when rendering ${ep.path || '.'}`,
      code: 'unsupported',
    });
  }
  return { dir: ep.path, source: 'argocd', renderer, loadRestrictions: 'rootOnly', missingKustomization: 'generate', ...(refProblems.length ? { refProblems } : {}) };
}

let binaryCommand: Promise<{ cmd: string; args: (dir: string, none: boolean) => string[] } | null> | null = null;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 256 * 1024 * 1024, timeout: 120_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `kustomize build` when a kustomize binary is on PATH, else `kubectl kustomize`; null when neither runs. */
function findBinary(): Promise<{ cmd: string; args: (dir: string, none: boolean) => string[] } | null> {
  binaryCommand ??= (async () => {
    const restrictor = (none: boolean) => (none ? ['--load-restrictor', 'LoadRestrictionsNone'] : []);
    if ((await run('kustomize', ['version'], tmpdir())).code === 0) return { cmd: 'kustomize', args: (dir, none) => ['build', ...restrictor(none), dir] };
    if ((await run('kubectl', ['version', '--client'], tmpdir())).code === 0) return { cmd: 'kubectl', args: (dir, none) => ['kustomize', ...restrictor(none), dir] };
    return null;
  })();
  return binaryCommand;
}

/** One render of an entry at one tree, before its objects become desired objects (EntryRenderer.renderRaw). */
export interface RawOutput {
  closure: string[];
  problems: KustomizeProblem[];
  /** The rendered objects, meaningful when there are no problems. Shared with the renderer's caches: read only. */
  objects: Record<string, unknown>[];
}

/**
 * Renders entry directories at the commit a RepoTree stands on, for the Git
 * indexer: reads blobs on demand (the indexer prefetches what a batch
 * changed), re-renders until every file the render asked for was loaded, and
 * reuses everything the last renders built that the commit did not change
 * (directory builds, transformed and finished objects). `desired` turns the
 * rendered objects into desired objects; render workers leave that to the
 * indexing thread (see RenderPool).
 */
export class EntryRenderer {
  private readonly parseCache = createKustomizeCache();
  /**
   * The last output per entry spec, with the tree generation it was rendered at: another
   * environment rendering the same entry the same way at the same tree gets it for free.
   */
  private readonly outputs = new Map<string, { generation: number; out: RawOutput }>();
  /** Renders done (not answered from the cache), for summaries and benchmarks. */
  renders = 0;
  cacheHits = 0;

  constructor(private readonly o: EntryRendererOptions) {}

  /**
   * Load these blobs ahead of renders (the indexer passes what a batch of commits changed):
   * one pipelined read instead of a round trip per render. A blob not loaded is read on demand.
   */
  async prefetch(blobs: Iterable<string>): Promise<void> {
    await this.o.blobs.load(blobs);
  }

  /**
   * The output of `spec` at the current tree. New documents are added to `docs` (hash →
   * canonical JSON) for the caller to store.
   */
  async render(spec: EntrySpec, defaultNamespace: string, docs: Map<string, string>): Promise<EntryOutput> {
    if (!this.o.desired) throw new Error('this entry renderer only renders objects (renderRaw): it was given no DesiredObjects');
    return this.o.desired.output(await this.renderRaw(spec), spec, defaultNamespace, docs);
  }

  /** The rendered objects of `spec` at the current tree (the same instances as last time where nothing they depend on changed). */
  async renderRaw(spec: EntrySpec): Promise<RawOutput> {
    const { tree, blobs } = this.o;
    const scope = specKey(spec);
    const generation = tree.generation('');
    const hit = this.outputs.get(scope);
    if (hit !== undefined && hit.generation === generation) {
      this.cacheHits++;
      return hit.out;
    }
    this.renders++;
    let result: ReturnType<typeof renderKustomization>;
    for (let pass = 0; ; pass++) {
      const misses = new Set<string>();
      result = renderKustomization(spec.dir, tree.fs(blobs, misses), { cache: this.parseCache, loadRestrictions: spec.loadRestrictions, missingKustomization: spec.missingKustomization });
      if (!misses.size) break;
      if (pass > 50) {
        result.problems.push({ file: spec.dir, field: '', message: 'could not read every file the render needs from git', code: 'not-found' });
        break;
      }
      await blobs.load(misses);
    }
    const problems = [...(spec.refProblems ?? []), ...result.problems];
    // (Almost always none is: then the closure's ~200 paths are not looked up at every render.)
    if (blobs.unreadable.size > 0) {
      for (const p of result.files) {
        const blob = p.endsWith('/') ? null : tree.blob(p);
        const why = blob ? blobs.unreadable.get(blob) : undefined;
        if (why) problems.push({ file: p, field: '', message: `could not be read: ${why}`, code: 'invalid' });
      }
    }
    let objects = result.objects;
    if (spec.renderer === 'binary') {
      const b = await this.renderBinary(spec, result.files);
      if ('problem' in b) problems.push(b.problem);
      else objects = b.objects;
      // The built-in renderer's own problems do not apply to the binary's output; its closure does.
      problems.splice(0, problems.length, ...(spec.refProblems ?? []), ...('problem' in b ? [b.problem] : []));
    }
    if (spec.targetNamespace) applyTargetNamespace(objects, spec.targetNamespace);
    if (spec.substitute) {
      const sub = fluxSubstitute(objects, spec.substitute, spec.dir || '.');
      objects = sub.objects;
      problems.push(...sub.problems);
    }
    const out: RawOutput = { closure: result.files, problems, objects: problems.length ? [] : objects };
    this.outputs.set(scope, { generation, out });
    return out;
  }

  /** `kustomize build` / `kubectl kustomize` on a temporary copy of the closure's files. */
  private async renderBinary(spec: EntrySpec, closure: readonly string[]): Promise<{ objects: Record<string, unknown>[] } | { problem: KustomizeProblem }> {
    const bin = await findBinary();
    const file = closure.find((p) => /(^|\/)(kustomization\.ya?ml|Kustomization)$/.test(p) && this.o.tree.blob(p)) ?? spec.dir;
    if (!bin) return { problem: { file, field: '', message: 'renderer: binary needs a kustomize or kubectl binary on PATH; neither could be run', code: 'unsupported' } };
    const root = await mkdtemp(join(tmpdir(), 'driftline-kustomize-'));
    try {
      const { tree, blobs } = this.o;
      for (const p of closure) {
        const blob = p.endsWith('/') ? null : tree.blob(p);
        if (!blob) continue;
        const content = blobs.get(blob);
        if (content === undefined) continue;
        await mkdir(dirname(join(root, p)), { recursive: true });
        await writeFile(join(root, p), content);
      }
      await mkdir(join(root, spec.dir), { recursive: true });
      const r = await run(bin.cmd, bin.args(spec.dir || '.', spec.loadRestrictions === 'none'), root);
      if (r.code !== 0) {
        const msg = r.stderr.trim().split('\n').slice(-3).join(' | ') || `exited with ${r.code}`;
        return { problem: { file, field: '', message: `${bin.cmd} failed: ${msg.replaceAll(root + '/', '')}`, code: 'invalid' } };
      }
      let docs: unknown[];
      try {
        docs = loadYamlDocuments(r.stdout).documents;
      } catch (e) {
        return { problem: { file, field: '', message: `${bin.cmd} printed output that is not YAML: ${(e as Error).message}`, code: 'invalid' } };
      }
      return { objects: docs.filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object' && !Array.isArray(d)) };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
}

/**
 * Rendered objects become desired objects the way plain manifest files do
 * (parseManifestFile: identity, namespace defaulting; redaction; content
 * hash). Kept per entry and default namespace: an object instance met before,
 * or equal to the object of its identity in the last output, is not
 * serialized, normalized and hashed again, and an output whose objects are all
 * the last output's instances is the last output list itself (the indexer then
 * has nothing to compare).
 */
export class DesiredObjects {
  /** The last output per scope: its rendered objects, what each became, and the output list. */
  private readonly last = new Map<string, { objs: Record<string, unknown>[]; desired: Array<RenderedObject | null>; out: RenderedObject[]; byKey: Map<string, number> | null }>();
  /** What each rendered object instance became, per scope (an object that moved in the list). */
  private readonly byInstance = new Map<string, WeakMap<object, RenderedObject>>();

  constructor(private readonly o: DesiredObjectsOptions) {}

  /** A render's output with desired objects. New documents are added to `docs` (hash → canonical JSON). */
  output(raw: RawOutput, spec: EntrySpec, defaultNamespace: string, docs: Map<string, string>): EntryOutput {
    const out: EntryOutput = { closure: raw.closure, problems: raw.problems, objects: [], refs: [] };
    if (!raw.problems.length) {
      // Entry points named by rendered Flux Kustomizations / Argo CD Applications (render: auto follows them).
      for (const ep of findKustomizeEntryPoints(raw.objects)) out.refs.push(specFromEntryPoint(ep, spec.dir, spec.renderer));
      const problems: KustomizeProblem[] = [];
      out.objects = this.toDesired(raw.objects, `${specKey(spec)}\0${defaultNamespace}`, defaultNamespace, spec, problems, docs);
      if (problems.length) {
        out.problems = problems;
        out.objects = [];
      }
    }
    return out;
  }

  private toDesired(objects: Record<string, unknown>[], scope: string, defaultNamespace: string, spec: EntrySpec, problems: KustomizeProblem[], docs: Map<string, string>): RenderedObject[] {
    const before = this.last.get(scope);
    let known = this.byInstance.get(scope);
    if (known === undefined) this.byInstance.set(scope, (known = new WeakMap()));
    if (before !== undefined && before.objs.length === objects.length && objects.every((o, i) => o === before.objs[i])) return before.out;
    const desired: Array<RenderedObject | null> = [];
    // Same keys at the same places as last time (which had no duplicates): no duplicates now either.
    let sameKeys = before !== undefined && before.objs.length === objects.length && before.out.length === objects.length;
    for (let i = 0; i < objects.length; i++) {
      const obj = objects[i]!;
      if (before !== undefined && before.objs[i] === obj) {
        desired.push(before.desired[i]!);
        continue;
      }
      let d: RenderedObject | null = known.get(obj) ?? null;
      if (d === null && before !== undefined) {
        // A new instance: equal to the object of the same identity last time (usually at the same place)?
        const id = rawIdentity(obj);
        const same = before.objs[i];
        const j = same !== undefined && rawIdentity(same) === id ? i : (before.byKey ??= new Map(before.objs.map((o, x) => [rawIdentity(o), x]))).get(id);
        if (j !== undefined && deepEqual(before.objs[j], obj)) d = before.desired[j]!;
      }
      if (d === null) {
        const parsed = parseManifestFile('rendered.json', Buffer.from(JSON.stringify(obj)), { maxBytes: this.o.maxFileBytes, defaultNamespace });
        const first = parsed.objects.find((x) => !x.isKustomizeConfig);
        if (!first) {
          problems.push({ file: spec.dir, field: '', message: `a rendered object could not be indexed: ${parsed.reason ?? 'not a Kubernetes object'}`, code: 'invalid' });
          desired.push(null);
          sameKeys = false;
          continue;
        }
        const body = redactObject(first.body, { key: this.o.installKey, sensitive: this.o.sensitive });
        const canonical = canonicalJson(body);
        const hash = sha256Hex(canonical);
        // Documents already stored by an earlier batch are skipped by the insert (ON CONFLICT DO NOTHING).
        docs.set(hash, canonical);
        d = { key: identityKey(first.identity), identity: first.identity, hash };
      }
      known.set(obj, d);
      desired.push(d);
      if (sameKeys && before!.desired[i]?.key !== d.key) sameKeys = false;
    }
    let out: RenderedObject[];
    if (sameKeys) out = desired as RenderedObject[];
    else {
      out = [];
      const seen = new Set<string>();
      for (const d of desired) {
        if (d === null || seen.has(d.key)) continue;
        seen.add(d.key);
        out.push(d);
      }
    }
    // A render with problems is not kept (the entry keeps its last good objects; the next render compares with this one).
    if (!problems.length) this.last.set(scope, { objs: objects, desired, out, byKey: null });
    return out;
  }
}

function rawIdentity(obj: Record<string, unknown>): string {
  const md = obj.metadata && typeof obj.metadata === 'object' ? (obj.metadata as Record<string, unknown>) : {};
  return `${String(obj.apiVersion)}|${String(obj.kind)}|${String(md.namespace ?? '')}|${String(md.name ?? '')}`;
}

/** Sets the namespace on copies (rendered objects may be shared with the renderer's cache and must not change). */
function applyTargetNamespace(objects: Record<string, unknown>[], namespace: string): void {
  for (let i = 0; i < objects.length; i++) {
    const obj = objects[i]!;
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (typeof obj.kind !== 'string' || isBuiltinClusterScoped(group, obj.kind)) continue;
    const md = obj.metadata;
    if (md && typeof md === 'object' && !Array.isArray(md)) objects[i] = { ...obj, metadata: { ...(md as Record<string, unknown>), namespace } };
  }
}
