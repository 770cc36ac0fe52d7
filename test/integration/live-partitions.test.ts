import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { RevisionPartitions, monthStart, nextMonth, partitionName } from '../../api/src/cluster/partitions';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db.drop();
});

const where = async (id: number) =>
  (await db.dataSource.query(`SELECT tableoid::regclass::text AS t FROM live_revisions WHERE id = $1`, [id]))[0]?.t as string | undefined;

describe('monthly partitions of live_revisions', () => {
  it('creates the current and next month ahead, a past month on demand (moving rows the DEFAULT partition took), and drops by retention', async () => {
    const ds = db.dataSource;
    const p = new RevisionPartitions(ds);
    const now = new Date();
    await p.ensureAhead(now);
    expect(await p.existing()).toEqual([partitionName(monthStart(now)), partitionName(nextMonth(now))].sort());

    // A row written for a month without a partition lands in DEFAULT (and would block creating that partition).
    const old = new Date('2025-03-15T12:00:00Z');
    const [row] = await ds.query(
      `INSERT INTO live_revisions (cluster_id, object_id, observed_at, changed_at, change, source, hash) VALUES (1, 1, $1, $1, 'created', 'list', $2) RETURNING id`,
      [old, 'f'.repeat(64)],
    );
    expect(await where(row.id)).toBe('live_revisions_default');
    await p.ensure([old]);
    expect(await where(row.id)).toBe('live_revisions_y2025m03');
    expect((await ds.query(`SELECT count(*)::int AS n FROM live_revisions_default`))[0].n).toBe(0);
    // Idempotent, also from another instance (another replica).
    await new RevisionPartitions(ds).ensure([old, now]);
    expect(await p.existing()).toContain('live_revisions_y2025m03');

    // Retention: partitions that end before the cutoff go, whole.
    expect(await p.dropBefore(new Date('2025-04-01T00:00:00Z'))).toEqual(['live_revisions_y2025m03']);
    expect(await where(row.id)).toBeUndefined();
    expect(await p.existing()).toEqual([partitionName(monthStart(now)), partitionName(nextMonth(now))].sort());
    // The month's indexes exist on the partition (inherited from the parent's).
    const idx = await ds.query(`SELECT indexname FROM pg_indexes WHERE tablename = $1`, [partitionName(monthStart(now))]);
    expect(idx.length).toBeGreaterThanOrEqual(3);
  });
});
