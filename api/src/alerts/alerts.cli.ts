import type { Command } from 'commander';
import type { CliContext } from '../cli/commands';
import { CliRuntime, withRuntime } from '../cli/runtime';
import { EXIT, printJson } from '../cli/output';
import { DomainError } from '../common/errors';
import type * as DriftRepositoryModule from '../drift/drift.repository';
import type * as DriftEngineModule from '../drift/drift-engine.service';
import type * as AlertsRepositoryModule from './alerts.repository';
import type * as EvaluatorModule from './alert-evaluator.service';
import type * as DeliveryModule from './delivery-worker.service';
import type * as AlertsServiceModule from './alerts.service';

/** Loaded when a command runs (pg-boss and the chat channels are not needed for `--help`). */
function alertServices(rt: CliRuntime) {
  const { DriftRepository } = require('../drift/drift.repository') as typeof DriftRepositoryModule;
  const { DriftEngineService } = require('../drift/drift-engine.service') as typeof DriftEngineModule;
  const { AlertsRepository } = require('./alerts.repository') as typeof AlertsRepositoryModule;
  const { AlertEvaluatorService } = require('./alert-evaluator.service') as typeof EvaluatorModule;
  const { DeliveryWorkerService } = require('./delivery-worker.service') as typeof DeliveryModule;
  const { AlertsService } = require('./alerts.service') as typeof AlertsServiceModule;
  const repo = new AlertsRepository(rt.ds);
  const engine = new DriftEngineService(rt.ds, new DriftRepository(rt.ds), rt.config, rt.logger);
  const evaluator = new AlertEvaluatorService(rt.ds, repo, engine, rt.config, rt.logger, rt.runtime);
  const worker = new DeliveryWorkerService(repo, rt.config, rt.logger, rt.runtime);
  return { repo, evaluator, worker, alerts: new AlertsService(rt.ds, repo, evaluator, worker, rt.config) };
}

/** `driftline alerts test` and `driftline alerts evaluate`. */
export function registerAlertCommands(program: Command, ctx: CliContext, withConfig: (c: Command) => Command): void {
  const alerts = program.command('alerts').description('chat alerts: send a test message, evaluate rules now');

  withConfig(alerts.command('test'))
    .description('send a test message to a channel; exit 0 when it answers 2xx, 2 otherwise')
    .requiredOption('--channel <name>', 'the channel (from channels: in driftline.yaml)')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; channel: string; json?: boolean }) => {
      await withRuntime(o, ctx.env, async (rt) => {
        const r = await alertServices(rt).alerts.testChannel(o.channel);
        if (o.json) printJson(r);
        else if (r.ok) process.stdout.write(`${r.type} channel "${r.channel}": HTTP ${r.statusCode} in ${r.latencyMs} ms\n`);
        else process.stdout.write(`${r.type} channel "${r.channel}": ${r.statusCode === null ? 'no response' : `HTTP ${r.statusCode}`} after ${r.latencyMs} ms: ${r.error}\n`);
        ctx.setExitCode(r.ok ? EXIT.ok : EXIT.error);
      });
    });

  withConfig(alerts.command('evaluate'))
    .description('evaluate alert rules now and send what they queue (failed sends are retried by the server)')
    .option('-r, --rule <name>', 'only this rule (default: every rule)')
    .option('--no-deliver', 'only queue the messages in the outbox; the server sends them')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; rule?: string; deliver: boolean; json?: boolean }) => {
      await withRuntime(o, ctx.env, async (rt) => {
        const { evaluator, worker } = alertServices(rt);
        const names = o.rule ? [evaluator.rule(o.rule).name] : evaluator.ruleNames();
        if (!names.length) throw new DomainError('alerts.no_rules', 'no alert rules are configured (alerts: in driftline.yaml)', 400);
        const out = [];
        for (const name of names) {
          const r = await evaluator.evaluate(name, { trigger: 'manual' });
          const sent = o.deliver ? await worker.deliverNow(r.deliveries) : [];
          out.push({ ...r, attempts: sent.map((a) => ({ delivery: a.deliveryId, channel: a.channel, statusCode: a.statusCode, outcome: a.outcome, error: a.error })) });
        }
        if (o.json) printJson(out.length === 1 ? out[0] : { rules: out });
        else {
          for (const r of out) {
            const envs = r.environments.map((e) => `${e.environment}: ${e.new} new, ${e.persisting} persisting, ${e.resolved} resolved`).join('; ');
            process.stdout.write(`${r.rule} at ${r.tick}: ${envs || 'no environments'}\n`);
            for (const m of r.messages) process.stdout.write(`  ${m.kind}: ${m.title}\n`);
            if (!r.messages.length) process.stdout.write('  nothing to announce\n');
            for (const a of r.attempts) process.stdout.write(`  → ${a.channel}: ${a.outcome}${a.statusCode !== null ? ` (HTTP ${a.statusCode})` : ''}${a.error ? `: ${a.error}` : ''}\n`);
            if (!o.deliver && r.deliveries.length) process.stdout.write(`  ${r.deliveries.length} deliveries queued for the server\n`);
          }
        }
      });
    });
}
