import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KustomizeProblem } from '../core/kustomize';
import type { SensitiveRules } from '../core/redact';
import type { GitEnv } from './reader/git-env';
import type { FileChange } from './reader/log-stream';
import type { EntrySpec, RenderedObject } from './render-entries';

/**
 * Rendering a long history on several threads (render: kustomize).
 *
 * Every worker keeps its own copy of the repository tree, blob reader and
 * render caches. Runs of consecutive batches go to the workers in turn (a
 * worker's caches stay warm along its run): the worker whose turn it is renders
 * the batch, every other worker only moves its tree past it.
 * A worker that skipped batches first renders each entry once at the tree the
 * batch starts from, which gives it each entry's closure as of then (a render
 * reads only its closure, and nothing in it changed since the entry last
 * rendered, or it would have rendered again): so it renders exactly the entries
 * at exactly the commits a single renderer would, and gets the same outputs
 * (renders depend on the tree only; the caches only save work). The indexer
 * applies the results in commit order, as if it had rendered them itself.
 */

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
  installKey: Uint8Array;
  sensitive?: SensitiveRules;
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
  /** The output objects, whole or as changes against this entry's previous render in the same batch. */
  objects: { full: RenderedObject[] } | { length: number; changed: Array<[number, RenderedObject]> };
  refs: EntrySpec[];
}

export interface WireBatch {
  /** Per commit sent (in order), the entries rendered at it, in environment and entry order. */
  commits: WireRender[][];
  /** Documents of the objects first met in this batch (hash → canonical JSON). */
  docs: Array<[string, string]>;
}

export type ToWorker = { type: 'batch'; id: number; render: boolean; commits: FileChange[][] } | { type: 'close' };
export type FromWorker = { type: 'batch'; id: number; batch: WireBatch } | { type: 'error'; message: string; stack?: string } | { type: 'closed' };

/** The compiled worker next to this module; null when running from TypeScript sources (tests pass the built one). */
export function defaultRenderWorkerScript(): string | null {
  const p = join(__dirname, 'render-worker.js');
  return existsSync(p) ? p : null;
}

export class RenderPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (b: WireBatch) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;
  private readonly exited = new Set<Worker>();

  /** `run`: consecutive batches each worker renders before the next one's turn. */
  constructor(
    script: string,
    count: number,
    init: RenderPoolInit,
    readonly run = 1,
  ) {
    this.workers = Array.from({ length: count }, (_, i) => {
      const w = new Worker(script, { workerData: init, name: `driftline-render-${i}` });
      w.on('message', (m: FromWorker) => this.onMessage(m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        this.exited.add(w);
        if (!this.closing) this.fail(new Error(`a render worker stopped (exit code ${code})`));
      });
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Batches to hand out ahead of the one being applied, so every worker has one to render. */
  get ahead(): number {
    return this.run * (this.workers.length - 1) + 1;
  }

  /** Renders these commits (each one's file changes against its first parent, in order) on the worker whose turn it is. */
  render(commits: FileChange[][]): Promise<WireBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const turn = Math.floor(id / this.run) % this.workers.length;
    const done = new Promise<WireBatch>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.workers.forEach((w, i) => w.postMessage({ type: 'batch', id, render: i === turn, commits } satisfies ToWorker));
    return done;
  }

  /** Stops the workers (each closes its git reader first). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all(
      this.workers.filter((w) => !this.exited.has(w)).map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve()), 5_000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage({ type: 'close' } satisfies ToWorker);
          }),
      ),
    );
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'batch') {
      const wait = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      wait?.resolve(m.batch);
    } else if (m.type === 'error') {
      const e = new Error(`rendering failed in a render worker: ${m.message}`);
      if (m.stack) e.stack = m.stack;
      this.fail(e);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}

/** The objects a WireRender describes, given the previous render's objects in the same batch (kept as they were where unchanged). */
export function objectsOf(w: WireRender, previous: RenderedObject[] | undefined): RenderedObject[] {
  if ('full' in w.objects) return w.objects.full;
  if (previous === undefined) throw new Error(`render worker sent changes for ${w.dir} without a previous render`);
  if (w.objects.changed.length === 0 && w.objects.length === previous.length) return previous;
  const out = previous.slice(0, w.objects.length);
  for (const [i, o] of w.objects.changed) out[i] = o;
  return out;
}

/** How `next` differs from `previous` (same instance or same key and hash: unchanged), or the whole list when that is shorter to say. */
export function objectsDelta(previous: RenderedObject[] | undefined, next: RenderedObject[]): WireRender['objects'] {
  if (previous === undefined || previous.length !== next.length) return { full: next };
  const changed: Array<[number, RenderedObject]> = [];
  for (let i = 0; i < next.length; i++) {
    const a = previous[i]!;
    const b = next[i]!;
    if (a === b || (a.key === b.key && a.hash === b.hash)) continue;
    changed.push([i, b]);
    if (changed.length * 2 > next.length) return { full: next };
  }
  return { length: next.length, changed };
}
