import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

const ROOT = join(__dirname, '..', '..', '..');

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] | string; interval?: string };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  user?: string;
  restart?: string;
}

describe('docker-compose.yml (Docker cannot run here, so its shape is checked)', () => {
  const compose = load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

  it('runs PostgreSQL (current major) with a healthcheck and a named volume', () => {
    const db = compose.services.postgres!;
    expect(db.image).toMatch(/^postgres:1[78]/);
    expect(JSON.stringify(db.healthcheck?.test)).toContain('pg_isready');
    const vol = db.volumes!.find((v) => v.includes('/var/lib/postgresql'))!;
    expect(Object.keys(compose.volumes)).toContain(vol.split(':')[0]);
  });

  it('runs Driftline after a healthy database, with DATABASE_URL and the config mounted', () => {
    const app = compose.services.driftline!;
    expect(app.build ?? app.image).toBeTruthy();
    expect(app.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(app.environment?.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/[^@]+@postgres:5432\//);
    expect(app.environment?.DRIFTLINE_CONFIG).toBe('/etc/driftline/driftline.yaml');
    expect(app.volumes?.some((v) => v.endsWith(':/etc/driftline/driftline.yaml:ro'))).toBe(true);
    expect(app.ports?.some((p) => p.endsWith(':8080'))).toBe(true);
    expect(JSON.stringify(app.healthcheck?.test)).toContain('/readyz');
  });

  it('builds from a multi-stage Dockerfile on node:24-slim with git, as a non-root user', () => {
    const df = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(df.match(/^FROM node:24-slim/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(df).toMatch(/apt-get install[^\n]*\bgit\b/);
    expect(df).toMatch(/^USER (?!root)\w+/m);
    expect(df).toMatch(/CMD \["node", "api\/bin\/driftline.js", "serve"\]/);
  });
});
