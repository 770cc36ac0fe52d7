import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { ReportsService } from '../../api/src/reports/reports.service';
import { buildScenario, Scenario, WINDOW } from './reports-scenario';

let db: TestDatabase;
let s: Scenario;
let app: TestServer;
let reports: ReportsService;

beforeAll(async () => {
  db = await freshDatabase();
  s = await buildScenario(db.dataSource);
  // Workers off: the test runs the report worker's ticks itself, so nothing else (pollers, watchers) writes meanwhile.
  app = await startTestServer({ databaseUrl: db.url, config: s.configInput, workers: false });
  reports = app.app.get(ReportsService);
});
afterAll(async () => {
  await app?.close();
  await db.drop();
  await s?.repo.cleanup();
});

const post = (body: unknown) => app.get('/api/v1/reports', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('reports API', () => {
  let id: string;

  it('POST starts a job and returns its id; the worker runs it; GET shows status and progress', async () => {
    const res = await post({ environments: ['prod'], ...WINDOW, format: 'csv' });
    expect(res.status).toBe(202);
    const job = await res.json();
    expect(job).toMatchObject({ status: 'queued', format: 'csv', environments: ['prod'], progress: 0, createdBy: expect.stringMatching(/^test-admin-\w+ \(admin\)$/), downloadUrl: null });
    id = job.id;
    await reports.tick();
    const done = await (await app.get(`/api/v1/reports/${id}`)).json();
    expect(done).toMatchObject({ id, status: 'done', progress: 1, phase: 'done', records: 17, error: null, downloadUrl: `/api/v1/reports/${id}/download` });
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('GET /download streams the file: its bytes hash to the recorded sha256', async () => {
    const res = await app.get(`/api/v1/reports/${id}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="driftline-report-prod-${WINDOW.from}-${WINDOW.to}.csv"`);
    const body = Buffer.from(await res.arrayBuffer());
    const row = await (await app.get(`/api/v1/reports/${id}`)).json();
    expect(sha(body)).toBe(row.sha256);
    expect(body.subarray(0, 12).toString()).toBe('record_type,');
  });

  it('GET lists earlier reports, newest first, with who and when', async () => {
    const second = await (await post({ environments: ['prod'], ...WINDOW, format: 'pdf', kinds: ['Deployment'] })).json();
    await reports.tick();
    const list = await (await app.get('/api/v1/reports?limit=10')).json();
    expect(list.items.map((r: { id: string; status: string; format: string }) => [r.id, r.status, r.format])).toEqual([
      [second.id, 'done', 'pdf'],
      [id, 'done', 'csv'],
    ]);
    expect(list.items[0]).toMatchObject({ kinds: ['Deployment'], createdBy: expect.stringMatching(/^test-admin-\w+ \(admin\)$/), createdAt: expect.any(String), finishedAt: expect.any(String) });
    const pdf = await app.get(`/api/v1/reports/${second.id}/download`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('rejects bad requests with problem+json', async () => {
    const unknown = await post({ environments: ['nope'], ...WINDOW, format: 'csv' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).detail ?? '').toContain('no environment named "nope"');
    const backwards = await post({ environments: ['prod'], from: WINDOW.to, to: WINDOW.from, format: 'csv' });
    expect(backwards.status).toBe(400);
    const zone = await post({ environments: ['prod'], from: '2026-07-01T00:00:00', to: WINDOW.to, format: 'csv' });
    expect(zone.status).toBe(400);
    const format = await post({ environments: ['prod'], ...WINDOW, format: 'xlsx' });
    expect(format.status).toBe(400);
    expect((await app.get(`/api/v1/reports/${randomUUID()}`)).status).toBe(404);
    expect((await app.get('/api/v1/reports/..%2F..%2Fetc%2Fpasswd')).status).toBe(400);
  });

  it('a download never leaves the reports folder, even when a row or a symlink points outside', async () => {
    const outside = join(app.dataDir, 'secret.txt');
    writeFileSync(outside, 'not a report');
    await db.dataSource.query(`UPDATE reports SET path = '../secret.txt' WHERE id = $1`, [id]);
    expect((await app.get(`/api/v1/reports/${id}/download`)).status).toBe(403);
    await db.dataSource.query(`UPDATE reports SET path = $2 WHERE id = $1`, [id, outside]);
    expect((await app.get(`/api/v1/reports/${id}/download`)).status).toBe(403);
    mkdirSync(join(app.dataDir, 'reports'), { recursive: true });
    symlinkSync(outside, join(app.dataDir, 'reports', 'link.csv'));
    await db.dataSource.query(`UPDATE reports SET path = 'link.csv' WHERE id = $1`, [id]);
    const res = await app.get(`/api/v1/reports/${id}/download`);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('not a report');
  });

  it('a job left running by a stopped process is resumed from its snapshot; an unfinished one cannot be downloaded', async () => {
    const stale = randomUUID();
    const scope = reports.resolveScope({ environments: ['prod'], ...WINDOW });
    await db.dataSource.query(
      `INSERT INTO reports (id, status, format, scope, created_by, worker, started_at, heartbeat_at, attempts, progress)
       VALUES ($1, 'running', 'json', $2::jsonb, 'someone', 'gone:1', now() - interval '10 minutes', now() - interval '5 minutes', 1, 0.4)`,
      [stale, JSON.stringify(scope)],
    );
    expect((await app.get(`/api/v1/reports/${stale}/download`)).status).toBe(409);
    await reports.tick();
    const job = await (await app.get(`/api/v1/reports/${stale}`)).json();
    expect(job).toMatchObject({ status: 'done', records: 17, createdBy: 'someone' });
    const row = (await db.dataSource.query(`SELECT attempts, worker FROM reports WHERE id = $1`, [stale]))[0];
    expect(row.attempts).toBe(2);
    expect(row.worker).toBe(reports.workerId);
    // Too many attempts: failed, with the reason.
    const dead = randomUUID();
    await db.dataSource.query(
      `INSERT INTO reports (id, status, format, scope, created_by, heartbeat_at, attempts) VALUES ($1, 'running', 'csv', $2::jsonb, 'someone', now() - interval '5 minutes', 3)`,
      [dead, JSON.stringify(scope)],
    );
    await reports.tick();
    expect(await (await app.get(`/api/v1/reports/${dead}`)).json()).toMatchObject({ status: 'failed', error: expect.stringContaining('stopped 3 time(s)') });
  });
});
