import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { lockKey } from '../db/locks';
import { bulkInsert } from '../db/bulk';
import type { AnnouncementView, DriftIntervalView } from './plan';

type Q = Pick<EntityManager, 'query'>;

export interface NewDelivery {
  evaluationId: number | null;
  rule: string | null;
  channel: string;
  channelType: string;
  kind: string;
  idempotencyKey: string;
  message: unknown;
  maxAttempts: number;
}

export interface DeliveryRow {
  id: number;
  evaluation_id: number | null;
  rule: string | null;
  channel: string;
  channel_type: string;
  kind: string;
  idempotency_key: string;
  message: unknown;
  status: 'pending' | 'sent' | 'dead';
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
}

export interface ClaimedDelivery extends DeliveryRow {
  attempt_id: number;
}

export interface AttemptRow {
  id: number;
  delivery_id: number;
  attempt: number;
  started_at: Date;
  finished_at: Date | null;
  latency_ms: number | null;
  status_code: number | null;
  error: string | null;
  retry_after_ms: number | null;
  outcome: 'in-flight' | 'sent' | 'retry' | 'dead' | 'interrupted';
}

export interface AttemptOutcome {
  deliveryId: number;
  attemptId: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  retryAfterMs: number | null;
  /** sent, retry (after delayMs) or dead */
  outcome: 'sent' | 'retry' | 'dead';
  delayMs: number;
}

const DELIVERY_COLUMNS = `id::int, evaluation_id::int, rule, channel, channel_type, kind, idempotency_key, message, status, attempts, max_attempts,
  next_attempt_at, last_status_code, last_error, created_at, updated_at, sent_at`;

const INTERVAL_COLUMNS = `d.id::int AS "intervalId", d.object_id::int AS "objectId", d.type, d.opened_at AS "openedAt", d.closed_at AS "closedAt",
  d.opened_by AS "openedBy", d.closed_by AS "closedBy", d.summary, d.changes, o."group", o.kind, o.namespace, o.name`;

/**
 * Storage of the alerts context: evaluations (one per rule and tick),
 * announcements (what each rule said about each drift interval), and the
 * delivery outbox with its attempts. Timing of the outbox (due, leases, retry)
 * uses the database clock, so replicas agree on it.
 */
@Injectable()
export class AlertsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Delete sent and dead deliveries last updated before `before` (attempts go with them: ON DELETE CASCADE). */
  async pruneDeliveries(before: Date): Promise<number> {
    const [, affected]: [unknown[], number] = await this.ds.query(`DELETE FROM deliveries WHERE status IN ('sent', 'dead') AND updated_at < $1`, [before]);
    return affected;
  }

  /** Serialise evaluations of one rule across replicas (released at commit). */
  async lockRule(m: Q, rule: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock($1::bigint)`, [lockKey(`alerts:rule:${rule}`)]);
  }

  /** Record that (rule, tick) is being evaluated; null when it already was. */
  async insertEvaluation(m: Q, rule: string, tick: Date, trigger: 'schedule' | 'manual', at: Date): Promise<number | null> {
    const rows: { id: number }[] = await m.query(
      `INSERT INTO alert_evaluations (rule, tick, trigger, evaluated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT alert_evaluations_rule_tick_uq DO NOTHING RETURNING id::int`,
      [rule, tick, trigger, at],
    );
    return rows[0]?.id ?? null;
  }

  async finishEvaluation(m: Q, id: number, summary: unknown, messages: number): Promise<void> {
    await m.query(`UPDATE alert_evaluations SET summary = $2::jsonb, messages = $3 WHERE id = $1`, [id, JSON.stringify(summary), messages]);
  }

  async evaluationByTick(rule: string, tick: Date, q: Q = this.ds): Promise<{ id: number; messages: number; summary: unknown } | null> {
    const rows = await q.query(`SELECT id::int, messages, summary FROM alert_evaluations WHERE rule = $1 AND tick = $2`, [rule, tick]);
    return rows[0] ?? null;
  }

  /** The latest evaluation of each rule. */
  async lastEvaluations(): Promise<Map<string, { tick: Date; evaluated_at: Date; messages: number; trigger: string }>> {
    const rows: { rule: string; tick: Date; evaluated_at: Date; messages: number; trigger: string }[] = await this.ds.query(
      `SELECT DISTINCT ON (rule) rule, tick, evaluated_at, messages, trigger FROM alert_evaluations ORDER BY rule, tick DESC`,
    );
    return new Map(rows.map((r) => [r.rule, r]));
  }

  /** Drift intervals of an environment open at `at` that opened at or before `openedBefore` (grace). */
  async openIntervalsAt(m: Q, environment: string, at: Date, openedBefore: Date): Promise<DriftIntervalView[]> {
    return m.query(
      `SELECT ${INTERVAL_COLUMNS}
         FROM drift_intervals d JOIN objects o ON o.id = d.object_id
        WHERE d.environment = $1 AND d.opened_at <= $3 AND (d.closed_at IS NULL OR d.closed_at > $2)
        ORDER BY d.opened_at, d.id`,
      [environment, at, openedBefore],
    );
  }

  /**
   * What a rule announced for an environment and has not resolved, with the
   * interval as the drift context has it now (matched by its natural key, so a
   * rebuilt interval still matches; a vanished one reads as closed by nothing).
   */
  async openAnnouncements(m: Q, rule: string, environment: string): Promise<AnnouncementView[]> {
    return m.query(
      `SELECT coalesce(d.id, a.interval_id)::int AS "intervalId", a.object_id::int AS "objectId", a.drift_type AS type, a.opened_at AS "openedAt",
              d.closed_at AS "closedAt", d.opened_by AS "openedBy", d.closed_by AS "closedBy", coalesce(d.summary, '') AS summary,
              coalesce(d.changes, '[]'::jsonb) AS changes, o."group", o.kind, o.namespace, o.name,
              a.first_announced_at AS "firstAnnouncedAt", a.last_announced_at AS "lastAnnouncedAt"
         FROM alert_announcements a
         JOIN objects o ON o.id = a.object_id
         LEFT JOIN drift_intervals d ON d.environment = a.environment AND d.object_id = a.object_id AND d.type = a.drift_type AND d.opened_at = a.opened_at
        WHERE a.rule = $1 AND a.environment = $2 AND a.resolved_at IS NULL
        ORDER BY a.opened_at`,
      [rule, environment],
    );
  }

  async insertAnnouncements(m: Q, rule: string, environment: string, intervals: DriftIntervalView[], at: Date): Promise<void> {
    await bulkInsert(
      m,
      'alert_announcements',
      [
        { name: 'rule', type: 'text' },
        { name: 'environment', type: 'text' },
        { name: 'object_id', type: 'bigint' },
        { name: 'drift_type', type: 'text' },
        { name: 'opened_at', type: 'timestamptz' },
        { name: 'interval_id', type: 'bigint' },
        { name: 'first_announced_at', type: 'timestamptz' },
        { name: 'last_announced_at', type: 'timestamptz' },
      ],
      intervals.map((i) => [rule, environment, i.objectId, i.type, i.openedAt, i.intervalId, at, at]),
      'ON CONFLICT ON CONSTRAINT alert_announcements_pk DO NOTHING',
    );
  }

  private async updateAnnouncements(m: Q, set: string, rule: string, environment: string, keys: { objectId: number; type: string; openedAt: Date }[], at: Date): Promise<void> {
    if (!keys.length) return;
    await m.query(
      `UPDATE alert_announcements a SET ${set}
         FROM unnest($4::bigint[], $5::text[], $6::timestamptz[]) AS k(object_id, drift_type, opened_at)
        WHERE a.rule = $1 AND a.environment = $2 AND a.object_id = k.object_id AND a.drift_type = k.drift_type AND a.opened_at = k.opened_at`,
      [rule, environment, at, keys.map((k) => k.objectId), keys.map((k) => k.type), keys.map((k) => k.openedAt)],
    );
  }

  /** These were shown again (in a reminder, or beside new drift). */
  touchAnnouncements(m: Q, rule: string, environment: string, keys: { objectId: number; type: string; openedAt: Date }[], at: Date): Promise<void> {
    return this.updateAnnouncements(m, 'last_announced_at = $3', rule, environment, keys, at);
  }

  resolveAnnouncements(m: Q, rule: string, environment: string, keys: { objectId: number; type: string; openedAt: Date }[], at: Date): Promise<void> {
    return this.updateAnnouncements(m, 'resolved_at = $3', rule, environment, keys, at);
  }

  async insertDeliveries(m: Q, rows: NewDelivery[]): Promise<number[]> {
    const out = await bulkInsert(
      m,
      'deliveries',
      [
        { name: 'evaluation_id', type: 'bigint' },
        { name: 'rule', type: 'text' },
        { name: 'channel', type: 'text' },
        { name: 'channel_type', type: 'text' },
        { name: 'kind', type: 'text' },
        { name: 'idempotency_key', type: 'text' },
        { name: 'message', type: 'jsonb' },
        { name: 'max_attempts', type: 'integer' },
      ],
      rows.map((r) => [r.evaluationId, r.rule, r.channel, r.channelType, r.kind, r.idempotencyKey, r.message, r.maxAttempts]),
      'ON CONFLICT ON CONSTRAINT deliveries_idempotency_key_uq DO NOTHING RETURNING id::int',
    );
    return out.map((r) => Number(r.id));
  }

  /**
   * Claim due deliveries for one attempt each: lease them for their channel's
   * lease (another replica skips a leased row), count the attempt, and open its
   * attempt record. An attempt
   * left in flight by a process that died is marked interrupted.
   */
  async claimDue(limit: number, lease: { defaultMs: number; byChannel: Record<string, number> }, onlyIds?: number[]): Promise<ClaimedDelivery[]> {
    return this.ds.transaction(async (m) => {
      // (A CTE, so the statement is a SELECT: TypeORM returns an UPDATE's rows with its row count.)
      const claimed: DeliveryRow[] = await m.query(
        `WITH claimed AS (UPDATE deliveries d
            SET locked_until = clock_timestamp() + make_interval(secs => coalesce(($4::jsonb ->> d.channel)::double precision, $2::double precision) / 1000),
                attempts = d.attempts + 1, updated_at = clock_timestamp()
          WHERE d.id IN (
                SELECT id FROM deliveries
                 WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
                   AND (locked_until IS NULL OR locked_until <= clock_timestamp())
                   AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))
                 ORDER BY next_attempt_at, id
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED)
          RETURNING ${DELIVERY_COLUMNS})
         SELECT * FROM claimed ORDER BY next_attempt_at, id`,
        [limit, lease.defaultMs, onlyIds ?? null, JSON.stringify(lease.byChannel)],
      );
      if (!claimed.length) return [];
      const ids = claimed.map((c) => c.id);
      await m.query(`UPDATE delivery_attempts SET outcome = 'interrupted', finished_at = clock_timestamp() WHERE delivery_id = ANY($1::bigint[]) AND outcome = 'in-flight'`, [ids]);
      const attempts: { id: number; delivery_id: number }[] = await m.query(
        `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, outcome)
         SELECT u.id, u.attempt, clock_timestamp(), 'in-flight' FROM unnest($1::bigint[], $2::int[]) AS u(id, attempt)
         RETURNING id::int, delivery_id::int`,
        [ids, claimed.map((c) => c.attempts)],
      );
      const byDelivery = new Map(attempts.map((a) => [a.delivery_id, a.id]));
      return claimed.map((c) => ({ ...c, attempt_id: byDelivery.get(c.id)! }));
    });
  }

  /** Close an attempt and move its delivery on: sent, due again after the delay, or dead. */
  async recordAttempt(o: AttemptOutcome): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(
        `UPDATE delivery_attempts SET finished_at = clock_timestamp(), latency_ms = $2, status_code = $3, error = $4, retry_after_ms = $5, outcome = $6 WHERE id = $1`,
        [o.attemptId, o.latencyMs, o.statusCode, o.error, o.retryAfterMs, o.outcome],
      );
      await m.query(
        `UPDATE deliveries
            SET status = CASE $2::text WHEN 'sent' THEN 'sent' WHEN 'dead' THEN 'dead' ELSE 'pending' END,
                next_attempt_at = CASE $2::text WHEN 'retry' THEN clock_timestamp() + make_interval(secs => $3::double precision / 1000) ELSE next_attempt_at END,
                sent_at = CASE $2::text WHEN 'sent' THEN clock_timestamp() ELSE sent_at END,
                last_status_code = $4, last_error = $5, locked_until = NULL, updated_at = clock_timestamp()
          WHERE id = $1`,
        [o.deliveryId, o.outcome, o.delayMs, o.statusCode, o.error],
      );
    });
  }

  /** Newest first, optionally by status, after a cursor (a delivery id). */
  async listDeliveries(status: string | undefined, limit: number, beforeId: number | null): Promise<DeliveryRow[]> {
    return this.ds.query(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries
        WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR id < $2)
        ORDER BY id DESC LIMIT $3`,
      [status ?? null, beforeId, limit],
    );
  }

  async deliveriesByIds(ids: number[]): Promise<DeliveryRow[]> {
    if (!ids.length) return [];
    return this.ds.query(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids]);
  }

  async attemptsFor(deliveryIds: number[]): Promise<AttemptRow[]> {
    if (!deliveryIds.length) return [];
    return this.ds.query(
      `SELECT id::int, delivery_id::int, attempt, started_at, finished_at, latency_ms, status_code, error, retry_after_ms, outcome
         FROM delivery_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, attempt, id`,
      [deliveryIds],
    );
  }

  async pendingIdsOfEvaluation(evaluationId: number): Promise<number[]> {
    const rows: { id: number }[] = await this.ds.query(`SELECT id::int FROM deliveries WHERE evaluation_id = $1 AND status = 'pending' ORDER BY id`, [evaluationId]);
    return rows.map((r) => r.id);
  }

  /** When the next pending delivery is due, relative to now (ms; 0 when overdue), or null when none waits. */
  async msUntilNextDue(): Promise<number | null> {
    const rows: { ms: number | null }[] = await this.ds.query(
      `SELECT greatest(0, extract(epoch FROM (min(greatest(next_attempt_at, coalesce(locked_until, next_attempt_at))) - clock_timestamp())) * 1000)::float8 AS ms
         FROM deliveries WHERE status = 'pending'`,
    );
    return rows[0]?.ms ?? null;
  }
}
