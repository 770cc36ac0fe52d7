// The worker thread of `driftline report` and `report verify` (see inWorker in reports.cli.ts): it opens
// its own database connection, runs the job, and posts progress and the result to the command.
import '../common/compile-cache'; // first: the modules below are compiled from the cache
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { runJob, type ReportJob, type WorkerMessage } from './reports.cli';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

// Progress at most every 100 ms (the command's bar redraws no faster), and every change of phase and
// end of one: a message per 500 records was ~0.3 s of a year report's thread.
let last = { phase: '', at: 0 };
runJob(workerData as ReportJob, (...args) => {
  const [, phase, done, total] = args;
  const now = performance.now();
  if (phase === last.phase && now - last.at < 100 && done < total) return;
  last = { phase, at: now };
  post({ type: 'progress', args });
}).then(
  (result) => post({ type: 'done', result }),
  (e: unknown) => {
    const err = e as Error & { code?: unknown; status?: unknown; details?: unknown };
    post({ type: 'error', error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code, status: err?.status, details: err?.details, stack: err?.stack } });
  },
);
