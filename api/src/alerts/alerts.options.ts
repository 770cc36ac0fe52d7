import { DynamicModule, Global, Module } from '@nestjs/common';

/** Injection token of the alerts context's tunables (optional; defaults apply). */
export const ALERTS_OPTIONS = Symbol('ALERTS_OPTIONS');

export interface AlertsOptions {
  /** The evaluation clock: "now" for grace, reminders and point-in-time drift. Default: the system clock. */
  clock?: () => Date;
  /** How often the delivery worker looks for due deliveries. Default 1000 ms. */
  pollIntervalMs?: number;
  /** First retry delay; doubles per failed attempt, with jitter. Default 2000 ms. */
  backoffBaseMs?: number;
  /** Longest retry delay (a Retry-After may ask for more). Default 10 min. */
  backoffMaxMs?: number;
  /** Per-attempt timeout of channels that set none. Default 10 s. */
  defaultTimeoutMs?: number;
  /** Source of jitter, [0, 1). */
  random?: () => number;
  /**
   * A claimed delivery is leased for its channel's timeout plus this margin; a
   * process that dies mid-send leaves the lease to expire. Default 5 s.
   */
  leaseMarginMs?: number;
  /** Deliveries claimed per worker pass. Default 8. */
  batchSize?: number;
  /**
   * Who fires the rules' schedules: pg-boss cron (default, on PostgreSQL and on
   * the embedded database), an in-process cron, or nobody (tests drive ticks).
   */
  scheduler?: 'pg-boss' | 'in-process' | 'off';
  /** pg-boss: seconds between cron passes (1–45). Default 15. */
  cronMonitorIntervalSeconds?: number;
  /** Run the delivery worker in this process (default: when workers run). */
  deliver?: boolean;
}

export type ResolvedAlertsOptions = Required<Omit<AlertsOptions, 'deliver'>> & { deliver: boolean | undefined };

export function resolveAlertsOptions(o: AlertsOptions = {}): ResolvedAlertsOptions {
  return {
    clock: o.clock ?? (() => new Date()),
    pollIntervalMs: o.pollIntervalMs ?? 1000,
    backoffBaseMs: o.backoffBaseMs ?? 2000,
    backoffMaxMs: o.backoffMaxMs ?? 600_000,
    defaultTimeoutMs: o.defaultTimeoutMs ?? 10_000,
    random: o.random ?? Math.random,
    leaseMarginMs: o.leaseMarginMs ?? 5_000,
    batchSize: o.batchSize ?? 8,
    scheduler: o.scheduler ?? 'pg-boss',
    cronMonitorIntervalSeconds: o.cronMonitorIntervalSeconds ?? 15,
    deliver: o.deliver,
  };
}

@Global()
@Module({})
class AlertsOptionsModule {}

/**
 * A global module that sets the alerts tunables, for tests and benchmarks:
 * `serve({ features: [alertsOptions({ pollIntervalMs: 100 })] })`.
 */
export function alertsOptions(options: AlertsOptions): DynamicModule {
  const provider = { provide: ALERTS_OPTIONS, useValue: options };
  return { module: AlertsOptionsModule, global: true, providers: [provider], exports: [provider] };
}
