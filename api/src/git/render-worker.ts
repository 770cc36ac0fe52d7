// A render worker of the Git indexer (see RenderPool in render-pool.ts): a BatchRenderer in its own
// thread, fed every batch in order; it posts what each entry rendered at each commit of the batches
// it is given.
import '../common/compile-cache'; // first: the modules below are compiled from the cache
import { parentPort, workerData } from 'node:worker_threads';
import { BatchRenderer, type RenderPoolInit } from './render-batch';
import type { FromWorker, ToWorker } from './render-pool';

const batches = new BatchRenderer(workerData as RenderPoolInit);
const post = (m: FromWorker) => parentPort!.postMessage(m);

// Messages are handled one at a time, in order: a batch's tree moves happen before the next batch's renders.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (m: ToWorker) => {
  queue = queue.then(async () => {
    if (m.type === 'close') {
      await batches.close();
      post({ type: 'closed' });
      parentPort!.close();
      return;
    }
    if (!m.render) {
      batches.skip(m.commits);
      return;
    }
    try {
      post({ type: 'batch', id: m.id, batch: await batches.render(m.commits) });
    } catch (e) {
      const err = e as Error;
      post({ type: 'error', message: err?.message ?? String(e), stack: err?.stack });
    }
  });
});
