import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the drift context's hot reads.
 *
 * live_revisions (cluster_id, object_id, observed_at DESC, id DESC): "live at
 * T" takes the newest observation time per object from an index-only scan of
 * one cluster's entries, then fetches that revision (highest id at that time)
 * with an exact probe. The older (object_id, cluster_id, observed_at) index
 * answers that probe only by sorting, and the planner would rather probe
 * (cluster_id, observed_at) and filter by object, which degrades when a relist
 * records many objects at one instant. Created on the partitioned parent, so
 * on every monthly partition, present and future.
 */
export class ReadIndexes1764202300000 implements MigrationInterface {
  name = 'ReadIndexes1764202300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX live_revisions_cluster_object_time_idx ON live_revisions (cluster_id, object_id, observed_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX live_revisions_cluster_object_time_idx`);
  }
}
