import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { gitIndexer } from '../support/git-index';
import { ReportsRepository } from '../../api/src/reports/reports.repository';
import { SegmentChecker } from '../../api/src/reports/chains';
import type { ChainSegment } from '../../api/src/reports/report.types';
import { buildScenario, Scenario } from './reports-scenario';

let db: TestDatabase;
let s: Scenario;
let repo: ReportsRepository;

beforeAll(async () => {
  db = await freshDatabase();
  s = await buildScenario(db.dataSource);
  repo = new ReportsRepository(db.dataSource);
});
afterAll(async () => {
  await db.drop();
  await s?.repo.cleanup();
});

/** Walks a whole chain with the verifier; returns its issues. */
async function check(stream: ChainSegment['stream'], key: string, keyValue: unknown): Promise<string[]> {
  const head = await repo.chainHead(stream, keyValue);
  const first = Number((await db.dataSource.query(`SELECT min(${stream === 'commits' ? 'seq' : 'id'})::text AS p FROM ${stream} WHERE ${stream === 'commits' ? 'repository_id' : stream === 'live_revisions' ? 'cluster_id' : 'environment'} = $1`, [keyValue]))[0].p);
  const info = await repo.segmentInfo(stream, keyValue, first, head.position);
  const checker = new SegmentChecker({ stream, key, from: { position: first, prevHash: info.prevHash }, to: head, records: info.records });
  for (const row of await repo.chainPage(stream, keyValue, first, head.position, first - 1, 100_000)) checker.push(row);
  return checker.finish().map((i) => i.message);
}

describe('hash chains a report relies on', () => {
  it('rebuilds every record exactly as its writer hashed it: commits (any time zone), desired and live revisions, drift events', async () => {
    // A commit in a +05:30 zone: the record holds git's own ISO time with that offset.
    await s.repo.commit({ files: { 'clusters/prod/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra, namespace: shop }\ndata: { a: "1" }\n' }, message: 'zone test\n\nwith a body "quoted" \\ and ünïcode', date: '2026-11-20T10:00:00+05:30' });
    await gitIndexer(db.dataSource, s.configInput).index();
    const repoId = await repo.repositoryId('infra');
    expect(await check('commits', 'infra', repoId)).toEqual([]);
    expect(await check('desired_revisions', 'prod', 'prod')).toEqual([]);
    expect(await check('live_revisions', 'prod-eu', s.cluster.clusterId)).toEqual([]);
    expect(await check('drift_events', 'prod', 'prod')).toEqual([]);
    expect((await db.dataSource.query(`SELECT count(*)::int AS n FROM drift_events WHERE environment = 'prod'`))[0].n).toBeGreaterThan(5);
  });

  it('every change to a drift interval appends a chained event in the same transaction, whatever wrote it', async () => {
    const q = (sql: string, p: unknown[] = []) => db.dataSource.query(sql, p);
    const objectId = (await q(`SELECT id::int FROM objects ORDER BY id LIMIT 1`))[0].id;
    const tricky = 'quote " backslash \\ newline \n tab \t control \u0001 ünïcode → 😀';
    const [ins] = await q(
      `INSERT INTO drift_intervals (environment, object_id, type, opened_at, opened_by, summary) VALUES ('chain-test', $1, 'modified', '2026-11-20T10:00:00.123Z', $2::jsonb, $3) RETURNING id::int`,
      [objectId, JSON.stringify({ source: 'live', manager: 'kubectl-edit', nested: { z: 1, a: [true, null, 'x"y'] } }), tricky],
    ).then((r) => [r[0]]);
    const id = ins.id as number;
    await q(`UPDATE drift_intervals SET changes = '[{"x":1}]' WHERE id = $1`, [id]); // not chained: no event
    await q(`UPDATE drift_intervals SET summary = 'summary changed' WHERE id = $1`, [id]);
    await q(`UPDATE drift_intervals SET closed_at = '2026-11-20T11:00:00Z', closed_by = '{"source":"git","commit":"abc"}' WHERE id = $1`, [id]);
    await q(`UPDATE drift_intervals SET closed_at = NULL, closed_by = NULL WHERE id = $1`, [id]);
    await q(`DELETE FROM drift_intervals WHERE id = $1`, [id]);
    const ops = await q(`SELECT op FROM drift_events WHERE environment = 'chain-test' ORDER BY id`);
    expect(ops.map((o: { op: string }) => o.op)).toEqual(['opened', 'updated', 'closed', 'reopened', 'retracted']);
    expect(await check('drift_events', 'chain-test', 'chain-test')).toEqual([]);
    // A rolled back change leaves no event.
    await db.dataSource.transaction(async (m) => {
      await m.query(`INSERT INTO drift_intervals (environment, object_id, type, opened_at, opened_by, summary) VALUES ('chain-test', $1, 'missing', now(), '{}', 'x')`, [objectId]);
      throw new Error('rollback');
    }).catch(() => undefined);
    expect((await q(`SELECT count(*)::int AS n FROM drift_events WHERE environment = 'chain-test'`))[0].n).toBe(5);
    // Tampering with the log itself is caught.
    await q(`UPDATE drift_events SET summary = 'rewritten' WHERE environment = 'chain-test' AND op = 'updated'`);
    const [second] = await q(`SELECT id::int FROM drift_events WHERE environment = 'chain-test' AND op = 'closed'`);
    await q(`DELETE FROM drift_events WHERE id = $1`, [second.id]);
    const issues = await check('drift_events', 'chain-test', 'chain-test');
    expect(issues).toEqual([
      expect.stringMatching(/^drift event id \d+ \(interval \d+, updated\) was changed after it was recorded/),
      expect.stringMatching(/^the chain is broken before drift event id \d+ \(interval \d+, reopened\)/),
    ]);
  });

  it('an edited live revision that kept its hash is caught by recomputing it', async () => {
    await db.dataSource.query(`UPDATE live_revisions SET manager = 'kustomize-controller' WHERE observed_at = $1`, [s.manualEdits.config]);
    const issues = await check('live_revisions', 'prod-eu', s.cluster.clusterId);
    expect(issues).toEqual([expect.stringMatching(/^live revision id \d+ \(ConfigMap shop\/api-config\) was changed after it was recorded/)]);
  });
});
