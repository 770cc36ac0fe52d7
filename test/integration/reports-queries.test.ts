import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { buildScenario, Scenario } from './reports-scenario';

let db: TestDatabase;
let s: Scenario;

beforeAll(async () => {
  db = await freshDatabase();
  s = await buildScenario(db.dataSource);
});
afterAll(async () => {
  await db.drop();
  await s?.repo.cleanup();
});

/** Plan of a query with sequential scans priced out: an index can serve it when no Seq Scan is left. */
async function plan(sql: string, params: unknown[]): Promise<string> {
  const runner = db.dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET enable_seqscan = off');
    const rows: { 'QUERY PLAN': string }[] = await runner.query(`EXPLAIN ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await runner.query('RESET enable_seqscan');
    await runner.release();
  }
}

describe('the report’s hot reads use indexes', () => {
  it('the analysis streams, documents by hash, the Git section, scratch pages, the drift fold', async () => {
    const ids = (await db.dataSource.query(`SELECT id::int FROM objects`)).map((r: { id: number }) => r.id);
    const repoId = (await db.dataSource.query(`SELECT id::int FROM repositories`))[0].id;
    const from = new Date(Date.now() - 30 * 86_400_000);
    const plans = {
      // The analysis streams (ReportsRepository.desiredStream / liveStream): a page in object order, then its documents.
      desired: await plan(
        `SELECT x.id, d.body::text FROM (SELECT dr.id, dr.object_id, dr.committed_at, dr.commit_seq, dr.document_hash FROM desired_revisions dr
          WHERE dr.environment = $1 AND dr.repository_id = $2 AND ($3::bigint[] IS NULL OR dr.object_id = ANY($3::bigint[])) AND dr.committed_at >= $4 AND dr.id <= $5
            AND (dr.object_id, dr.committed_at, dr.commit_seq, dr.id) > (0, '-infinity', 0, 0)
          ORDER BY dr.object_id, dr.committed_at, dr.commit_seq, dr.id LIMIT 2000) x
          LEFT JOIN documents d ON d.hash = x.document_hash ORDER BY x.object_id, x.committed_at, x.commit_seq, x.id`,
        ['prod', repoId, null, from, 1e9],
      ),
      live: await plan(
        `SELECT x.id, d.body::text, m.body::text FROM (SELECT lr.id, lr.object_id, lr.observed_at, lr.document_hash, lr.meta_hash FROM live_revisions lr
          WHERE lr.cluster_id = $1 AND ($2::bigint[] IS NULL OR lr.object_id = ANY($2::bigint[])) AND lr.observed_at >= $3 AND lr.id <= $4
            AND (lr.object_id, lr.observed_at, lr.id) > (0, '-infinity', 0)
          ORDER BY lr.object_id, lr.observed_at, lr.id LIMIT 2000) x
          LEFT JOIN documents d ON d.hash = x.document_hash LEFT JOIN documents m ON m.hash = x.meta_hash ORDER BY x.object_id, x.observed_at, x.id`,
        [s.cluster.clusterId, ids, from, 1e9],
      ),
      // The Git section (ReportsRepository.gitRecords): revisions in time order, then their commits.
      git: await plan(
        `SELECT x.id, c.message FROM (SELECT dr.id, dr.committed_at, dr.commit_seq, dr.repository_id, dr.commit_sha FROM desired_revisions dr
          WHERE dr.environment = $1 AND dr.repository_id = $2 AND ($3::bigint[] IS NULL OR dr.object_id = ANY($3::bigint[])) AND dr.committed_at >= $4 AND dr.id <= $5
            AND (dr.committed_at, dr.commit_seq, dr.id) > ('-infinity', 0, 0)
          ORDER BY dr.committed_at, dr.commit_seq, dr.id LIMIT 2000) x
          LEFT JOIN commits c ON c.repository_id = x.repository_id AND c.sha = x.commit_sha AND c.reachable ORDER BY x.committed_at, x.commit_seq, x.id`,
        ['prod', repoId, null, from, 1e9],
      ),
      documents: await plan(`SELECT hash, body FROM documents WHERE hash = ANY($1::bpchar[])`, [['a'.repeat(64)]]),
      scratch: await plan(
        `SELECT s.ref FROM report_scratch s JOIN drift_events e ON e.id = s.ref2
          WHERE s.run = $1 AND s.kind = 'i' AND s.env = 'prod' AND (s.sort_at, s.sort_seq, s.ref) > ('-infinity', 0, 0) ORDER BY s.sort_at, s.sort_seq, s.ref LIMIT 2000`,
        ['00000000-0000-0000-0000-000000000000'],
      ),
      fold: await plan(
        `SELECT DISTINCT ON (e.interval_id) e.id FROM drift_events e WHERE e.environment = $1 AND e.id <= $2 ORDER BY e.interval_id, e.id DESC`,
        ['prod', 1e9],
      ),
    };
    for (const [name, p] of Object.entries(plans)) expect(p, `${name}:\n${p}`).not.toMatch(/Seq Scan/);
    expect(plans.documents).toMatch(/Index .*documents_pk/);
    expect(plans.fold).toMatch(/drift_events_interval_idx/);
  });
});
