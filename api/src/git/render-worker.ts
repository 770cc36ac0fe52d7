// A render worker of the Git indexer (see RenderPool in render-pool.ts): it keeps its own tree, blob
// reader and render caches, moves the tree through every batch, renders the batches it is given, and
// posts what each entry rendered at each commit.
import { parentPort, workerData } from 'node:worker_threads';
import { closureHasAny, KUSTOMIZATION_FILE_NAMES, touchKeys } from '../core/kustomize';
import { CatFile } from './reader/cat-file';
import type { FileChange } from './reader/log-stream';
import { BlobContents, RepoTree } from './reader/repo-tree';
import { EntryRenderer, type RenderedObject } from './render-entries';
import { objectsDelta, type FromWorker, type RenderPoolInit, type ToWorker, type WireBatch, type WireRender } from './render-pool';

const init = workerData as RenderPoolInit;
const post = (m: FromWorker) => parentPort!.postMessage(m);

const tree = new RepoTree();
for (const [path, blob] of init.tree) tree.set(path, blob);
const catFile = new CatFile(init.gitDir, { env: init.gitEnv, maxBytes: init.maxFileBytes });
const renderer = new EntryRenderer({
  tree,
  blobs: new BlobContents(() => catFile),
  installKey: Buffer.from(init.installKey),
  sensitive: init.sensitive,
  maxFileBytes: init.maxFileBytes,
});
const envs = init.environments;
/** Each entry's closure at the current tree, while `closuresKnown`. */
const closures = envs.map((e) => e.entries.map((x) => (x.closure ? new Set(x.closure) : null)));
const lastClosure = envs.map((e) => e.entries.map((x) => x.closure));
let closuresKnown = true;
const kustomizationNames = new Set<string>(KUSTOMIZATION_FILE_NAMES);

async function renderBatch(commits: FileChange[][]): Promise<WireBatch> {
  const docs = new Map<string, string>();
  if (!closuresKnown) {
    // Batches went by without rendering: each entry's closure as of now is the one of a render now.
    for (let e = 0; e < envs.length; e++) {
      for (let i = 0; i < envs[e]!.entries.length; i++) {
        const out = await renderer.render(envs[e]!.entries[i]!.spec, envs[e]!.defaultNamespace, docs);
        if (out.closure !== lastClosure[e]![i]) closures[e]![i] = new Set(out.closure);
        lastClosure[e]![i] = out.closure;
      }
    }
    closuresKnown = true;
  }
  // The blobs renders will probably read, in one round trip: kustomization files and files in a closure.
  const wanted: string[] = [];
  for (const files of commits) {
    for (const fc of files) {
      if (!fc.newBlob || fc.status === 'D' || fc.newMode === '160000') continue;
      if (kustomizationNames.has(fc.path.slice(fc.path.lastIndexOf('/') + 1)) || closures.some((l) => l.some((c) => c?.has(fc.path)))) wanted.push(fc.newBlob);
    }
  }
  await renderer.prefetch(wanted);
  const sent = new Map<string, { closure: string[]; objects: RenderedObject[] }>();
  const out: WireRender[][] = [];
  for (const files of commits) {
    tree.apply(files);
    const changed: string[] = [];
    for (const fc of files) {
      changed.push(fc.path);
      if (fc.oldPath) changed.push(fc.oldPath);
    }
    const keys = touchKeys(changed);
    const rendered: WireRender[] = [];
    for (let e = 0; e < envs.length; e++) {
      const env = envs[e]!;
      for (let i = 0; i < env.entries.length; i++) {
        const c = closures[e]![i] ?? null;
        if (c !== null && !closureHasAny(c, keys)) continue;
        const spec = env.entries[i]!.spec;
        const r = await renderer.render(spec, env.defaultNamespace, docs);
        if (r.closure !== lastClosure[e]![i]) closures[e]![i] = new Set(r.closure);
        lastClosure[e]![i] = r.closure;
        const k = `${e}\0${i}`;
        const prev = sent.get(k);
        rendered.push({
          env: e,
          dir: spec.dir,
          closure: prev !== undefined && prev.closure === r.closure ? null : r.closure,
          problems: r.problems,
          objects: objectsDelta(prev?.objects, r.objects),
          refs: r.refs,
        });
        sent.set(k, { closure: r.closure, objects: r.objects });
      }
    }
    out.push(rendered);
  }
  return { commits: out, docs: [...docs] };
}

// Messages are handled one at a time, in order: a batch's tree moves happen before the next batch's renders.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (m: ToWorker) => {
  queue = queue.then(async () => {
    if (m.type === 'close') {
      await catFile.close();
      post({ type: 'closed' });
      parentPort!.close();
      return;
    }
    if (!m.render) {
      for (const files of m.commits) tree.apply(files);
      closuresKnown = false;
      return;
    }
    try {
      post({ type: 'batch', id: m.id, batch: await renderBatch(m.commits) });
    } catch (e) {
      const err = e as Error;
      post({ type: 'error', message: err?.message ?? String(e), stack: err?.stack });
    }
  });
});
