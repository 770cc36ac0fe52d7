import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';

describe('Prometheus /metrics', () => {
  let db: TestDatabase;
  let app: TestServer;
  beforeAll(async () => {
    db = await freshDatabase();
    app = await startTestServer({ databaseUrl: db.url });
    const q = (sql: string, p: unknown[] = []) => db.dataSource.query(sql, p);
    await q(`INSERT INTO repositories (name, branch, source, head_sha, last_indexed_sha, last_fetch_at) VALUES ('infra', 'main', 'x', 'b', 'a', now() - interval '90 seconds')`);
    const [c] = await q(`INSERT INTO clusters (name, connected, lag_ms) VALUES ('prod', true, 1500) RETURNING id`);
    await q(`INSERT INTO live_gaps (cluster_id, "group", kind, started_at, reason) VALUES ($1, 'apps', 'Deployment', now(), 'test'), ($1, '', 'ConfigMap', now() - interval '1 hour', 'test')`, [c.id]);
    await q(`UPDATE live_gaps SET ended_at = now() WHERE kind = 'ConfigMap'`);
    const objs = await q(`INSERT INTO objects ("group", kind, namespace, name) VALUES ('apps', 'Deployment', 'shop', 'web'), ('', 'ConfigMap', 'shop', 'cfg'), ('', 'Secret', 'shop', 's') RETURNING id`);
    for (const [i, type] of (['modified', 'missing', 'unmanaged'] as const).entries()) {
      await q(`INSERT INTO drift_intervals (environment, object_id, type, opened_at, opened_by, summary) VALUES ('prod', $1, $2, now(), '{}', 's')`, [objs[i].id, type]);
    }
    await q(`INSERT INTO deliveries (channel, channel_type, kind, idempotency_key, message, status, max_attempts, last_error)
             VALUES ('ops', 'slack', 'opened', 'k1', '{}', 'dead', 3, 'boom'), ('ops', 'slack', 'opened', 'k2', '{}', 'pending', 3, '503'), ('ops', 'slack', 'opened', 'k3', '{}', 'sent', 3, null)`);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers text/plain with HTTP timings by route template and the database gauges', async () => {
    await app.get('/api/v1/info');
    await app.get('/api/v1/environments/nope/drift');
    await app.get('/api/v1/no-such-route');
    const r = await app.get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
    expect(line('driftline_http_request_duration_seconds_count{route="/api/v1/info",method="GET",status="200"}')).toBeDefined();
    expect(text).toMatch(/driftline_http_request_duration_seconds_count\{route="\/api\/v1\/environments\/:\w+\/drift",method="GET",status="404"\}/);
    expect(line('driftline_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"}')).toBeDefined();
    expect(text).not.toContain('no-such-route');

    expect(line('driftline_database_up')).toBe('driftline_database_up 1');
    expect(Number(line('driftline_repository_last_fetch_age_seconds{repository="infra"}')!.split(' ')[1])).toBeGreaterThanOrEqual(90);
    expect(line('driftline_repository_index_behind{repository="infra"}')).toMatch(/ 1$/);
    expect(line('driftline_cluster_watch_lag_seconds{cluster="prod"}')).toMatch(/ 1\.5$/);
    expect(line('driftline_cluster_open_gaps{cluster="prod"}')).toMatch(/ 1$/);
    expect(line('driftline_cluster_connected{cluster="prod"}')).toMatch(/ 1$/);
    expect(line('driftline_live_revisions_per_second{cluster="prod"}')).toMatch(/ 0$/);
    expect(line('driftline_drift_open{environment="prod",type="modified"}')).toMatch(/ 1$/);
    expect(line('driftline_drift_open{environment="prod",type="missing"}')).toMatch(/ 1$/);
    expect(text).not.toContain('type="unmanaged"');
    expect(line('driftline_alert_deliveries{status="dead"}')).toMatch(/ 1$/);
    expect(line('driftline_alert_deliveries{status="sent"}')).toMatch(/ 1$/);
    expect(line('driftline_alert_deliveries_failing')).toBe('driftline_alert_deliveries_failing 1');
    expect(text).toContain('driftline_process_resident_memory_bytes');
  });
});
