import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, OpenAPIObject } from '@nestjs/swagger';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import type { Request, Response, NextFunction } from 'express';
import { AppModule, AppContext } from './app/app.module';
import { ProblemFilter } from './common/problem.filter';
import { createLogger } from './common/logger';
import { loadConfig, isUnconfigured, ConfigEnv, LoadedConfig } from './config/load';
import { loadInstallKey, installKeyFingerprint } from './config/install-key';
import { openDatabase, OpenDatabase } from './db/open';
import { VERSION } from './version';
import type { RuntimeInfo } from './runtime-info';

/** Pages the web app shows (each backed by an API in this build). */
export const DEFAULT_FEATURES = ['timeline', 'drift', 'alerts'];

export interface ServeOptions {
  configPath?: string;
  port?: number;
  host?: string;
  env?: ConfigEnv;
  logger?: Logger;
  /** Loaded configuration (skips loading). */
  loaded?: LoadedConfig;
  /** Mode override, e.g. 'demo' when the demo generated the configuration. */
  mode?: RuntimeInfo['mode'];
  features?: AppContext['features'];
  featureNames?: string[];
  /** Run background workers (default true; tests drive work explicitly). */
  workers?: boolean;
}

export interface RunningServer {
  app: NestExpressApplication;
  url: string;
  port: number;
  db: OpenDatabase;
  close(): Promise<void>;
}

/** The folder with the built web app, found by walking up from this file. */
export function findWebDist(from = __dirname): string | null {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = resolve(dir, '..');
  }
  return null;
}

export function buildOpenApi(app: NestExpressApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Driftline API')
    .setDescription('GitOps drift and audit: Git history, live cluster state, drift and diffs over time.')
    .setVersion(VERSION)
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Check (or record) the install key fingerprint, so replicas with different keys refuse to start. */
async function checkInstallKey(db: OpenDatabase, key: Buffer): Promise<void> {
  const fp = installKeyFingerprint(key);
  const rows = await db.dataSource.query(`SELECT value FROM settings WHERE key = 'install_key_fingerprint'`);
  if (!rows.length) {
    await db.dataSource.query(`INSERT INTO settings (key, value) VALUES ('install_key_fingerprint', $1::jsonb) ON CONFLICT (key) DO NOTHING`, [JSON.stringify(fp)]);
    return;
  }
  if (rows[0].value !== fp) {
    throw new Error('the install key differs from the one this database was written with (secret hashes would not match); set DRIFTLINE_INSTALL_KEY to the original key');
  }
}

export async function createApp(ctx: AppContext, opts: { webDist?: string | null } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(ctx), { bufferLogs: true, abortOnError: false, rawBody: true });
  app.useLogger(app.get(PinoNestLogger));
  app.useGlobalFilters(new ProblemFilter(ctx.logger));
  app.useBodyParser('json', { limit: '1mb' });
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  const doc = buildOpenApi(app);
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs-json' });
  const webDist = opts.webDist === undefined ? findWebDist() : opts.webDist;
  if (webDist) {
    app.useStaticAssets(webDist, { index: false, maxAge: '1h', setHeaders: (res, path) => path.endsWith('.html') && res.setHeader('Cache-Control', 'no-cache') });
    const indexHtml = readFileSync(join(webDist, 'index.html'), 'utf8');
    // History-mode fallback: any GET that is not API, docs, health or metrics gets the app.
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' || /^\/(api|healthz|readyz|metrics)(\/|$)/.test(req.path)) return next();
      if (!(req.headers.accept ?? '').includes('text/html') && /\.[a-z0-9]+$/i.test(req.path)) return next();
      res.type('html').setHeader('Cache-Control', 'no-cache').send(indexHtml);
    });
  }
  return app;
}

export async function serve(opts: ServeOptions = {}): Promise<RunningServer> {
  const env = opts.env ?? (process.env as ConfigEnv);
  const loaded = opts.loaded ?? loadConfig({ configPath: opts.configPath, env });
  const config = loaded.config;
  const logger = opts.logger ?? createLogger({ level: env.LOG_LEVEL });
  const installKey = loadInstallKey(config.dataDir, env.DRIFTLINE_INSTALL_KEY);
  const db = await openDatabase({ url: config.database.url, dataDir: config.dataDir, logger, migrate: true });
  try {
    await checkInstallKey(db, installKey);
    const runtime: RuntimeInfo = {
      version: VERSION,
      mode: opts.mode ?? (isUnconfigured(config) ? 'unconfigured' : 'configured'),
      database: db.kind,
      config,
      configSource: loaded.source,
      features: opts.featureNames ?? DEFAULT_FEATURES,
      workers: opts.workers ?? true,
    };
    const app = await createApp({ runtime, dataSource: db.dataSource, logger, installKey, features: opts.features });
    const port = opts.port ?? config.server.port;
    await app.listen(port, opts.host ?? config.server.host);
    const address = app.getHttpServer().address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://127.0.0.1:${actualPort}`;
    logger.info({ url, mode: runtime.mode, database: db.kind, config: loaded.source ?? '(none)' }, 'Driftline is serving');
    let closed = false;
    return {
      app,
      url,
      port: actualPort,
      db,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
