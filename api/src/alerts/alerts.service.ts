import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CONFIG } from '../config/config.tokens';
import type { ChannelConfig, DriftlineConfig } from '../config/schema';
import { DomainError, notFound } from '../common/errors';
import { AlertEvaluatorService, idempotencyKey, stableId } from './alert-evaluator.service';
import { AlertSchedulerService } from './alert-scheduler.service';
import { AlertsRepository, AttemptRow, DeliveryRow } from './alerts.repository';
import { DeliveryWorkerService } from './delivery-worker.service';
import { AlertMessage, readMessage } from './message';
import { buildMessage, driftPageLink } from './plan';
import { maskUrl } from './sender';
import { nextRun } from './rules';

export interface ChannelTestResult {
  channel: string;
  type: string;
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  deliveryId: number;
}

/** An example message for `alerts test`: one made-up drifted object, clearly labelled. */
export function testMessage(channel: string, baseUrl: string | undefined, now: Date): AlertMessage {
  const since = new Date(now.getTime() - 42 * 60_000);
  return buildMessage({
    id: stableId('test', channel, now.toISOString()),
    kind: 'test',
    rule: null,
    tick: now,
    generatedAt: now,
    sections: [
      {
        environment: 'example',
        link: driftPageLink(baseUrl, 'example'),
        counts: { new: { total: 1, byKind: { Deployment: 1 } }, persisting: { total: 0, byKind: {} }, resolved: { total: 0, byKind: {} } },
        items: [
          {
            state: 'new',
            group: 'apps',
            kind: 'Deployment',
            namespace: 'example',
            name: 'driftline-test',
            type: 'modified',
            summary: `This is a test message from Driftline to channel "${channel}"; nothing drifted.`,
            diff: ['spec.replicas: 2 → 3 (by kubectl-scale)'],
            since: since.toISOString(),
            cause: 'kubectl-scale (Update)',
            resolvedAt: null,
            resolvedBy: null,
          },
        ],
        omitted: 0,
      },
    ],
  });
}

export interface DeliveryView {
  id: number;
  channel: string;
  channelType: string;
  rule: string | null;
  kind: string;
  title: string;
  environments: string[];
  status: string;
  attempts: number;
  maxAttempts: number;
  idempotencyKey: string;
  createdAt: string;
  nextAttemptAt: string | null;
  sentAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  attemptLog: {
    attempt: number;
    startedAt: string;
    finishedAt: string | null;
    latencyMs: number | null;
    statusCode: number | null;
    error: string | null;
    retryAfterMs: number | null;
    outcome: string;
  }[];
}

function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

function decodeCursor(c: string | undefined): number | null {
  if (!c) return null;
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof v.id === 'number' && Number.isInteger(v.id) && v.id > 0) return v.id;
  } catch {
    /* fall through */
  }
  throw new DomainError('alerts.bad_cursor', 'cursor: not a cursor this API returned', 400);
}

/** What the alerts API and CLI show and do: channels (masked), rules, deliveries, test messages. */
@Injectable()
export class AlertsService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: AlertsRepository,
    private readonly evaluator: AlertEvaluatorService,
    private readonly worker: DeliveryWorkerService,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Optional() private readonly scheduler?: AlertSchedulerService,
  ) {}

  private channel(name: string): ChannelConfig {
    const c = this.config.channels.find((x) => x.name === name);
    if (!c) throw notFound('channel', name);
    return c;
  }

  channels() {
    return this.config.channels.map((c) => ({
      name: c.name,
      type: c.type,
      url: maskUrl(c.url),
      signed: !!c.secret,
      timeoutMs: c.timeout ?? this.evaluator.options.defaultTimeoutMs,
      rules: this.config.alerts.filter((a) => a.channels.includes(c.name)).map((a) => a.name),
    }));
  }

  async rules() {
    const last = await this.repo.lastEvaluations();
    const now = this.evaluator.now();
    return this.evaluator.ruleNames().map((name) => {
      const r = this.evaluator.rule(name).config;
      const l = last.get(name);
      return {
        name,
        environments: r.environments,
        schedule: r.schedule,
        timezone: r.timezone,
        graceMs: r.grace,
        reminderMs: r.reminder ?? null,
        notifyResolved: r.notifyResolved,
        digest: r.digest,
        kinds: r.kinds,
        namespaces: r.namespaces,
        driftTypes: r.driftTypes,
        channels: r.channels,
        maxAttempts: r.maxAttempts,
        nextRunAt: nextRun(r, now).toISOString(),
        scheduler: this.scheduler?.schedulerMode ?? 'off',
        lastEvaluation: l ? { tick: l.tick.toISOString(), evaluatedAt: l.evaluated_at.toISOString(), trigger: l.trigger, messages: l.messages } : null,
      };
    });
  }

  async deliveries(q: { status?: 'pending' | 'sent' | 'dead'; limit: number; cursor?: string }): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    const rows = await this.repo.listDeliveries(q.status, q.limit + 1, decodeCursor(q.cursor));
    const page = rows.slice(0, q.limit);
    const items = await this.views(page);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null };
  }

  async views(rows: DeliveryRow[]): Promise<DeliveryView[]> {
    const attempts = await this.repo.attemptsFor(rows.map((r) => r.id));
    const byDelivery = new Map<number, AttemptRow[]>();
    for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
    return rows.map((r) => {
      let title = '';
      let environments: string[] = [];
      try {
        const m = readMessage(r.message);
        title = m.title;
        environments = m.sections.map((s) => s.environment);
      } catch {
        title = '(unreadable message)';
      }
      return {
        id: r.id,
        channel: r.channel,
        channelType: r.channel_type,
        rule: r.rule,
        kind: r.kind,
        title,
        environments,
        status: r.status,
        attempts: r.attempts,
        maxAttempts: r.max_attempts,
        idempotencyKey: r.idempotency_key,
        createdAt: r.created_at.toISOString(),
        nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
        sentAt: r.sent_at?.toISOString() ?? null,
        lastStatusCode: r.last_status_code,
        lastError: r.last_error,
        attemptLog: (byDelivery.get(r.id) ?? []).map((a) => ({
          attempt: a.attempt,
          startedAt: a.started_at.toISOString(),
          finishedAt: a.finished_at?.toISOString() ?? null,
          latencyMs: a.latency_ms,
          statusCode: a.status_code,
          error: a.error,
          retryAfterMs: a.retry_after_ms,
          outcome: a.outcome,
        })),
      };
    });
  }

  /** Send a test message to a channel now, once, recorded like any delivery. */
  async testChannel(name: string): Promise<ChannelTestResult> {
    const channel = this.channel(name);
    const message = testMessage(channel.name, this.config.server.baseUrl, new Date());
    const [id] = await this.repo.insertDeliveries(this.ds, [
      { evaluationId: null, rule: null, channel: channel.name, channelType: channel.type, kind: 'test', idempotencyKey: idempotencyKey(message.id, channel.name), message, maxAttempts: 1 },
    ]);
    if (id === undefined) throw new DomainError('alerts.test_conflict', 'a test message with this id was already sent; try again', 409);
    const [report] = await this.worker.deliverNow([id]);
    if (!report) throw new DomainError('alerts.test_not_sent', 'the test message could not be claimed for sending', 500);
    return { channel: channel.name, type: channel.type, ok: report.outcome === 'sent', statusCode: report.statusCode, latencyMs: report.latencyMs, error: report.error, deliveryId: id };
  }
}

