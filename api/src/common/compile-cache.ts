// V8's code cache on disk (Node >= 22.1) for the modules of this thread. bin/driftline.js enables it for
// the main thread, but Node enables it per thread: a worker thread (a report, a Kustomize render worker)
// compiled typeorm, the report or render code and their dependencies again at every start. A worker's
// entry imports this module first, so everything it loads afterwards is read from the cache.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
