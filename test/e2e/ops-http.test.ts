import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';

describe('HTTP hardening: security headers, CORS, rate limit', () => {
  let db: TestDatabase;
  let app: TestServer;
  let limited: TestServer;
  let perToken: TestServer;
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    app = await startTestServer({ databaseUrl: db.url, config: { server: { cors: { origins: ['https://portal.example.com/'] } } } });
    limited = await startTestServer({ databaseUrl: db.url, dataDir: app.dataDir, config: { server: { rateLimit: { perMinute: 3 } } } });
    perToken = await startTestServer({ databaseUrl: db.url, dataDir: app.dataDir, config: { server: { rateLimit: { perMinute: 100, perTokenPerMinute: 2 } } } });
  });
  afterAll(async () => {
    await perToken?.close();
    await limited?.close();
    await app?.close();
    await db?.drop();
  });

  it('sends security headers and a CSP that allows the web app and Swagger UI to load', async () => {
    const home = await app.get('/', { headers: { accept: 'text/html' } });
    expect(home.status).toBe(200);
    const csp = home.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    expect(home.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(home.headers.get('referrer-policy')).toBe('no-referrer');
    expect(home.headers.get('x-powered-by')).toBeNull();

    // Everything the pages pull in is same-origin script/style, which the CSP allows.
    const html = await home.text();
    for (const src of [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!)) {
      const r = await app.get(src);
      expect(r.status, src).toBe(200);
    }
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script (script-src 'self' would block it)

    const docs = await app.get('/api/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toBe(csp);
    const docsHtml = await docs.text();
    expect(docsHtml).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(docsHtml).toMatch(/<style>/); // inline styles: style-src 'unsafe-inline'
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    for (const src of [...docsHtml.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!)) {
      const r = await app.get(new URL(src, app.url + '/api/docs/').pathname);
      expect(r.status, src).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/javascript/);
    }
  });

  it('answers CORS only for listed origins', async () => {
    const ok = await app.get('/api/v1/info', { headers: { origin: 'https://portal.example.com' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://portal.example.com');
    expect(ok.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    const pre = await app.get('/api/v1/info', { method: 'OPTIONS', headers: { origin: 'https://portal.example.com', 'access-control-request-method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');

    const other = await app.get('/api/v1/info', { headers: { origin: 'https://evil.example.com' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // Without configured origins, no CORS headers at all.
    const off = await limited.get('/healthz', { headers: { origin: 'https://portal.example.com' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses the fourth request a minute with 429 problem+json and Retry-After; probes and metrics are exempt', async () => {
    for (let i = 0; i < 3; i++) expect((await limited.get('/api/v1/info')).status).toBe(200);
    const r = await limited.get('/api/v1/info');
    expect(r.status).toBe(429);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retry = Number(r.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await r.json()).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: retry });
    for (const p of ['/healthz', '/readyz', '/metrics']) expect((await limited.get(p)).status, p).toBe(200);
    // The other app (default limit) is unaffected.
    expect((await app.get('/api/v1/info')).status).toBe(200);
  });

  it('gzips large answers for clients that accept it, and only those', async () => {
    const gz = await app.get('/api/docs-json', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(((await gz.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    const plain = await app.get('/api/docs-json', { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const small = await app.get('/api/v1/info', { headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers.get('content-encoding')).toBeNull();
  });

  it('limits each token on its own: one busy token gets 429 while another from the same address goes on', async () => {
    const busy = await perToken.tokenFor('viewer');
    const other = await perToken.tokenFor('viewer');
    const as = (t: string) => perToken.get('/api/v1/info', { headers: { authorization: `Bearer ${t}` } });
    expect((await as(busy)).status).toBe(200);
    expect((await as(busy)).status).toBe(200);
    const r = await as(busy);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await r.json()).detail).toMatch(/with this token \(limit 2\)/);
    expect((await as(other)).status).toBe(200);
  });
});
