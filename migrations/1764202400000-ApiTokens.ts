import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may read: API tokens and browser sessions.
 *
 * api_tokens keeps only a scrypt hash of each token's secret part (salt and
 * parameters in the stored string); the public prefix (`dl_<prefix>_…`) finds
 * the row without scanning. Revoked and expired tokens stay, for the audit
 * trail of who had access. auth_sessions keeps the sha256 of the session
 * cookie (a 256-bit random value, so a fast hash is enough), the principal it
 * stands for, and its end; revoking a token ends its sessions (ON DELETE is
 * not used: tokens are never deleted, so the guard checks revoked_at).
 */
export class ApiTokens1764202400000 implements MigrationInterface {
  name = 'ApiTokens1764202400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_tokens (
        id          bigserial PRIMARY KEY,
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role        text NOT NULL CHECK (role IN ('viewer', 'auditor', 'admin')),
        prefix      text NOT NULL UNIQUE,
        hash        text NOT NULL,
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz,
        revoked_at  timestamptz,
        last_used_at timestamptz
      )`);
    // One active token per name, so `token revoke NAME` is unambiguous.
    await q.query(`CREATE UNIQUE INDEX api_tokens_active_name_idx ON api_tokens (name) WHERE revoked_at IS NULL`);
    await q.query(`
      CREATE TABLE auth_sessions (
        id          bigserial PRIMARY KEY,
        hash        bytea NOT NULL UNIQUE,
        kind        text NOT NULL CHECK (kind IN ('token', 'oidc')),
        token_id    bigint REFERENCES api_tokens (id),
        subject     text,
        name        text NOT NULL,
        role        text NOT NULL CHECK (role IN ('viewer', 'auditor', 'admin')),
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        revoked_at  timestamptz
      )`);
    await q.query(`CREATE INDEX auth_sessions_token_idx ON auth_sessions (token_id)`);
    await q.query(`CREATE INDEX auth_sessions_expires_idx ON auth_sessions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_sessions`);
    await q.query(`DROP TABLE api_tokens`);
  }
}
