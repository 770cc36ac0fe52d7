import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../config/config.tokens';

/**
 * Says when the app starts and finishes closing. Nest runs every module's
 * onModuleDestroy (watchers stop, writers flush their current batch) before
 * beforeApplicationShutdown, then closes the HTTP server, then calls
 * onApplicationShutdown; the serve command closes the database right after.
 */
@Injectable()
export class ShutdownLog implements BeforeApplicationShutdown, OnApplicationShutdown {
  private started = 0;
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  beforeApplicationShutdown(signal?: string): void {
    this.started = Date.now();
    this.logger.info({ signal }, 'Driftline is stopping: workers stopped, closing HTTP connections');
  }

  onApplicationShutdown(signal?: string): void {
    this.logger.info({ signal, ms: Date.now() - this.started }, 'Driftline stopped serving (HTTP closed, workers stopped); closing the database');
  }
}
