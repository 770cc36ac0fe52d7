// The worker thread of `driftline report` (see generateInWorker in reports.cli.ts): it opens its own
// database connection, writes the report, and posts progress and the result to the command.
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { runGenerate, type GenerateJob, type WorkerMessage } from './reports.cli';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

runGenerate(workerData as GenerateJob, (...args) => post({ type: 'progress', args })).then(
  (view) => post({ type: 'done', view }),
  (e: unknown) => {
    const err = e as Error & { code?: unknown; status?: unknown; details?: unknown };
    post({ type: 'error', error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code, status: err?.status, details: err?.details, stack: err?.stack } });
  },
);
