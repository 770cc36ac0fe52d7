import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { CONFIG, LOGGER, RUNTIME } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';
import type { RuntimeInfo } from '../runtime-info';
import { notFound } from '../common/errors';
import { withLock } from '../db/locks';
import { DriftEngineService } from '../drift/drift-engine.service';
import { ALERTS_OPTIONS, AlertsOptions, resolveAlertsOptions, ResolvedAlertsOptions } from './alerts.options';
import { AlertsRepository, NewDelivery } from './alerts.repository';
import type { AlertMessage, MessageKind, MessageSection } from './message';
import { buildMessage, buildSection, driftPageLink, EnvironmentPlan, planEnvironment } from './plan';
import { CompiledRule, compileRules } from './rules';

export interface EvaluationResult {
  rule: string;
  tick: string;
  /** Null when this (rule, tick) had been evaluated before: nothing was done. */
  evaluationId: number | null;
  duplicate: boolean;
  environments: { environment: string; new: number; persisting: number; resolved: number; message: MessageKind | null }[];
  messages: { id: string; kind: MessageKind; title: string; environments: string[] }[];
  deliveries: number[];
}

/** A stable id from parts: the same rule, scope and tick always give the same message id. */
export function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** The Idempotency-Key of a message sent to a channel. */
export function idempotencyKey(messageId: string, channel: string): string {
  return `dl-${stableId(messageId, channel)}`;
}

/**
 * Evaluates an alert rule at a tick: brings drift up to date, compares what the
 * rule sees with what it announced, and writes the messages into the outbox in
 * the same transaction that records the evaluation and the announcements. So a
 * message is either queued together with the state that says it was announced,
 * or neither happened. (rule, tick) is unique: a repeated tick does nothing.
 */
@Injectable()
export class AlertEvaluatorService {
  readonly options: ResolvedAlertsOptions;
  private readonly rules: Map<string, CompiledRule>;
  private readonly listeners = new Set<(deliveryIds: number[]) => void>();

  constructor(
    private readonly ds: DataSource,
    private readonly repo: AlertsRepository,
    private readonly engine: DriftEngineService,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RUNTIME) private readonly runtime: Pick<RuntimeInfo, 'database'>,
    @Optional() @Inject(ALERTS_OPTIONS) options?: AlertsOptions,
  ) {
    this.options = resolveAlertsOptions(options);
    this.rules = new Map(compileRules(config).map((r) => [r.name, r]));
  }

  ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  rule(name: string): CompiledRule {
    const r = this.rules.get(name);
    if (!r) throw notFound('alert rule', name);
    return r;
  }

  now(): Date {
    return this.options.clock();
  }

  /** Called with the ids of newly queued deliveries after each committed evaluation. */
  onQueued(fn: (deliveryIds: number[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async evaluate(ruleName: string, o: { tick?: Date; trigger?: 'schedule' | 'manual' } = {}): Promise<EvaluationResult> {
    const rule = this.rule(ruleName);
    const now = this.now();
    const tick = o.tick ?? now;
    const trigger = o.trigger ?? 'manual';
    const base: EvaluationResult = { rule: rule.name, tick: tick.toISOString(), evaluationId: null, duplicate: true, environments: [], messages: [], deliveries: [] };
    if (await this.repo.evaluationByTick(rule.name, tick)) return base;
    // Drift first: the intervals must include every revision recorded so far.
    await withLock(this.ds, 'drift:evaluate', this.runtime.database === 'postgres', async () => {
      for (const env of rule.config.environments) await this.engine.catchUp(env);
    });
    const result = await this.ds.transaction(async (m) => {
      await this.repo.lockRule(m, rule.name);
      const evaluationId = await this.repo.insertEvaluation(m, rule.name, tick, trigger, now);
      if (evaluationId === null) return base;
      return this.evaluateInTx(m, rule, evaluationId, tick, now);
    });
    if (result.deliveries.length) for (const fn of this.listeners) fn(result.deliveries);
    if (!result.duplicate) {
      this.logger.info(
        { rule: rule.name, tick: result.tick, evaluationId: result.evaluationId, messages: result.messages.length, deliveries: result.deliveries.length },
        result.messages.length ? 'alert rule evaluated: messages queued' : 'alert rule evaluated: nothing to say',
      );
    }
    return result;
  }

  private async evaluateInTx(m: EntityManager, rule: CompiledRule, evaluationId: number, tick: Date, now: Date): Promise<EvaluationResult> {
    const cfg = rule.config;
    const graceEdge = new Date(now.getTime() - cfg.grace);
    const plans: EnvironmentPlan[] = [];
    for (const env of cfg.environments) {
      const eligible = (await this.repo.openIntervalsAt(m, env, now, graceEdge)).filter(rule.filter);
      const announced = await this.repo.openAnnouncements(m, rule.name, env);
      plans.push(planEnvironment(env, eligible, announced, cfg, now));
    }
    const messages: AlertMessage[] = [];
    const shown = new Set<string>();
    const section = (p: EnvironmentPlan): MessageSection => buildSection(p, driftPageLink(this.config.server.baseUrl, p.environment), cfg.notifyResolved);
    if (cfg.digest) {
      const id = stableId(rule.name, 'digest', tick.toISOString());
      messages.push(buildMessage({ id, kind: 'digest', rule: rule.name, tick, generatedAt: now, sections: plans.map(section) }));
      for (const p of plans) shown.add(p.environment);
    } else {
      for (const p of plans) {
        if (!p.kind) continue;
        const id = stableId(rule.name, p.environment, tick.toISOString());
        messages.push(buildMessage({ id, kind: p.kind, rule: rule.name, tick, generatedAt: now, sections: [section(p)] }));
        shown.add(p.environment);
      }
    }
    // The announcement state moves with the messages, in this transaction.
    for (const p of plans) {
      if (shown.has(p.environment)) {
        await this.repo.insertAnnouncements(m, rule.name, p.environment, p.new, now);
        await this.repo.touchAnnouncements(m, rule.name, p.environment, p.persisting, now);
      }
      // Resolutions are recorded whether or not they are announced (notifyResolved: false stays silent).
      await this.repo.resolveAnnouncements(m, rule.name, p.environment, p.resolved, now);
    }
    const rows: NewDelivery[] = messages.flatMap((msg) =>
      rule.channels.map((ch) => ({
        evaluationId,
        rule: rule.name,
        channel: ch.name,
        channelType: ch.type,
        kind: msg.kind,
        idempotencyKey: idempotencyKey(msg.id, ch.name),
        message: msg,
        maxAttempts: cfg.maxAttempts,
      })),
    );
    const deliveries = await this.repo.insertDeliveries(m, rows);
    const environments = plans.map((p) => ({
      environment: p.environment,
      new: p.new.length,
      persisting: p.persisting.length,
      resolved: p.resolved.length,
      message: cfg.digest ? ('digest' as const) : p.kind,
    }));
    await this.repo.finishEvaluation(m, evaluationId, { v: 1, environments }, messages.length);
    return {
      rule: rule.name,
      tick: tick.toISOString(),
      evaluationId,
      duplicate: false,
      environments,
      messages: messages.map((x) => ({ id: x.id, kind: x.kind, title: x.title, environments: x.sections.map((s) => s.environment) })),
      deliveries,
    };
  }
}
