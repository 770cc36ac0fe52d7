import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { CONFIG, INSTALL_KEY, LOGGER, RUNTIME } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';
import type { RuntimeInfo } from '../runtime-info';
import { GitIndexRunner } from './git-index.runner';

export type { IndexRunOptions } from './git-index.runner';

/** The Git index runner as a Nest provider (the API, the poller, webhooks and drift evaluation share one). */
@Injectable()
export class GitIndexService extends GitIndexRunner {
  constructor(
    ds: DataSource,
    @Inject(CONFIG) config: DriftlineConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(INSTALL_KEY) installKey: Buffer,
    @Inject(RUNTIME) runtime: Pick<RuntimeInfo, 'database'>,
  ) {
    super(ds, config, logger, installKey, runtime);
  }
}
