import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { SimCluster } from './sim-cluster';
import { isPlainObject, type KubeObject } from './types';

/**
 * A simulated cluster as a standalone process, for the demo and for poking at it with kubectl:
 *
 *   node api/dist/api/src/cluster/sim/cli.js --port 6443 --kubeconfig ./sim.kubeconfig -f seed.yaml
 *   kubectl --kubeconfig ./sim.kubeconfig get ns
 *
 * Options: --port (default 0: any free port), --host (127.0.0.1), --kubeconfig <path> (write one),
 * --context <name> (sim), --bookmark-interval-ms, --history-limit, -f/--file <yaml> (repeatable: objects
 * applied at start, CRDs first), --manager <name> (field manager of those writes, default sim-seed).
 */
export interface SimCliOptions {
  port: number;
  host: string;
  kubeconfig?: string;
  context: string;
  bookmarkIntervalMs?: number;
  historyLimit?: number;
  files: string[];
  manager: string;
}

export function parseSimArgs(argv: string[]): SimCliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      kubeconfig: { type: 'string' },
      context: { type: 'string', default: 'sim' },
      'bookmark-interval-ms': { type: 'string' },
      'history-limit': { type: 'string' },
      file: { type: 'string', short: 'f', multiple: true },
      manager: { type: 'string', default: 'sim-seed' },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
  return {
    port: int('port', values.port) ?? 0,
    host: values.host ?? '127.0.0.1',
    kubeconfig: values.kubeconfig,
    context: values.context ?? 'sim',
    bookmarkIntervalMs: int('bookmark-interval-ms', values['bookmark-interval-ms']),
    historyLimit: int('history-limit', values['history-limit']),
    files: values.file ?? [],
    manager: values.manager ?? 'sim-seed',
  };
}

/** Reads the objects of YAML files (multi-document, `kind: List` unwrapped): CRDs first, then namespaces. */
export function readManifests(paths: string[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const path of paths) {
    for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
      const value: unknown = doc.toJS();
      if (!isPlainObject(value)) continue;
      if (value.kind === 'List' && Array.isArray(value.items)) out.push(...value.items.filter(isPlainObject));
      else out.push(value);
    }
  }
  const rank = (o: KubeObject) => (o.kind === 'CustomResourceDefinition' ? 0 : o.kind === 'Namespace' ? 1 : 2);
  return out.sort((a, b) => rank(a) - rank(b));
}

/** Starts a simulated cluster from command-line arguments; answers it once it listens. */
export async function startSimFromArgs(argv: string[], log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<SimCluster> {
  const opts = parseSimArgs(argv);
  const sim = new SimCluster({ bookmarkIntervalMs: opts.bookmarkIntervalMs, historyLimit: opts.historyLimit });
  for (const obj of readManifests(opts.files)) sim.apply(obj, { manager: opts.manager });
  const url = await sim.start(opts.port, opts.host);
  if (opts.kubeconfig) sim.writeKubeconfig(opts.kubeconfig, opts.context);
  log(`simulated cluster listening on ${url}${opts.kubeconfig ? ` (kubeconfig: ${opts.kubeconfig}, context ${opts.context})` : ''}`);
  return sim;
}

if (require.main === module) {
  startSimFromArgs(process.argv.slice(2)).then(
    (sim) => {
      const shutdown = () => void sim.stop().then(() => process.exit(0));
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
