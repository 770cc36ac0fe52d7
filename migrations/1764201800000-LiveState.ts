import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The live half: clusters, the kinds watched in each, live object revisions (a
 * row only where an object's normalized document changed; partitioned by month
 * so retention drops partitions), the current live state per object (for
 * relist reconciliation), and gaps — periods a kind could not be observed.
 */
export class LiveState1764201800000 implements MigrationInterface {
  name = 'LiveState1764201800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE clusters (
        id             bigint GENERATED ALWAYS AS IDENTITY,
        name           text        NOT NULL,
        server         text,
        connected      boolean     NOT NULL DEFAULT false,
        leader         text,
        leader_since   timestamptz,
        last_event_at  timestamptz,
        last_list_at   timestamptz,
        last_error     text,
        created_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT clusters_pk PRIMARY KEY (id),
        CONSTRAINT clusters_name_uq UNIQUE (name)
      )`);
    await q.query(`
      CREATE TABLE cluster_kinds (
        cluster_id        bigint  NOT NULL,
        "group"           text    NOT NULL,
        version           text    NOT NULL,
        kind              text    NOT NULL,
        plural            text    NOT NULL,
        namespaced        boolean NOT NULL,
        watched           boolean NOT NULL,
        resource_version  text,
        status            text    NOT NULL DEFAULT 'pending',
        last_error        text,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT cluster_kinds_pk PRIMARY KEY (cluster_id, "group", kind),
        CONSTRAINT cluster_kinds_cluster_fk FOREIGN KEY (cluster_id) REFERENCES clusters (id) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE live_revisions (
        id                bigint GENERATED ALWAYS AS IDENTITY,
        cluster_id        bigint      NOT NULL,
        object_id         bigint      NOT NULL,
        observed_at       timestamptz NOT NULL,
        changed_at        timestamptz NOT NULL,
        resource_version  text,
        uid               text,
        document_hash     char(64),
        meta_hash         char(64),
        manager           text,
        operation         text,
        change            text        NOT NULL,
        source            text        NOT NULL,
        prev_hash         char(64),
        hash              char(64)    NOT NULL,
        CONSTRAINT live_revisions_pk PRIMARY KEY (id, observed_at),
        CONSTRAINT live_revisions_change_ck CHECK (change IN ('created', 'configured', 'deleted')),
        CONSTRAINT live_revisions_source_ck CHECK (source IN ('watch', 'list', 'relist'))
      ) PARTITION BY RANGE (observed_at)`);
    await q.query(`CREATE TABLE live_revisions_default PARTITION OF live_revisions DEFAULT`);
    await q.query(`CREATE INDEX live_revisions_object_idx ON live_revisions (object_id, cluster_id, observed_at)`);
    await q.query(`CREATE INDEX live_revisions_cluster_time_idx ON live_revisions (cluster_id, observed_at)`);
    await q.query(`
      CREATE TABLE live_current (
        cluster_id        bigint      NOT NULL,
        object_id         bigint      NOT NULL,
        uid               text,
        resource_version  text,
        document_hash     char(64)    NOT NULL,
        meta_hash         char(64),
        observed_at       timestamptz NOT NULL,
        CONSTRAINT live_current_pk PRIMARY KEY (cluster_id, object_id),
        CONSTRAINT live_current_cluster_fk FOREIGN KEY (cluster_id) REFERENCES clusters (id) ON DELETE CASCADE,
        CONSTRAINT live_current_object_fk FOREIGN KEY (object_id) REFERENCES objects (id)
      )`);
    await q.query(`
      CREATE TABLE live_gaps (
        id          bigint GENERATED ALWAYS AS IDENTITY,
        cluster_id  bigint      NOT NULL,
        "group"     text        NOT NULL,
        kind        text        NOT NULL,
        started_at  timestamptz NOT NULL,
        ended_at    timestamptz,
        reason      text        NOT NULL,
        CONSTRAINT live_gaps_pk PRIMARY KEY (id),
        CONSTRAINT live_gaps_cluster_fk FOREIGN KEY (cluster_id) REFERENCES clusters (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX live_gaps_open_idx ON live_gaps (cluster_id, "group", kind) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX live_gaps_time_idx ON live_gaps (cluster_id, started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['live_gaps', 'live_current', 'live_revisions', 'cluster_kinds', 'clusters']) await q.query(`DROP TABLE ${t}`);
  }
}
