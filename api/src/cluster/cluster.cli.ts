import type { Command } from 'commander';
import type { CliContext } from '../cli/commands';
import { withRuntime } from '../cli/runtime';
import { EXIT, printJson } from '../cli/output';
import type * as LiveRecorderModule from './live-recorder.service';

/** Loaded when a command runs: the Kubernetes client is heavy, and `--help` should not pay for it. */
const recorder = () => (require('./live-recorder.service') as typeof LiveRecorderModule).LiveRecorderService;

/** `driftline snapshot` and `driftline watch`. */
export function registerClusterCommands(program: Command, ctx: CliContext, withConfig: (c: Command) => Command): void {
  withConfig(program.command('snapshot'))
    .description('list every watched kind of the clusters once and record what changed since the last recorded state')
    .option('--cluster <name>', 'only this cluster')
    .option('--json', 'print a JSON summary')
    .action(async (o: { config?: string; cluster?: string; json?: boolean }) => {
      await withRuntime(o, ctx.env, async (rt) => {
        if (!rt.config.clusters.length) throw new Error('no clusters are configured (clusters: in driftline.yaml)');
        const service = new (recorder())(rt.ds, rt.config, rt.logger, rt.installKey, rt.runtime);
        const summaries = await service.snapshot(o.cluster);
        if (o.json) printJson(summaries.length === 1 && o.cluster ? summaries[0] : { clusters: summaries });
        else {
          for (const s of summaries) {
            process.stdout.write(
              `${s.cluster}: ${s.kinds} kinds, ${s.objects} objects: ${s.created} created, ${s.configured} configured, ${s.deleted} deleted; ${s.gaps} gaps in ${s.seconds.toFixed(2)}s\n`,
            );
            for (const e of s.errors) process.stdout.write(`  ${e}\n`);
          }
        }
        if (summaries.some((s) => s.status === 'failed')) ctx.setExitCode(EXIT.error);
      });
    });

  withConfig(program.command('watch'))
    .description('record the live state of the clusters (list + watch) until SIGTERM or SIGINT, without the HTTP server')
    .option('--cluster <name>', 'only this cluster')
    .action(async (o: { config?: string; cluster?: string }) => {
      await withRuntime(o, ctx.env, async (rt) => {
        if (!rt.config.clusters.length) throw new Error('no clusters are configured (clusters: in driftline.yaml)');
        const service = new (recorder())(rt.ds, rt.config, rt.logger, rt.installKey, { ...rt.runtime, workers: true });
        const names = o.cluster ? [service.cluster(o.cluster).name] : rt.config.clusters.map((c) => c.name);
        const stopped = new Promise<string>((resolve) => {
          process.once('SIGTERM', () => resolve('SIGTERM'));
          process.once('SIGINT', () => resolve('SIGINT'));
        });
        await service.startWatching(o.cluster);
        process.stderr.write(`driftline watch: recording ${names.join(', ')} (stop with Ctrl-C or SIGTERM)\n`);
        const signal = await stopped;
        const timer = setTimeout(() => {
          process.stderr.write(`driftline watch: stopping took longer than 15 s after ${signal}; exiting\n`);
          process.exit(EXIT.error);
        }, 15_000);
        timer.unref();
        await service.stopWatching();
        process.stderr.write(`driftline watch: stopped (${signal})\n`);
      });
    });
}
