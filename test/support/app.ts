import { mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { dump } from 'js-yaml';
import { serve, RunningServer, ServeOptions } from '../../api/src/server';
import { parseConfig, DriftlineConfigInputLike } from './config';
import { TokensService } from '../../api/src/auth/tokens.service';
import type { Role } from '../../api/src/auth/principal';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** An admin token made at start (the API refuses requests without one). */
  token: string;
  /** fetch() on the server, as the admin token unless init sends its own Authorization or Cookie. */
  get(path: string, init?: RequestInit): Promise<Response>;
  /** fetch() with no credential at all. */
  anon(path: string, init?: RequestInit): Promise<Response>;
  /** Make a token with this role (and optional lifetime) the way `driftline token create` does. */
  tokenFor(role: Role, o?: { name?: string; expiresInMs?: number }): Promise<string>;
}

/** Boot the whole Nest app in-process on a free port against the given database. */
export async function startTestServer(o: { databaseUrl?: string; config?: DriftlineConfigInputLike; dataDir?: string } & Partial<ServeOptions> = {}): Promise<TestServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'driftline-app-'));
  const env: Record<string, string> = { DRIFTLINE_DATA_DIR: dataDir };
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  const loaded = parseConfig(dump(o.config ?? {}), 'test.yaml', env, dataDir);
  const server = await serve({ loaded, port: 0, host: '127.0.0.1', env, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...o });
  const tokens = server.app.get(TokensService);
  let n = 0;
  const tokenFor = async (role: Role, t: { name?: string; expiresInMs?: number } = {}) =>
    (await tokens.create({ name: t.name ?? `test-${role}-${++n}`, role, expiresInMs: t.expiresInMs ?? null, createdBy: 'test' })).token;
  const token = await tokenFor('admin', { name: `test-admin-${randomUUID().slice(0, 8)}` });
  return Object.assign(server, {
    dataDir,
    token,
    tokenFor,
    get: (path: string, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      if (!headers.has('authorization') && !headers.has('cookie')) headers.set('authorization', `Bearer ${token}`);
      return fetch(server.url + path, { ...init, headers });
    },
    anon: (path: string, init?: RequestInit) => fetch(server.url + path, init),
  });
}
