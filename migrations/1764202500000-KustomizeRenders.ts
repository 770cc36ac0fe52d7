import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rendering environments (render: kustomize | auto). kustomize_renders holds
 * one row per entry directory per first-parent commit where the entry was
 * rendered (its dependency closure was touched, it appeared, or it went away):
 * which renderer, how many objects the entry contributes after it, and the
 * problems met (file, field, message, code). A render with problems keeps the
 * entry's previous good objects, so `objects` is what stays in effect.
 * kustomize_entries is the indexer's resumable state per entry at
 * last_indexed_sha (closure, last good output), like desired_files.
 */
export class KustomizeRenders1764202500000 implements MigrationInterface {
  name = 'KustomizeRenders1764202500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kustomize_renders (
        id             bigint GENERATED ALWAYS AS IDENTITY,
        environment    text    NOT NULL,
        entry          text    NOT NULL,
        repository_id  bigint  NOT NULL,
        commit_sha     text    NOT NULL,
        commit_seq     bigint  NOT NULL,
        source         text    NOT NULL,
        renderer       text    NOT NULL,
        status         text    NOT NULL,
        objects        integer NOT NULL,
        problems       jsonb   NOT NULL DEFAULT '[]',
        CONSTRAINT kustomize_renders_pk PRIMARY KEY (id),
        CONSTRAINT kustomize_renders_uq UNIQUE (environment, entry, commit_sha),
        CONSTRAINT kustomize_renders_commit_fk FOREIGN KEY (repository_id, commit_sha) REFERENCES commits (repository_id, sha) ON DELETE CASCADE,
        CONSTRAINT kustomize_renders_source_ck CHECK (source IN ('config', 'flux', 'argocd')),
        CONSTRAINT kustomize_renders_renderer_ck CHECK (renderer IN ('builtin', 'binary')),
        CONSTRAINT kustomize_renders_status_ck CHECK (status IN ('ok', 'problems', 'removed'))
      )`);
    await q.query(`CREATE INDEX kustomize_renders_env_seq_idx ON kustomize_renders (environment, repository_id, commit_seq)`);
    await q.query(`CREATE INDEX kustomize_renders_commit_idx ON kustomize_renders (repository_id, commit_sha)`);
    await q.query(`
      CREATE TABLE kustomize_entries (
        environment text  NOT NULL,
        entry       text  NOT NULL,
        state       jsonb NOT NULL,
        CONSTRAINT kustomize_entries_pk PRIMARY KEY (environment, entry)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kustomize_entries`);
    await q.query(`DROP TABLE kustomize_renders`);
  }
}
