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
import { prepareDemo, playClusterHistory, DemoHandle, DEMO_REPOSITORY, DEMO_CLUSTER } from './demo/demo';
import { GitIndexService } from './git/git-index.service';
import { sensitiveRulesFrom } from './config/sensitive';
import { MetricsService } from './ops/metrics.service';
import { RateLimiter } from './ops/rate-limit';
import { applyCompression, applyCors, applySecurityHeaders } from './ops/hardening';
import { Authenticator } from './auth/auth.guard';
import { TokensService } from './auth/tokens.service';

/** Pages the web app shows (each backed by an API in this build). */
export const DEFAULT_FEATURES = ['timeline', 'drift', 'alerts', 'reports'];

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
  /** Serve the demo (also the default when nothing is configured). */
  demo?: boolean;
  /** Port of the demo's simulated Kubernetes API (default: any free port). */
  simPort?: number;
}

export interface RunningServer {
  app: NestExpressApplication;
  url: string;
  port: number;
  db: OpenDatabase;
  /** The demo's repository and simulated cluster, when serving the demo. */
  demo: DemoHandle | null;
  /** The demo's admin token (a new one at each start; the previous one is revoked), for its sign-in link. */
  demoToken: string | null;
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
  // forceCloseConnections: close() ends open keep-alive, half-sent and streaming (SSE) connections instead of waiting for them,
  // so `serve` stops within 10 s of SIGTERM. Signals are handled by the serve command (cli/serve.ts), which closes the app,
  // then the database: Nest's enableShutdownHooks would re-raise the signal after its own close and kill the process first.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(ctx), { bufferLogs: true, abortOnError: false, rawBody: true, forceCloseConnections: true });
  app.useLogger(app.get(PinoNestLogger));
  app.useGlobalFilters(new ProblemFilter(ctx.logger));
  // Order matters: timing first (so refusals are measured too), then headers and CORS (so a 429 carries them), then the limiter.
  app.use(app.get(MetricsService).middleware);
  applySecurityHeaders(app);
  applyCors(app, ctx.runtime.config);
  applyCompression(app);
  app.use(app.get(RateLimiter).middleware);
  app.useBodyParser('json', { limit: '1mb' });
  app.disable('x-powered-by');
  if (ctx.runtime.config.server.trustProxy !== undefined) app.set('trust proxy', ctx.runtime.config.server.trustProxy);
  // The OpenAPI document and its UI are plain Express routes: the global guard does not see them.
  app.use(['/api/docs', '/api/docs-json'], app.get(Authenticator).middleware);
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
  let loaded = opts.loaded ?? loadConfig({ configPath: opts.configPath, env });
  const logger = opts.logger ?? createLogger({ level: env.LOG_LEVEL });
  let demo: DemoHandle | null = null;
  if (opts.demo || (opts.mode === undefined && loaded.source === null && isUnconfigured(loaded.config))) {
    demo = await prepareDemo({ dataDir: loaded.config.dataDir, env, simPort: opts.simPort });
    const databaseUrl = loaded.config.database.url;
    loaded = demo.loaded;
    loaded.config.database.url = databaseUrl;
    logger.info({ repository: demo.loaded.config.repositories[0]!.path, kubernetes: demo.sim.url }, 'nothing is configured: serving the demo (a generated repository and a simulated cluster)');
  }
  const config = loaded.config;
  const installKey = loadInstallKey(config.dataDir, env.DRIFTLINE_INSTALL_KEY);
  let db: OpenDatabase;
  try {
    db = await openDatabase({ url: config.database.url, dataDir: config.dataDir, logger, migrate: true });
  } catch (e) {
    await demo?.stop();
    throw e;
  }
  try {
    await checkInstallKey(db, installKey);
    if (demo) await seedDemo(demo, db, installKey, logger);
    const runtime: RuntimeInfo = {
      version: VERSION,
      mode: demo ? 'demo' : (opts.mode ?? (isUnconfigured(config) ? 'unconfigured' : 'configured')),
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
    const demoToken = demo ? await issueDemoToken(app.get(TokensService)) : null;
    let closed = false;
    return {
      app,
      url,
      port: actualPort,
      db,
      demo,
      demoToken,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await db.close();
        await demo?.stop();
      },
    };
  } catch (e) {
    await db.close();
    await demo?.stop();
    throw e;
  }
}

/** The demo is signed into with a link; each start makes a fresh admin token named "demo" and revokes the last one. */
async function issueDemoToken(tokens: TokensService): Promise<string> {
  await tokens.revoke('demo').catch(() => undefined);
  return (await tokens.create({ name: 'demo', role: 'admin', createdBy: 'demo' })).token;
}

/**
 * First start of the demo: index its repository and record its 30 days of
 * cluster history. Later starts only rebuild the simulated cluster. Refuses to
 * touch a database that holds anything but the demo.
 */
async function seedDemo(demo: DemoHandle, db: OpenDatabase, installKey: Buffer, logger: Logger): Promise<void> {
  const ds = db.dataSource;
  const anchor = demo.scenario.anchor.toISOString();
  const seeded = (await ds.query(`SELECT value FROM settings WHERE key = 'demo_anchor'`))[0]?.value;
  const foreign = await ds.query(
    `SELECT name FROM repositories WHERE name <> $1 UNION ALL SELECT name FROM clusters WHERE name <> $2 LIMIT 1`,
    [DEMO_REPOSITORY, DEMO_CLUSTER],
  );
  if (foreign.length) throw new Error(`this database already holds data other than the demo ("${foreign[0].name}"); configure driftline.yaml, or give the demo its own data folder (DRIFTLINE_DATA_DIR)`);
  if (seeded === anchor) {
    await playClusterHistory(demo, null);
    return;
  }
  const started = Date.now();
  const runtime = { database: db.kind };
  await new GitIndexService(ds, demo.loaded.config, logger, installKey, runtime).index(DEMO_REPOSITORY, { fetch: false });
  const r = await playClusterHistory(demo, { ds, logger, installKey, sensitive: sensitiveRulesFrom(demo.loaded.config) });
  await ds.query(`INSERT INTO settings (key, value) VALUES ('demo_anchor', $1::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`, [JSON.stringify(anchor)]);
  logger.info({ commits: demo.scenario.commits.length, liveChanges: r.recorded, seconds: (Date.now() - started) / 1000 }, 'demo data ready');
}
