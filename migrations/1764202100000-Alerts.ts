import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled drift alerts.
 *
 * - `alert_evaluations`: one row per (rule, tick). The unique key makes an
 *   evaluation idempotent: a second replica, a retried job or a repeated tick
 *   finds the row and does nothing.
 * - `alert_announcements`: what each rule has announced per environment and
 *   drift interval (by the interval's natural key, so `drift --rebuild`, which
 *   recreates intervals with new ids, does not re-announce them), when it was
 *   last shown, and when its resolution was recorded.
 * - `deliveries`: the outbox. Written in the same transaction as the
 *   evaluation and its announcements; a worker sends each row and records every
 *   attempt in `delivery_attempts`.
 *
 * No foreign key points at drift_intervals: the drift context may delete and
 * rebuild its intervals at any time.
 */
export class Alerts1764202100000 implements MigrationInterface {
  name = 'Alerts1764202100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alert_evaluations (
        id            bigint GENERATED ALWAYS AS IDENTITY,
        rule          text        NOT NULL,
        tick          timestamptz NOT NULL,
        trigger       text        NOT NULL,
        evaluated_at  timestamptz NOT NULL,
        summary       jsonb       NOT NULL DEFAULT '{}',
        messages      integer     NOT NULL DEFAULT 0,
        CONSTRAINT alert_evaluations_pk PRIMARY KEY (id),
        CONSTRAINT alert_evaluations_rule_tick_uq UNIQUE (rule, tick),
        CONSTRAINT alert_evaluations_trigger_ck CHECK (trigger IN ('schedule', 'manual'))
      )`);
    await q.query(`
      CREATE TABLE alert_announcements (
        rule               text        NOT NULL,
        environment        text        NOT NULL,
        object_id          bigint      NOT NULL,
        drift_type         text        NOT NULL,
        opened_at          timestamptz NOT NULL,
        interval_id        bigint      NOT NULL,
        first_announced_at timestamptz NOT NULL,
        last_announced_at  timestamptz NOT NULL,
        resolved_at        timestamptz,
        CONSTRAINT alert_announcements_pk PRIMARY KEY (rule, environment, object_id, drift_type, opened_at),
        CONSTRAINT alert_announcements_object_fk FOREIGN KEY (object_id) REFERENCES objects (id)
      )`);
    await q.query(`CREATE INDEX alert_announcements_open_idx ON alert_announcements (rule, environment) WHERE resolved_at IS NULL`);
    await q.query(`
      CREATE TABLE deliveries (
        id               bigint GENERATED ALWAYS AS IDENTITY,
        evaluation_id    bigint,
        rule             text,
        channel          text        NOT NULL,
        channel_type     text        NOT NULL,
        kind             text        NOT NULL,
        idempotency_key  text        NOT NULL,
        message          jsonb       NOT NULL,
        status           text        NOT NULL DEFAULT 'pending',
        attempts         integer     NOT NULL DEFAULT 0,
        max_attempts     integer     NOT NULL,
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        locked_until     timestamptz,
        last_status_code integer,
        last_error       text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        sent_at          timestamptz,
        CONSTRAINT deliveries_pk PRIMARY KEY (id),
        CONSTRAINT deliveries_idempotency_key_uq UNIQUE (idempotency_key),
        CONSTRAINT deliveries_evaluation_fk FOREIGN KEY (evaluation_id) REFERENCES alert_evaluations (id) ON DELETE SET NULL,
        CONSTRAINT deliveries_status_ck CHECK (status IN ('pending', 'sent', 'dead')),
        CONSTRAINT deliveries_attempts_ck CHECK (attempts >= 0 AND max_attempts >= 1)
      )`);
    // The worker's claim: due pending rows in order.
    await q.query(`CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at, id) WHERE status = 'pending'`);
    // The API's listing: newest first, optionally by status.
    await q.query(`CREATE INDEX deliveries_status_id_idx ON deliveries (status, id DESC)`);
    await q.query(`CREATE INDEX deliveries_evaluation_idx ON deliveries (evaluation_id)`);
    await q.query(`
      CREATE TABLE delivery_attempts (
        id             bigint GENERATED ALWAYS AS IDENTITY,
        delivery_id    bigint      NOT NULL,
        attempt        integer     NOT NULL,
        started_at     timestamptz NOT NULL,
        finished_at    timestamptz,
        latency_ms     integer,
        status_code    integer,
        error          text,
        retry_after_ms integer,
        outcome        text        NOT NULL,
        CONSTRAINT delivery_attempts_pk PRIMARY KEY (id),
        CONSTRAINT delivery_attempts_delivery_fk FOREIGN KEY (delivery_id) REFERENCES deliveries (id) ON DELETE CASCADE,
        CONSTRAINT delivery_attempts_outcome_ck CHECK (outcome IN ('in-flight', 'sent', 'retry', 'dead', 'interrupted'))
      )`);
    await q.query(`CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, attempt)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE delivery_attempts`);
    await q.query(`DROP TABLE deliveries`);
    await q.query(`DROP TABLE alert_announcements`);
    await q.query(`DROP TABLE alert_evaluations`);
  }
}
