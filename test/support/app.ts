import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { dump } from 'js-yaml';
import { serve, RunningServer, ServeOptions } from '../../api/src/server';
import { parseConfig, DriftlineConfigInputLike } from './config';

export interface TestServer extends RunningServer {
  dataDir: string;
  get(path: string, init?: RequestInit): Promise<Response>;
}

/** Boot the whole Nest app in-process on a free port against the given database. */
export async function startTestServer(o: { databaseUrl?: string; config?: DriftlineConfigInputLike; dataDir?: string } & Partial<ServeOptions> = {}): Promise<TestServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'driftline-app-'));
  const env: Record<string, string> = { DRIFTLINE_DATA_DIR: dataDir };
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  const loaded = parseConfig(dump(o.config ?? {}), 'test.yaml', env, dataDir);
  const server = await serve({ loaded, port: 0, host: '127.0.0.1', env, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...o });
  return Object.assign(server, {
    dataDir,
    get: (path: string, init?: RequestInit) => fetch(server.url + path, init),
  });
}
