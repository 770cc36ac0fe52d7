import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { loadConfig, ConfigEnv, LoadedConfig } from '../config/load';
import { loadInstallKey } from '../config/install-key';
import { createLogger } from '../common/logger';
import type { OpenDatabase } from '../db/open';
import type * as OpenModule from '../db/open';
import type { DriftlineConfig } from '../config/schema';
import type { RuntimeInfo } from '../runtime-info';
import { VERSION } from '../version';

export interface CliRuntime {
  loaded: LoadedConfig;
  config: DriftlineConfig;
  ds: DataSource;
  db: OpenDatabase;
  logger: Logger;
  installKey: Buffer;
  runtime: RuntimeInfo;
}

/**
 * What a CLI command that touches the database needs: configuration, the
 * database (migrated), the install key, and a logger on stderr (stdout is for
 * results and --json).
 */
export async function withRuntime<T>(o: { config?: string; json?: boolean }, env: ConfigEnv, fn: (rt: CliRuntime) => Promise<T>): Promise<T> {
  const loaded = loadConfig({ configPath: o.config, env });
  const config = loaded.config;
  const logger = createLogger({ level: env.LOG_LEVEL ?? (o.json ? 'warn' : 'warn'), destination: 2 });
  const installKey = loadInstallKey(config.dataDir, env.DRIFTLINE_INSTALL_KEY);
  // Loaded here, not at the top: typeorm is only needed by commands that open the database.
  const { openDatabase } = require('../db/open') as typeof OpenModule;
  const db = await openDatabase({ url: config.database.url, dataDir: config.dataDir, logger, migrate: true, poolSize: 4 });
  const runtime: RuntimeInfo = { version: VERSION, mode: 'configured', database: db.kind, config, configSource: loaded.source, features: [], workers: false };
  try {
    return await fn({ loaded, config, ds: db.dataSource, db, logger, installKey, runtime });
  } finally {
    await db.close();
  }
}

/** A one-line progress bar on a TTY (stderr): label, bar, done/total, rate, ETA. Silent elsewhere. */
export function progressBar(label: string) {
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  return {
    update(done: number, total: number, rate: number, eta: number | null, unit = 'commits') {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const width = 28;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      const etaText = eta === null ? '' : ` · ETA ${formatSeconds(eta)}`;
      process.stderr.write(`\r${label} ${bar} ${done.toLocaleString('en')}/${total.toLocaleString('en')} ${unit} · ${Math.round(rate).toLocaleString('en')}/s${etaText}   `);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}
