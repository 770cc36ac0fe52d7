import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';

describe('the HTTP service', () => {
  let db: TestDatabase;
  let app: TestServer;
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    app = await startTestServer({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers liveness and readiness', async () => {
    expect((await app.get('/healthz')).status).toBe(200);
    const ready = await app.get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: expect.arrayContaining([{ name: 'database', ok: true }]) });
  });

  it('turns readiness to 503 with a reason when the database goes away', async () => {
    const other = await startTestServer({ databaseUrl: db.url, dataDir: app.dataDir });
    await other.db.dataSource.destroy();
    const r = await other.get('/readyz');
    expect(r.status).toBe(503);
    const body = await r.json();
    expect(body.checks[0].reason).toMatch(/database/);
    await other.app.close();
  });

  it('reports what it runs', async () => {
    const info = await (await app.get('/api/v1/info')).json();
    expect(info).toMatchObject({ mode: 'unconfigured', database: 'postgres', environments: [] });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers unknown API routes with problem+json carrying the request id', async () => {
    const r = await app.get('/api/v1/does-not-exist', { headers: { 'X-Request-Id': 'incident-42' } });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.headers.get('x-request-id')).toBe('incident-42');
    expect(await r.json()).toMatchObject({ status: 404, requestId: 'incident-42', instance: '/api/v1/does-not-exist' });
  });

  it('serves the OpenAPI document and its UI', async () => {
    const doc = await (await app.get('/api/docs-json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/v1/info');
    const ui = await app.get('/api/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('serves the web app at / and falls back to it for client-side routes', async () => {
    const root = await app.get('/', { headers: { accept: 'text/html' } });
    expect(root.status).toBe(200);
    const html = await root.text();
    expect(html).toContain('<title>Driftline</title>');
    const deep = await app.get('/environments/prod/timeline?from=2026-01-01', { headers: { accept: 'text/html' } });
    expect(await deep.text()).toBe(html);
  });
});

describe('the embedded database', () => {
  it('keeps data across a restart on the same data folder, and refuses a second process', async () => {
    const first = await startTestServer({});
    expect(first.db.kind).toBe('embedded');
    await first.db.dataSource.query(`INSERT INTO settings (key, value) VALUES ('restart-proof', '"kept"')`);
    await first.close();
    const second = await startTestServer({ dataDir: first.dataDir });
    const rows = await second.db.dataSource.query(`SELECT value FROM settings WHERE key = 'restart-proof'`);
    expect(rows[0].value).toBe('kept');
    await second.close();
  });
});
