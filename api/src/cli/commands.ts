import { Option, type Command } from 'commander';
import type { ConfigEnv } from '../config/load';
import type * as GitIndexModule from '../git/git-index.runner';
import { withRuntime, progressBar } from './runtime';
import { printJson } from './output';
import { registerDriftCommands } from '../drift/drift.cli';
import { registerAlertCommands } from '../alerts/alerts.cli';
import { registerClusterCommands } from '../cluster/cluster.cli';
import { registerReportCommands } from '../reports/reports.cli';
import { registerTokenCommands } from '../auth/tokens.cli';

export interface CliContext {
  env: ConfigEnv;
  setExitCode(code: number): void;
  serve(o: { config?: string; port?: number; host?: string; demo?: boolean; simPort?: number }): Promise<number>;
}

/** Commands of the feature contexts (index, snapshot, watch, drift, report, demo, …). */
export function registerCommands(program: Command, ctx: CliContext, withConfig: (c: Command) => Command): void {
  program
    .command('demo')
    .description('serve a generated GitOps repository (dev/staging/prod, 30 days) and a simulated cluster, with drift to find')
    .option('-p, --port <port>', 'port to listen on (default 8080)', (v) => Number(v))
    .option('--sim-port <port>', 'port of the simulated Kubernetes API (default: any free port)', (v) => Number(v))
    .action(async (o: { port?: number; simPort?: number }) => {
      ctx.setExitCode(await ctx.serve({ ...o, demo: true }));
    });
  registerDriftCommands(program, ctx, withConfig);
  registerAlertCommands(program, ctx, withConfig);
  registerClusterCommands(program, ctx, withConfig);
  registerReportCommands(program, ctx, withConfig);
  registerTokenCommands(program, ctx, withConfig);
  withConfig(program.command('index'))
    .description('index the Git history of the configured repositories (incremental; safe to kill and rerun)')
    .option('-r, --repository <name>', 'only this repository')
    .option('--no-fetch', 'do not fetch remote repositories first')
    .option('--json', 'print a JSON summary')
    .addOption(new Option('--batch-size <n>', 'commits per transaction').argParser((v) => Number(v)).hideHelp())
    .action(async (o: { config?: string; repository?: string; fetch: boolean; json?: boolean; batchSize?: number }) => {
      await withRuntime(o, ctx.env, async (rt) => {
        const { GitIndexRunner } = require('../git/git-index.runner') as typeof GitIndexModule;
        const service = new GitIndexRunner(rt.ds, rt.config, rt.logger, rt.installKey, rt.runtime);
        const bars = new Map<string, ReturnType<typeof progressBar>>();
        const summaries = await service.index(o.repository, {
          fetch: o.fetch,
          batchSize: o.batchSize,
          onProgress: (repo, p) => {
            if (o.json) return;
            let bar = bars.get(repo);
            if (!bar) bars.set(repo, (bar = progressBar(repo)));
            bar.update(p.done, p.total, p.commitsPerSecond, p.etaSeconds);
          },
        });
        for (const b of bars.values()) b.done();
        if (o.json) {
          printJson(summaries.length === 1 ? summaries[0] : { repositories: summaries });
        } else {
          for (const s of summaries) {
            process.stdout.write(
              `${s.repository}: ${s.commits} commits (${s.newCommits} new), ${s.fileChanges} file changes, ${s.objectRevisions} object revisions, ${s.parseErrors} parse errors` +
                `${s.rewritten ? `, history rewritten (${s.unreachable} commits now unreachable)` : ''} in ${s.seconds.toFixed(2)}s\n`,
            );
          }
        }
      });
    });
}
