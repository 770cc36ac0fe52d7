import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drift over time: one interval per (environment, object, drift type), opened
 * and closed as desired and live revisions arrive, each recording what opened
 * it and what closed it. Derived data: `driftline drift --rebuild` recomputes
 * every interval from the raw revisions.
 */
export class Drift1764202000000 implements MigrationInterface {
  name = 'Drift1764202000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE drift_intervals (
        id           bigint GENERATED ALWAYS AS IDENTITY,
        environment  text        NOT NULL,
        object_id    bigint      NOT NULL,
        type         text        NOT NULL,
        opened_at    timestamptz NOT NULL,
        closed_at    timestamptz,
        opened_by    jsonb       NOT NULL,
        closed_by    jsonb,
        summary      text        NOT NULL,
        changes      jsonb       NOT NULL DEFAULT '[]',
        CONSTRAINT drift_intervals_pk PRIMARY KEY (id),
        CONSTRAINT drift_intervals_object_fk FOREIGN KEY (object_id) REFERENCES objects (id),
        CONSTRAINT drift_intervals_type_ck CHECK (type IN ('missing', 'modified', 'orphaned', 'unmanaged')),
        CONSTRAINT drift_intervals_order_ck CHECK (closed_at IS NULL OR closed_at >= opened_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX drift_intervals_open_uq ON drift_intervals (environment, object_id) WHERE closed_at IS NULL`);
    await q.query(`CREATE INDEX drift_intervals_env_time_idx ON drift_intervals (environment, opened_at)`);
    await q.query(`CREATE INDEX drift_intervals_env_closed_idx ON drift_intervals (environment, closed_at)`);
    await q.query(`CREATE INDEX drift_intervals_object_idx ON drift_intervals (object_id, environment)`);
    await q.query(`
      CREATE TABLE drift_cursors (
        environment      text   NOT NULL,
        last_desired_id  bigint NOT NULL DEFAULT 0,
        last_live_id     bigint NOT NULL DEFAULT 0,
        CONSTRAINT drift_cursors_pk PRIMARY KEY (environment)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE drift_cursors`);
    await q.query(`DROP TABLE drift_intervals`);
  }
}
