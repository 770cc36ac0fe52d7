import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The desired half: repositories, every commit (kept when history is rewritten,
 * flagged unreachable), file changes, parsed blobs, and per-environment desired
 * object revisions (a row only where an object changed). Commits and desired
 * revisions carry a hash chain (prev_hash → hash) per stream for audit exports.
 */
export class GitIndex1764201700000 implements MigrationInterface {
  name = 'GitIndex1764201700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE repositories (
        id                bigint GENERATED ALWAYS AS IDENTITY,
        name              text        NOT NULL,
        branch            text        NOT NULL,
        source            text        NOT NULL,
        head_sha          text,
        last_indexed_sha  text,
        last_indexed_at   timestamptz,
        last_fetch_at     timestamptz,
        last_error        text,
        next_seq          bigint      NOT NULL DEFAULT 1,
        created_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT repositories_pk PRIMARY KEY (id),
        CONSTRAINT repositories_name_uq UNIQUE (name)
      )`);
    await q.query(`
      CREATE TABLE commits (
        repository_id   bigint      NOT NULL,
        sha             text        NOT NULL,
        seq             bigint      NOT NULL,
        parents         text[]      NOT NULL,
        first_parent    boolean     NOT NULL,
        author_name     text        NOT NULL,
        author_email    text        NOT NULL,
        authored_at     timestamptz NOT NULL,
        author_tz       text        NOT NULL,
        committer_name  text        NOT NULL,
        committer_email text        NOT NULL,
        committed_at    timestamptz NOT NULL,
        committer_tz    text        NOT NULL,
        subject         text        NOT NULL,
        message         text        NOT NULL,
        pr_number       integer,
        pr_kind         text,
        co_authors      jsonb       NOT NULL DEFAULT '[]',
        reachable       boolean     NOT NULL DEFAULT true,
        unreachable_at  timestamptz,
        indexed_at      timestamptz NOT NULL DEFAULT now(),
        prev_hash       char(64),
        hash            char(64)    NOT NULL,
        CONSTRAINT commits_pk PRIMARY KEY (repository_id, sha),
        CONSTRAINT commits_repository_fk FOREIGN KEY (repository_id) REFERENCES repositories (id) ON DELETE CASCADE,
        CONSTRAINT commits_seq_uq UNIQUE (repository_id, seq)
      )`);
    await q.query(`CREATE INDEX commits_committed_idx ON commits (repository_id, committed_at)`);
    await q.query(`CREATE INDEX commits_author_idx ON commits (repository_id, author_email)`);
    await q.query(`
      CREATE TABLE file_changes (
        repository_id bigint NOT NULL,
        commit_sha    text   NOT NULL,
        path          text   NOT NULL,
        status        char(1) NOT NULL,
        old_path      text,
        old_blob      text,
        new_blob      text,
        new_mode      text,
        CONSTRAINT file_changes_pk PRIMARY KEY (repository_id, commit_sha, path),
        CONSTRAINT file_changes_commit_fk FOREIGN KEY (repository_id, commit_sha) REFERENCES commits (repository_id, sha) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX file_changes_path_idx ON file_changes (repository_id, path)`);
    await q.query(`
      CREATE TABLE blobs (
        sha          text    NOT NULL,
        size         integer,
        status       text    NOT NULL,
        reason_code  text,
        reason       text,
        objects      integer NOT NULL DEFAULT 0,
        CONSTRAINT blobs_pk PRIMARY KEY (sha),
        CONSTRAINT blobs_status_ck CHECK (status IN ('ok', 'not-kubernetes', 'error', 'skipped'))
      )`);
    await q.query(`
      CREATE TABLE blob_objects (
        blob_sha       text    NOT NULL,
        default_namespace text NOT NULL,
        doc_index      integer NOT NULL,
        "group"        text    NOT NULL,
        kind           text    NOT NULL,
        namespace      text    NOT NULL,
        name           text    NOT NULL,
        document_hash  char(64) NOT NULL,
        CONSTRAINT blob_objects_pk PRIMARY KEY (blob_sha, default_namespace, doc_index),
        CONSTRAINT blob_objects_blob_fk FOREIGN KEY (blob_sha) REFERENCES blobs (sha) ON DELETE CASCADE,
        CONSTRAINT blob_objects_document_fk FOREIGN KEY (document_hash) REFERENCES documents (hash)
      )`);
    await q.query(`
      CREATE TABLE desired_revisions (
        id             bigint GENERATED ALWAYS AS IDENTITY,
        environment    text        NOT NULL,
        object_id      bigint      NOT NULL,
        repository_id  bigint      NOT NULL,
        commit_sha     text        NOT NULL,
        commit_seq     bigint      NOT NULL,
        committed_at   timestamptz NOT NULL,
        document_hash  char(64),
        path           text        NOT NULL,
        change         text        NOT NULL,
        prev_hash      char(64),
        hash           char(64)    NOT NULL,
        CONSTRAINT desired_revisions_pk PRIMARY KEY (id),
        CONSTRAINT desired_revisions_uq UNIQUE (environment, object_id, commit_sha),
        CONSTRAINT desired_revisions_object_fk FOREIGN KEY (object_id) REFERENCES objects (id),
        CONSTRAINT desired_revisions_document_fk FOREIGN KEY (document_hash) REFERENCES documents (hash),
        CONSTRAINT desired_revisions_commit_fk FOREIGN KEY (repository_id, commit_sha) REFERENCES commits (repository_id, sha) ON DELETE CASCADE,
        CONSTRAINT desired_revisions_change_ck CHECK (change IN ('created', 'configured', 'deleted'))
      )`);
    await q.query(`CREATE INDEX desired_revisions_env_seq_idx ON desired_revisions (environment, commit_seq)`);
    await q.query(`CREATE INDEX desired_revisions_env_time_idx ON desired_revisions (environment, committed_at)`);
    await q.query(`CREATE INDEX desired_revisions_object_idx ON desired_revisions (object_id, environment, commit_seq)`);
    await q.query(`CREATE INDEX desired_revisions_commit_idx ON desired_revisions (repository_id, commit_sha)`);
    // The indexer's resumable state: which blob each environment file has, and each object's current document, at last_indexed_sha.
    await q.query(`
      CREATE TABLE desired_files (
        environment text NOT NULL,
        path        text NOT NULL,
        blob_sha    text NOT NULL,
        CONSTRAINT desired_files_pk PRIMARY KEY (environment, path)
      )`);
    await q.query(`
      CREATE TABLE desired_current (
        environment   text     NOT NULL,
        object_id     bigint   NOT NULL,
        document_hash char(64) NOT NULL,
        path          text     NOT NULL,
        commit_sha    text     NOT NULL,
        CONSTRAINT desired_current_pk PRIMARY KEY (environment, object_id),
        CONSTRAINT desired_current_object_fk FOREIGN KEY (object_id) REFERENCES objects (id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['desired_current', 'desired_files', 'desired_revisions', 'blob_objects', 'blobs', 'file_changes', 'commits', 'repositories']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
