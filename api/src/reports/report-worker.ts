// The worker thread of `driftline report` and `report verify` (see inWorker in reports.cli.ts): it opens
// its own database connection, runs the job, and posts progress and the result to the command.
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { runJob, type ReportJob, type WorkerMessage } from './reports.cli';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

runJob(workerData as ReportJob, (...args) => post({ type: 'progress', args })).then(
  (result) => post({ type: 'done', result }),
  (e: unknown) => {
    const err = e as Error & { code?: unknown; status?: unknown; details?: unknown };
    post({ type: 'error', error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code, status: err?.status, details: err?.details, stack: err?.stack } });
  },
);
