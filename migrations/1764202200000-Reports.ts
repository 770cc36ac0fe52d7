import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit reports.
 *
 * - `drift_events`: an append-only, hash-chained log (one chain per
 *   environment) of every change to a drift interval: opened, recorded (inserted
 *   already closed), closed, reopened, updated (summary) and retracted (deleted
 *   by a replay or a rebuild). drift_intervals stay derived and mutable; their
 *   edges become provable records. A row trigger writes the event in the same
 *   transaction as the interval change, whichever code path made it (the drift
 *   engine's replay, `drift --rebuild`'s bulk delete, or SQL typed by hand), so
 *   no path can change an interval without leaving a chained record.
 *   `drift_chain_heads` holds each chain's head; the trigger locks that row, so
 *   concurrent writers extend the chain one at a time instead of forking it.
 *   The hashed record is canonical JSON built in SQL exactly as
 *   api/src/core/chain.ts builds it (keys sorted, no whitespace), so
 *   `driftline report verify` recomputes it in TypeScript.
 * - `reports`: report jobs and every report generated (API or CLI): scope,
 *   status, progress, the file, its sha256 and the integrity manifest.
 * - `report_scratch`: per-run working rows of a report being generated
 *   (unlogged: losing them in a crash only means the job runs again).
 */
export class Reports1764202200000 implements MigrationInterface {
  name = 'Reports1764202200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE drift_events (
        id           bigint GENERATED ALWAYS AS IDENTITY,
        environment  text        NOT NULL,
        interval_id  bigint      NOT NULL,
        op           text        NOT NULL,
        object_id    bigint      NOT NULL,
        type         text        NOT NULL,
        opened_at    timestamptz NOT NULL,
        closed_at    timestamptz,
        opened_by    jsonb       NOT NULL,
        closed_by    jsonb,
        summary      text        NOT NULL,
        recorded_at  timestamptz NOT NULL DEFAULT now(),
        prev_hash    char(64),
        hash         char(64)    NOT NULL,
        CONSTRAINT drift_events_pk PRIMARY KEY (id),
        CONSTRAINT drift_events_op_ck CHECK (op IN ('opened', 'recorded', 'closed', 'reopened', 'updated', 'retracted'))
      )`);
    await q.query(`CREATE INDEX drift_events_env_idx ON drift_events (environment, id)`);
    await q.query(`CREATE INDEX drift_events_interval_idx ON drift_events (environment, interval_id, id)`);
    await q.query(`
      CREATE TABLE drift_chain_heads (
        environment  text     NOT NULL,
        head_id      bigint,
        head_hash    char(64),
        CONSTRAINT drift_chain_heads_pk PRIMARY KEY (environment)
      )`);
    // ISO 8601 in UTC with milliseconds: what Date.prototype.toISOString() gives.
    await q.query(`
      CREATE FUNCTION driftline_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$`);
    // The chained record of a drift event, as canonical JSON (keys in code point order).
    await q.query(`
      CREATE FUNCTION driftline_drift_event_record(
        p_environment text, p_interval bigint, p_op text, p_object bigint, p_type text,
        p_opened_at timestamptz, p_closed_at timestamptz, p_opened_by jsonb, p_closed_by jsonb, p_summary text
      ) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT '{"closedAt":' || coalesce(to_json(driftline_iso(p_closed_at))::text, 'null')
            || ',"closedBy":' || coalesce(to_json(p_closed_by::text)::text, 'null')
            || ',"environment":' || to_json(p_environment)::text
            || ',"interval":' || p_interval::text
            || ',"object":' || p_object::text
            || ',"op":' || to_json(p_op)::text
            || ',"openedAt":' || to_json(driftline_iso(p_opened_at))::text
            || ',"openedBy":' || to_json(p_opened_by::text)::text
            || ',"summary":' || to_json(p_summary)::text
            || ',"type":' || to_json(p_type)::text
            || '}'
      $$`);
    await q.query(`
      CREATE FUNCTION driftline_append_drift_event(r drift_intervals, p_op text) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        prev char(64);
        h char(64);
        new_id bigint;
      BEGIN
        INSERT INTO drift_chain_heads (environment) VALUES (r.environment) ON CONFLICT ON CONSTRAINT drift_chain_heads_pk DO NOTHING;
        SELECT head_hash INTO prev FROM drift_chain_heads WHERE environment = r.environment FOR UPDATE;
        h := encode(sha256(convert_to(coalesce(prev, '') || E'\\n' || driftline_drift_event_record(
               r.environment, r.id, p_op, r.object_id, r.type, r.opened_at, r.closed_at, r.opened_by, r.closed_by, r.summary), 'UTF8')), 'hex');
        INSERT INTO drift_events (environment, interval_id, op, object_id, type, opened_at, closed_at, opened_by, closed_by, summary, prev_hash, hash)
             VALUES (r.environment, r.id, p_op, r.object_id, r.type, r.opened_at, r.closed_at, r.opened_by, r.closed_by, r.summary, prev, h)
          RETURNING id INTO new_id;
        UPDATE drift_chain_heads SET head_id = new_id, head_hash = h WHERE environment = r.environment;
      END
      $$`);
    await q.query(`
      CREATE FUNCTION driftline_drift_intervals_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM driftline_append_drift_event(NEW, CASE WHEN NEW.closed_at IS NULL THEN 'opened' ELSE 'recorded' END);
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM driftline_append_drift_event(OLD, 'retracted');
        ELSIF (NEW.environment, NEW.object_id, NEW.type, NEW.opened_at, NEW.opened_by, NEW.summary) IS DISTINCT FROM
              (OLD.environment, OLD.object_id, OLD.type, OLD.opened_at, OLD.opened_by, OLD.summary)
           OR NEW.closed_at IS DISTINCT FROM OLD.closed_at OR NEW.closed_by IS DISTINCT FROM OLD.closed_by THEN
          PERFORM driftline_append_drift_event(NEW, CASE
            WHEN OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL THEN 'closed'
            WHEN OLD.closed_at IS NOT NULL AND NEW.closed_at IS NULL THEN 'reopened'
            ELSE 'updated' END);
        END IF;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER drift_intervals_chain_trg AFTER INSERT OR UPDATE OR DELETE ON drift_intervals
        FOR EACH ROW EXECUTE FUNCTION driftline_drift_intervals_chain()`);
    // Intervals that exist already get their first event now, so every interval has one.
    await q.query(`
      DO $$
      DECLARE r drift_intervals;
      BEGIN
        FOR r IN SELECT * FROM drift_intervals ORDER BY id LOOP
          PERFORM driftline_append_drift_event(r, CASE WHEN r.closed_at IS NULL THEN 'opened' ELSE 'recorded' END);
        END LOOP;
      END
      $$`);

    await q.query(`
      CREATE TABLE reports (
        id            uuid        NOT NULL,
        status        text        NOT NULL,
        format        text        NOT NULL,
        scope         jsonb       NOT NULL,
        snapshot      jsonb,
        progress      real        NOT NULL DEFAULT 0,
        phase         text,
        error         text,
        path          text,
        size          bigint,
        sha256        char(64),
        records       integer,
        manifest      jsonb,
        created_by    text        NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        started_at    timestamptz,
        finished_at   timestamptz,
        worker        text,
        heartbeat_at  timestamptz,
        attempts      integer     NOT NULL DEFAULT 0,
        CONSTRAINT reports_pk PRIMARY KEY (id),
        CONSTRAINT reports_status_ck CHECK (status IN ('queued', 'running', 'done', 'failed')),
        CONSTRAINT reports_format_ck CHECK (format IN ('csv', 'json', 'pdf')),
        CONSTRAINT reports_progress_ck CHECK (progress >= 0 AND progress <= 1)
      )`);
    await q.query(`CREATE INDEX reports_created_idx ON reports (created_at DESC)`);
    await q.query(`CREATE INDEX reports_queued_idx ON reports (created_at) WHERE status IN ('queued', 'running')`);
    await q.query(`CREATE INDEX reports_sha256_idx ON reports (sha256)`);

    await q.query(`
      CREATE UNLOGGED TABLE report_scratch (
        run         uuid        NOT NULL,
        kind        char(1)     NOT NULL,
        env         text        NOT NULL,
        sort_at     timestamptz NOT NULL,
        sort_seq    bigint      NOT NULL,
        ref         bigint      NOT NULL,
        t1          timestamptz,
        ref2        bigint,
        prev_doc    char(64),
        reason      text,
        info        text,
        paths       text,
        summary     text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT report_scratch_pk PRIMARY KEY (run, kind, env, sort_at, sort_seq, ref),
        CONSTRAINT report_scratch_kind_ck CHECK (kind IN ('d', 'o', 'i'))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_scratch`);
    await q.query(`DROP TABLE reports`);
    await q.query(`DROP TRIGGER drift_intervals_chain_trg ON drift_intervals`);
    await q.query(`DROP FUNCTION driftline_drift_intervals_chain()`);
    await q.query(`DROP FUNCTION driftline_append_drift_event(drift_intervals, text)`);
    await q.query(`DROP FUNCTION driftline_drift_event_record(text, bigint, text, bigint, text, timestamptz, timestamptz, jsonb, jsonb, text)`);
    await q.query(`DROP FUNCTION driftline_iso(timestamptz)`);
    await q.query(`DROP TABLE drift_chain_heads`);
    await q.query(`DROP TABLE drift_events`);
  }
}
