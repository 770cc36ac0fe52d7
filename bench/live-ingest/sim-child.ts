/**
 * The simulated API server of the live-ingest benchmark, in its own process (so
 * the recorder's figures — CPU, RSS — are its own), driven over IPC by run.ts:
 *
 *   → { cmd: 'start', objects, namespaces, kubeconfig }   ← { ok, url, seedSeconds }
 *   → { cmd: 'run', events, hot, rate, seed }              ← { sent: [rv, epochMs][] } … then { done, seconds }
 *   → { cmd: 'stop' }                                      (exits)
 *
 * Events: 90% modifications of `hot` objects, 5% creates, 5% deletes (of objects
 * created earlier in the run, else of cold seeded objects). Every write is
 * timestamped right after the server applied it (the watch event is queued then).
 * Erasable TypeScript only: Node runs this file directly.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { prng } from '../../api/src/core/prng.ts';

// This file's own path (node runs it directly, as an ES module; import.meta would not type-check as CommonJS).
const ROOT = resolve(dirname(resolve(process.argv[1]!)), '..', '..');
const require = createRequire(join(ROOT, 'package.json'));
const { SimCluster } = require(join(ROOT, 'api', 'dist', 'api', 'src', 'cluster', 'sim', 'index.js'));

type Msg =
  | { cmd: 'start'; objects: number; namespaces: number; kubeconfig: string }
  | { cmd: 'run'; events: number; hot: number; rate: number; seed: number }
  | { cmd: 'stop' };

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: unknown): void => void process.send!(m);

let sim: any;
let objects = 0;
let namespaces = 1;

const ns = (i: number): string => `team-${i % namespaces}`;
const name = (i: number): string => `cm-${String(i).padStart(6, '0')}`;
const ref = (i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns(i), name: name(i) });

/** A ConfigMap of about 1 KB: a few settings and a config file. */
function configMap(i: number, v: number) {
  const data: Record<string, string> = { version: String(v), 'app.properties': `service.name=svc-${i}\nservice.port=${8000 + (i % 1000)}\nfeature.flags=a,b,c\nlog.level=info\n` };
  for (let k = 0; k < 8; k++) data[`setting_${k}`] = `value-${i}-${k}-${'x'.repeat(40)}`;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: name(i), namespace: ns(i), labels: { app: `svc-${i % 500}`, tier: i % 2 ? 'web' : 'worker' } }, data };
}


async function start(m: Extract<Msg, { cmd: 'start' }>): Promise<void> {
  objects = m.objects;
  namespaces = Math.max(1, m.namespaces);
  // A watch cache deep enough for the whole run: this measures ingest, not what happens when history runs out.
  sim = new SimCluster({ historyLimit: 150_000, bookmarkIntervalMs: 5000 });
  const t = performance.now();
  for (let n = 0; n < namespaces; n++) sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}` } }, { manager: 'bench-seed' });
  for (let i = 0; i < objects; i++) sim.apply(configMap(i, 0), { manager: 'bench-seed', operation: 'Apply' });
  const seedSeconds = (performance.now() - t) / 1000;
  const url = await sim.start();
  sim.writeKubeconfig(m.kubeconfig);
  send({ ok: true, url, seedSeconds });
}

async function run(m: Extract<Msg, { cmd: 'run' }>): Promise<void> {
  const rnd = prng(m.seed);
  const versions = new Map<number, number>();
  const created: number[] = [];
  let next = objects;
  let coldDeleted = 0;
  let done = 0;
  let pending: [string, number][] = [];
  const t0 = performance.now();
  const flushSent = () => {
    if (pending.length) send({ sent: pending });
    pending = [];
  };
  const flushTimer = setInterval(flushSent, 100);
  while (done < m.events) {
    const due = Math.min(m.events, Math.floor(((performance.now() - t0) / 1000) * m.rate)) - done;
    for (let k = 0; k < Math.min(due, 1000); k++) {
      const r = rnd();
      if (r < 0.9) {
        const i = Math.floor(rnd() * m.hot);
        const v = (versions.get(i) ?? 0) + 1;
        versions.set(i, v);
        sim.patch(ref(i), { data: { version: String(v) } }, { manager: 'bench-writer' });
      } else if (r < 0.95 || (created.length === 0 && coldDeleted >= objects - m.hot)) {
        const i = next++;
        created.push(i);
        sim.apply(configMap(i, 0), { manager: 'bench-writer' });
      } else if (created.length) {
        const i = created.splice(Math.floor(rnd() * created.length), 1)[0]!;
        sim.delete(ref(i), { manager: 'bench-writer' });
      } else {
        const i = objects - 1 - coldDeleted++;
        sim.delete(ref(i), { manager: 'bench-writer' });
      }
      // Every write moves the cluster's resourceVersion by one: its watch event carries this one.
      pending.push([sim.resourceVersion, now()]);
      done++;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  clearInterval(flushTimer);
  flushSent();
  send({ done: true, events: done, seconds: (performance.now() - t0) / 1000, rss: process.resourceUsage().maxRSS * 1024 });
}

process.on('message', (m: Msg) => {
  if (m.cmd === 'start') void start(m).catch((e) => send({ error: String(e?.stack ?? e) }));
  else if (m.cmd === 'run') void run(m).catch((e) => send({ error: String(e?.stack ?? e) }));
  else if (m.cmd === 'stop') void Promise.resolve(sim?.stop()).finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
