import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Core tables shared by every context: content-addressed documents, object
 * identities, and install-wide settings (the install key's fingerprint).
 */
export class Initial1764201600000 implements MigrationInterface {
  name = 'Initial1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE documents (
        hash        char(64)    NOT NULL,
        body        jsonb       NOT NULL,
        size        integer     NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT documents_pk PRIMARY KEY (hash)
      )`);
    await q.query(`
      CREATE TABLE objects (
        id          bigint GENERATED ALWAYS AS IDENTITY,
        "group"     text NOT NULL,
        kind        text NOT NULL,
        namespace   text NOT NULL,
        name        text NOT NULL,
        CONSTRAINT objects_pk PRIMARY KEY (id),
        CONSTRAINT objects_identity_uq UNIQUE ("group", kind, namespace, name)
      )`);
    await q.query(`CREATE INDEX objects_kind_ns_idx ON objects (kind, namespace)`);
    await q.query(`
      CREATE TABLE settings (
        key         text        NOT NULL,
        value       jsonb       NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT settings_pk PRIMARY KEY (key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settings`);
    await q.query(`DROP TABLE objects`);
    await q.query(`DROP TABLE documents`);
  }
}
