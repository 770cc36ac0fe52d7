import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { PgBoss, type JobWithMetadata } from 'pg-boss';
import { CONFIG, LOGGER, RUNTIME } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';
import type { RuntimeInfo } from '../runtime-info';
import { ALERTS_OPTIONS, AlertsOptions, resolveAlertsOptions, ResolvedAlertsOptions } from './alerts.options';
import { AlertEvaluatorService } from './alert-evaluator.service';
import { DeliveryWorkerService } from './delivery-worker.service';
import { nextRun, tickAtOrBefore } from './rules';

/** The pg-boss queue whose jobs are rule ticks; one cron schedule per rule (keyed by the rule's name). */
export const EVALUATE_QUEUE = 'driftline-alerts-evaluate';

export type SchedulerMode = 'pg-boss' | 'in-process' | 'off';

/**
 * Fires each rule's schedule. With pg-boss (on PostgreSQL, and on the embedded
 * database through its own pool to the same socket), every replica registers
 * the same schedules and works the same queue: pg-boss's cron sends one job
 * per occurrence however many replicas run, and one worker takes it. The job's
 * creation time names the tick; the evaluation is unique per (rule, tick), so a
 * retried or duplicated job does nothing. When pg-boss cannot start, an
 * in-process cron takes over (one process: the embedded database is
 * single-process by its data-dir lock).
 */
@Injectable()
export class AlertSchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly options: ResolvedAlertsOptions;
  private boss: PgBoss | null = null;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private mode: SchedulerMode = 'off';
  private unsubscribe: (() => void) | null = null;
  private stopping = false;

  constructor(
    private readonly ds: DataSource,
    private readonly evaluator: AlertEvaluatorService,
    private readonly worker: DeliveryWorkerService,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RUNTIME) private readonly runtime: Pick<RuntimeInfo, 'workers' | 'database'>,
    @Optional() @Inject(ALERTS_OPTIONS) options?: AlertsOptions,
  ) {
    this.options = resolveAlertsOptions(options);
  }

  get schedulerMode(): SchedulerMode {
    return this.mode;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runtime.workers) return;
    // Queued deliveries go out at once instead of at the next poll.
    this.unsubscribe = this.evaluator.onQueued(() => this.worker.nudge());
    if (!this.config.alerts.length || this.options.scheduler === 'off') return;
    if (this.options.scheduler === 'pg-boss') {
      try {
        await this.startBoss();
        this.mode = 'pg-boss';
        return;
      } catch (e) {
        this.logger.warn({ err: (e as Error).message, database: this.runtime.database }, 'pg-boss could not start; alert schedules run on an in-process cron');
        await this.boss?.stop({ graceful: false, close: true }).catch(() => undefined);
        this.boss = null;
      }
    }
    this.startInProcess();
    this.mode = 'in-process';
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const boss = this.boss;
    this.boss = null;
    // Let a running evaluation finish (it is one transaction; killed midway it rolls back and the job is retried).
    await boss?.stop({ graceful: true, timeout: 10_000, close: true }).catch((e: Error) => this.logger.warn({ err: e.message }, 'pg-boss stop failed'));
  }

  private async startBoss(): Promise<void> {
    const url = (this.ds.options as { url?: string }).url;
    if (!url) throw new Error('no database URL for pg-boss');
    const boss = new PgBoss({
      connectionString: url,
      // The embedded database serialises every connection onto one session: keep the pool small.
      max: this.runtime.database === 'embedded' ? 2 : 4,
      application_name: 'driftline-alerts',
      cronMonitorIntervalSeconds: this.options.cronMonitorIntervalSeconds,
      cronWorkerIntervalSeconds: Math.min(5, this.options.cronMonitorIntervalSeconds),
      instanceName: 'driftline',
    });
    boss.on('error', (e: Error) => this.logger.error({ err: e.message }, 'pg-boss error'));
    boss.on('warning', (w: { message?: string }) => this.logger.warn({ warning: w?.message ?? String(w) }, 'pg-boss warning'));
    this.boss = boss;
    await boss.start();
    if (!(await boss.getQueue(EVALUATE_QUEUE))) {
      await boss.createQueue(EVALUATE_QUEUE, { retryLimit: 3, retryDelay: 10, retryBackoff: true, expireInSeconds: 600 }).catch(async (e: Error) => {
        // Another replica created it between our check and create.
        if (!(await boss.getQueue(EVALUATE_QUEUE))) throw e;
      });
    }
    const names = new Set(this.evaluator.ruleNames());
    for (const name of names) {
      const rule = this.evaluator.rule(name).config;
      await boss.schedule(EVALUATE_QUEUE, rule.schedule, { rule: name }, { tz: rule.timezone, key: name });
    }
    for (const s of await boss.getSchedules(EVALUATE_QUEUE)) {
      if (s.key && !names.has(s.key)) await boss.unschedule(EVALUATE_QUEUE, s.key);
    }
    await boss.work(EVALUATE_QUEUE, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
      for (const job of jobs) await this.onJob(job as JobWithMetadata<{ rule: string }>);
    });
    this.logger.info({ rules: [...names], database: this.runtime.database }, 'alert schedules registered with pg-boss');
  }

  private async onJob(job: JobWithMetadata<{ rule: string }>): Promise<void> {
    const name = job.data?.rule;
    if (!name || !this.evaluator.ruleNames().includes(name)) {
      this.logger.warn({ job: job.id, rule: name }, 'alert job for an unknown rule; ignored');
      return;
    }
    const tick = tickAtOrBefore(this.evaluator.rule(name).config, new Date(job.createdOn));
    this.logger.debug({ job: job.id, rule: name, tick: tick.toISOString() }, 'alert tick received');
    await this.evaluator.evaluate(name, { tick, trigger: 'schedule' });
  }

  private startInProcess(): void {
    for (const name of this.evaluator.ruleNames()) this.arm(name);
    this.logger.info({ rules: this.evaluator.ruleNames() }, 'alert schedules run on an in-process cron');
  }

  /** Wake at the rule's next occurrence (timers are re-armed after each, so long waits are split). */
  private arm(name: string): void {
    if (this.stopping) return;
    const rule = this.evaluator.rule(name).config;
    const next = nextRun(rule, new Date());
    const wait = Math.min(next.getTime() - Date.now(), 2 ** 31 - 1);
    const t = setTimeout(() => {
      this.timers.delete(name);
      if (Date.now() + 5 < next.getTime()) return this.arm(name); // woke early (long wait split)
      void this.fire(name, next, 1).finally(() => this.arm(name));
    }, Math.max(0, wait));
    t.unref();
    this.timers.set(name, t);
  }

  /** Evaluate a tick, retrying a failed evaluation (the database was away…) a few times, as pg-boss would. */
  private async fire(name: string, tick: Date, attempt: number): Promise<void> {
    try {
      await this.evaluator.evaluate(name, { tick, trigger: 'schedule' });
    } catch (e) {
      const retry = attempt < 4 && !this.stopping;
      this.logger.error({ rule: name, tick: tick.toISOString(), attempt, err: (e as Error).message }, retry ? 'scheduled alert evaluation failed; retrying' : 'scheduled alert evaluation failed');
      if (!retry) return;
      await new Promise((r) => setTimeout(r, 5000 * attempt).unref());
      if (!this.stopping) await this.fire(name, tick, attempt + 1);
    }
  }
}
