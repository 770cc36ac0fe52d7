import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the live recorder keeps per cluster besides the tables of LiveState: the
 * head of the cluster's live_revisions hash chain (read and moved in the same
 * transaction as the rows it chains), the leader's heartbeat (so the API can tell
 * a stale "connected" from a live one), and the commit lag of the last batch.
 */
export class LiveRecorder1764201900000 implements MigrationInterface {
  name = 'LiveRecorder1764201900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clusters ADD COLUMN chain_head char(64)`);
    await q.query(`ALTER TABLE clusters ADD COLUMN heartbeat_at timestamptz`);
    await q.query(`ALTER TABLE clusters ADD COLUMN last_commit_at timestamptz`);
    await q.query(`ALTER TABLE clusters ADD COLUMN lag_ms integer`);
    await q.query(`ALTER TABLE cluster_kinds ADD COLUMN last_list_at timestamptz`);
    await q.query(`ALTER TABLE cluster_kinds ADD COLUMN last_event_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cluster_kinds DROP COLUMN last_event_at`);
    await q.query(`ALTER TABLE cluster_kinds DROP COLUMN last_list_at`);
    await q.query(`ALTER TABLE clusters DROP COLUMN lag_ms`);
    await q.query(`ALTER TABLE clusters DROP COLUMN last_commit_at`);
    await q.query(`ALTER TABLE clusters DROP COLUMN heartbeat_at`);
    await q.query(`ALTER TABLE clusters DROP COLUMN chain_head`);
  }
}
