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
 *   `drift_chain_heads` holds each chain's head; the triggers (one call per
 *   statement, through transition tables) lock that row once per statement, so
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
    // Appends one event after `prev` (no head bookkeeping): returns the event's hash.
    await q.query(`
      CREATE FUNCTION driftline_drift_event_insert(prev char(64), r drift_intervals, p_op text) RETURNS char(64) LANGUAGE plpgsql AS $$
      DECLARE
        h char(64);
      BEGIN
        h := encode(sha256(convert_to(coalesce(prev, '') || E'\\n' || driftline_drift_event_record(
               r.environment, r.id, p_op, r.object_id, r.type, r.opened_at, r.closed_at, r.opened_by, r.closed_by, r.summary), 'UTF8')), 'hex');
        INSERT INTO drift_events (environment, interval_id, op, object_id, type, opened_at, closed_at, opened_by, closed_by, summary, prev_hash, hash)
             VALUES (r.environment, r.id, p_op, r.object_id, r.type, r.opened_at, r.closed_at, r.opened_by, r.closed_by, r.summary, prev, h);
        RETURN h;
      END
      $$`);
    // Chains a set of changed intervals, environment by environment, in id order. Each environment's
    // head row is locked once and written once per statement (a row per interval would pile up row
    // versions of the head inside a large transaction, and slow every step).
    await q.query(`
      CREATE FUNCTION driftline_drift_events_chain(p_rows drift_intervals[], p_ops text[]) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        i int;
        env text := NULL;
        prev char(64);
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_rows, 1), 0) LOOP
          IF env IS DISTINCT FROM (p_rows[i]).environment THEN
            IF env IS NOT NULL THEN
              UPDATE drift_chain_heads SET head_hash = prev, head_id = (SELECT max(id) FROM drift_events WHERE environment = env) WHERE environment = env;
            END IF;
            env := (p_rows[i]).environment;
            INSERT INTO drift_chain_heads (environment) VALUES (env) ON CONFLICT ON CONSTRAINT drift_chain_heads_pk DO NOTHING;
            SELECT head_hash INTO prev FROM drift_chain_heads WHERE environment = env FOR UPDATE;
          END IF;
          prev := driftline_drift_event_insert(prev, p_rows[i], p_ops[i]);
        END LOOP;
        IF env IS NOT NULL THEN
          UPDATE drift_chain_heads SET head_hash = prev, head_id = (SELECT max(id) FROM drift_events WHERE environment = env) WHERE environment = env;
        END IF;
      END
      $$`);
    // Statement-level triggers with transition tables: one call per statement, whatever its size.
    await q.query(`
      CREATE FUNCTION driftline_drift_intervals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM driftline_drift_events_chain(
          (SELECT array_agg(ROW(n.*)::drift_intervals ORDER BY n.environment, n.id) FROM new_rows n),
          (SELECT array_agg(CASE WHEN n.closed_at IS NULL THEN 'opened' ELSE 'recorded' END ORDER BY n.environment, n.id) FROM new_rows n));
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE FUNCTION driftline_drift_intervals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM driftline_drift_events_chain(array_agg(c.n ORDER BY (c.n).environment, (c.n).id), array_agg(c.op ORDER BY (c.n).environment, (c.n).id))
           FROM (SELECT ROW(n.*)::drift_intervals AS n, CASE WHEN o.closed_at IS NULL AND n.closed_at IS NOT NULL THEN 'closed'
                                WHEN o.closed_at IS NOT NULL AND n.closed_at IS NULL THEN 'reopened'
                                ELSE 'updated' END AS op
                   FROM new_rows n JOIN old_rows o ON o.id = n.id
                  WHERE (n.environment, n.object_id, n.type, n.opened_at, n.opened_by, n.summary) IS DISTINCT FROM
                        (o.environment, o.object_id, o.type, o.opened_at, o.opened_by, o.summary)
                     OR n.closed_at IS DISTINCT FROM o.closed_at OR n.closed_by IS DISTINCT FROM o.closed_by) c;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE FUNCTION driftline_drift_intervals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM driftline_drift_events_chain(
          (SELECT array_agg(ROW(o.*)::drift_intervals ORDER BY o.environment, o.id) FROM old_rows o),
          (SELECT array_agg('retracted'::text ORDER BY o.environment, o.id) FROM old_rows o));
        RETURN NULL;
      END
      $$`);
    await q.query(`CREATE TRIGGER drift_intervals_chain_ins AFTER INSERT ON drift_intervals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION driftline_drift_intervals_inserted()`);
    await q.query(`CREATE TRIGGER drift_intervals_chain_upd AFTER UPDATE ON drift_intervals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION driftline_drift_intervals_updated()`);
    await q.query(`CREATE TRIGGER drift_intervals_chain_del AFTER DELETE ON drift_intervals REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION driftline_drift_intervals_deleted()`);
    // Intervals that exist already get their first event now, so every interval has one.
    await q.query(`
      SELECT driftline_drift_events_chain(
        (SELECT array_agg(d ORDER BY d.environment, d.id) FROM drift_intervals d),
        (SELECT array_agg(CASE WHEN d.closed_at IS NULL THEN 'opened' ELSE 'recorded' END ORDER BY d.environment, d.id) FROM drift_intervals d))`);

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
    for (const t of ['drift_intervals_chain_ins', 'drift_intervals_chain_upd', 'drift_intervals_chain_del']) await q.query(`DROP TRIGGER ${t} ON drift_intervals`);
    for (const f of ['driftline_drift_intervals_inserted()', 'driftline_drift_intervals_updated()', 'driftline_drift_intervals_deleted()']) await q.query(`DROP FUNCTION ${f}`);
    await q.query(`DROP FUNCTION driftline_drift_events_chain(drift_intervals[], text[])`);
    await q.query(`DROP FUNCTION driftline_drift_event_insert(char(64), drift_intervals, text)`);
    await q.query(`DROP FUNCTION driftline_drift_event_record(text, bigint, text, bigint, text, timestamptz, timestamptz, jsonb, jsonb, text)`);
    await q.query(`DROP FUNCTION driftline_iso(timestamptz)`);
    await q.query(`DROP TABLE drift_chain_heads`);
    await q.query(`DROP TABLE drift_events`);
  }
}
