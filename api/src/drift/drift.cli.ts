import type { Command } from 'commander';
import type { CliContext } from '../cli/commands';
import { withRuntime } from '../cli/runtime';
import { EXIT, printJson } from '../cli/output';
import { DomainError } from '../common/errors';
// Services load when a command runs, not when the CLI starts (see cli/lazy.ts).
import type * as DriftRepositoryModule from './drift.repository';
import type * as DriftEngineModule from './drift-engine.service';
import type * as DriftQueryModule from './drift-query.service';

/** `driftline drift`: exit 0 no drift, 1 drift found, 2 error — like `terraform plan -detailed-exitcode`. */
export function registerDriftCommands(program: Command, ctx: CliContext, withConfig: (c: Command) => Command): void {
  withConfig(program.command('drift'))
    .description('show what differs between Git and the cluster; exit 0 in sync, 1 drift found, 2 error')
    .option('-e, --environment <name>', 'the environment (default: every environment)')
    .option('--at <time>', 'evaluate at this ISO time instead of now')
    .option('--rebuild', 'recompute every drift interval from the raw revisions')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; environment?: string; at?: string; rebuild?: boolean; json?: boolean }) => {
      if (o.at && Number.isNaN(Date.parse(o.at))) throw new DomainError('drift.bad_time', `--at: "${o.at}" is not an ISO time`, 400);
      await withRuntime(o, ctx.env, async (rt) => {
        const names = o.environment ? [o.environment] : rt.config.environments.map((e) => e.name);
        if (o.environment && !rt.config.environments.some((e) => e.name === o.environment)) {
          throw new DomainError('environment.not_found', `no environment named "${o.environment}" (configured: ${rt.config.environments.map((e) => e.name).join(', ') || 'none'})`, 404);
        }
        if (!names.length) throw new DomainError('environment.none', 'no environments are configured', 400);
        const { DriftRepository } = require('./drift.repository') as typeof DriftRepositoryModule;
        const { DriftEngineService } = require('./drift-engine.service') as typeof DriftEngineModule;
        const { DriftQueryService } = require('./drift-query.service') as typeof DriftQueryModule;
        const repo = new DriftRepository(rt.ds);
        const engine = new DriftEngineService(rt.ds, repo, rt.config, rt.logger);
        const query = new DriftQueryService(rt.ds, repo, engine, rt.config);
        if (o.rebuild) {
          const rebuilt = [];
          for (const n of names) rebuilt.push({ environment: n, ...(await engine.rebuild(n)) });
          if (o.json) printJson({ rebuilt });
          else for (const r of rebuilt) process.stdout.write(`${r.environment}: rebuilt ${r.opened} drift intervals (${r.closed} closed) over ${r.objects} objects\n`);
          return;
        }
        await engine.catchUp();
        const reports = [];
        for (const n of names) reports.push(await query.driftAt(n, o.at));
        const drifted = reports.some((r) => r.status === 'drifted');
        const unknown = reports.filter((r) => r.status === 'unknown');
        if (o.json) printJson(reports.length === 1 ? reports[0] : { environments: reports });
        else {
          for (const r of reports) {
            const counted = r.items.filter((i) => i.countsAsDrift);
            process.stdout.write(`${r.environment}: ${r.status === 'unknown' ? 'unknown (no indexed repository or no recorded cluster)' : r.status === 'drifted' ? `${counted.length} drifted object(s)` : 'in sync'} at ${r.at}\n`);
            for (const i of counted) {
              process.stdout.write(`  ${i.type.padEnd(9)} ${i.kind} ${i.namespace ? i.namespace + '/' : ''}${i.name}${i.since ? ` since ${i.since}` : ''}: ${i.summary}\n`);
              const lines = i.diff.split('\n').filter((l) => /^[+-](?![+-])/.test(l)).slice(0, 6);
              for (const l of lines) process.stdout.write(`      ${l}\n`);
            }
          }
        }
        if (unknown.length === reports.length) {
          ctx.setExitCode(EXIT.error);
          if (!o.json) process.stderr.write('driftline: drift is unknown: index the repository and record the cluster first (driftline index, driftline snapshot)\n');
          return;
        }
        ctx.setExitCode(drifted ? EXIT.finding : EXIT.ok);
      });
    });
}
