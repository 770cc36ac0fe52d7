import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, LOGGER, RUNTIME } from '../config/config.tokens';
import type { ChannelConfig, DriftlineConfig } from '../config/schema';
import type { RuntimeInfo } from '../runtime-info';
import { ALERTS_OPTIONS, AlertsOptions, resolveAlertsOptions, ResolvedAlertsOptions } from './alerts.options';
import { AlertsRepository, AttemptOutcome, ClaimedDelivery } from './alerts.repository';
import { channelFor } from './channels';
import { readMessage } from './message';
import { retryDelayMs, verdictOf } from './retry';
import { postJson, SendResult } from './sender';

export interface AttemptReport extends AttemptOutcome {
  channel: string;
  attempt: number;
}

/**
 * Sends the outbox. Each pass claims due deliveries (leased, so replicas never
 * send the same row at once), renders each for its channel, POSTs it with a
 * timeout, and records the attempt: sent, retried later (exponential backoff
 * with jitter, never sooner than a 429's Retry-After), or dead after the rule's
 * maxAttempts (or at once on a 4xx that waiting cannot fix).
 *
 * Delivery is at least once: a process killed after a send and before its
 * record sends again after restart, with the same Idempotency-Key.
 */
@Injectable()
export class DeliveryWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly options: ResolvedAlertsOptions;
  private timer: NodeJS.Timeout | null = null;
  private pruner: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private failures = 0;
  private stopped = true;

  constructor(
    private readonly repo: AlertsRepository,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RUNTIME) private readonly runtime: Pick<RuntimeInfo, 'workers'>,
    @Optional() @Inject(ALERTS_OPTIONS) options?: AlertsOptions,
  ) {
    this.options = resolveAlertsOptions(options);
  }

  onApplicationBootstrap(): void {
    if (this.options.deliver ?? this.runtime.workers) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
    if (this.config.retention.alertDeliveries) {
      this.pruner = setInterval(() => void this.prune().catch((e: Error) => this.logger.warn({ err: e.message }, 'pruning old deliveries failed')), 86_400_000);
      this.pruner.unref();
      void this.prune().catch(() => undefined);
    }
  }

  /**
   * retention.alertDeliveries: sent and dead deliveries last touched before it are deleted with their
   * attempts (pending ones never are). Returns how many went.
   */
  async prune(now = new Date()): Promise<number> {
    const keep = this.config.retention.alertDeliveries;
    if (!keep) return 0;
    const n = await this.repo.pruneDeliveries(new Date(now.getTime() - keep));
    if (n) this.logger.info({ deliveries: n }, 'deliveries past retention deleted');
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pruner) clearInterval(this.pruner);
    this.pruner = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Look for work now (after an evaluation queued deliveries). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.running) return;
    let failed = false;
    this.running = this.pass().catch((e: Error) => {
      failed = true;
      this.failures++;
      // Log the first failure and then every tenth: a database outage should not flood the log.
      if (this.failures === 1 || this.failures % 10 === 0) this.logger.error({ err: e.message, failures: this.failures }, 'alert delivery pass failed; retrying');
      return 0;
    });
    const n = await this.running;
    this.running = null;
    if (!failed) this.failures = 0;
    if (failed) this.schedule(Math.min(30_000, this.options.pollIntervalMs * 2 ** Math.min(this.failures, 10)));
    // A full batch or a nudge during the pass: go again at once.
    else this.schedule(n >= this.options.batchSize || this.again ? 0 : this.options.pollIntervalMs);
    this.again = false;
  }

  /** One pass: claim up to a batch of due deliveries and attempt each once. Returns how many were attempted. */
  async pass(onlyIds?: number[]): Promise<number> {
    return (await this.attemptDue(onlyIds)).length;
  }

  /** Attempt the given deliveries now (those that are pending and due), once each. */
  async deliverNow(ids: number[]): Promise<AttemptReport[]> {
    if (!ids.length) return [];
    return this.attemptDue(ids, ids.length);
  }

  private async attemptDue(onlyIds?: number[], limit = this.options.batchSize): Promise<AttemptReport[]> {
    const claimed = await this.repo.claimDue(limit, this.lease(), onlyIds);
    return Promise.all(claimed.map((d) => this.attempt(d)));
  }

  /** How long a claimed delivery is leased: its channel's timeout plus a margin for rendering and recording. */
  private lease(): { defaultMs: number; byChannel: Record<string, number> } {
    const margin = this.options.leaseMarginMs;
    return {
      defaultMs: this.options.defaultTimeoutMs + margin,
      byChannel: Object.fromEntries(this.config.channels.map((c) => [c.name, this.timeoutOf(c) + margin])),
    };
  }

  private timeoutOf(channel: ChannelConfig): number {
    return channel.timeout ?? this.options.defaultTimeoutMs;
  }

  private async attempt(d: ClaimedDelivery): Promise<AttemptReport> {
    const channel = this.config.channels.find((c) => c.name === d.channel);
    let result: SendResult;
    let permanentReason: string | null = null;
    if (!channel) {
      permanentReason = `channel "${d.channel}" is no longer configured`;
      result = { ok: false, statusCode: null, latencyMs: 0, error: permanentReason, retryAfterMs: null };
    } else {
      try {
        const message = readMessage(d.message);
        const request = channelFor(channel.type).render(message, { channel, idempotencyKey: d.idempotency_key });
        result = await postJson(channel.url, request, { timeoutMs: this.timeoutOf(channel), idempotencyKey: d.idempotency_key });
      } catch (e) {
        permanentReason = `cannot render the message: ${(e as Error).message}`;
        result = { ok: false, statusCode: null, latencyMs: 0, error: permanentReason, retryAfterMs: null };
      }
    }
    const verdict = permanentReason ? 'permanent' : verdictOf(result);
    let outcome: AttemptOutcome['outcome'];
    let delayMs = 0;
    if (verdict === 'sent') outcome = 'sent';
    else if (verdict === 'permanent' || d.attempts >= d.max_attempts) outcome = 'dead';
    else {
      outcome = 'retry';
      delayMs = retryDelayMs(d.attempts, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs, random: this.options.random }, result.retryAfterMs);
    }
    const error = outcome === 'dead' && verdict !== 'permanent' && d.attempts > 1 && result.error ? `${result.error} (gave up after ${d.attempts} attempts)` : result.error;
    const record: AttemptOutcome = { deliveryId: d.id, attemptId: d.attempt_id, statusCode: result.statusCode, latencyMs: result.latencyMs, error, retryAfterMs: result.retryAfterMs, outcome, delayMs };
    await this.repo.recordAttempt(record);
    const log = { delivery: d.id, channel: d.channel, type: d.channel_type, attempt: d.attempts, status: result.statusCode, latencyMs: result.latencyMs, outcome, delayMs, error };
    if (outcome === 'sent') this.logger.info(log, 'alert delivered');
    else if (outcome === 'dead') this.logger.error(log, 'alert delivery failed for good');
    else this.logger.warn(log, 'alert delivery failed; will retry');
    return { ...record, channel: d.channel, attempt: d.attempts };
  }
}
