import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileChange } from './reader/log-stream';
import type { RenderPoolInit, WireBatch } from './render-batch';

export { objectsDelta, objectsOf, type PoolEnvironment, type RenderPoolInit, type WireBatch, type WireObjects, type WireRender } from './render-batch';

/**
 * Rendering a long history on several threads (render: kustomize).
 *
 * Every worker keeps its own copy of the repository tree, blob reader and
 * render caches (a BatchRenderer). Runs of consecutive batches go to the
 * workers in turn (a worker's caches stay warm along its run): the worker whose
 * turn it is renders the batch, every other worker only moves its tree past it.
 * A worker that skipped batches first renders each entry once at the tree the
 * batch starts from, which gives it each entry's closure as of then (a render
 * reads only its closure, and nothing in it changed since the entry last
 * rendered, or it would have rendered again): so it renders exactly the entries
 * at exactly the commits a single renderer would, and gets the same outputs
 * (renders depend on the tree only; the caches only save work). The indexer
 * applies the results in commit order, as if it had rendered them itself.
 */

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
      this.workers
        .filter((w) => !this.exited.has(w))
        .map(
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
