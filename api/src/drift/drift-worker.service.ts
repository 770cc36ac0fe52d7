import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { LOGGER, RUNTIME } from '../config/config.tokens';
import type { RuntimeInfo } from '../runtime-info';
import { withLock, LockBusyError } from '../db/locks';
import { GitIndexService } from '../git/git-index.service';
import { DriftEngineService } from './drift-engine.service';

/**
 * Keeps drift intervals current: evaluates new desired and live revisions as
 * they arrive (after each index run, and every second for live changes). One
 * replica at a time evaluates (advisory lock); the others skip the tick.
 */
@Injectable()
export class DriftWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running = false;

  constructor(
    private readonly engine: DriftEngineService,
    private readonly git: GitIndexService,
    private readonly ds: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.runtime.workers) return;
    this.unsubscribe = this.git.onIndexed(() => void this.tick());
    const loop = async () => {
      await this.tick();
      this.timer = setTimeout(loop, 1000);
      this.timer.unref();
    };
    this.timer = setTimeout(loop, 500);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await withLock(this.ds, 'drift:evaluate', this.runtime.database === 'postgres', () => this.engine.catchUp(), { wait: false });
    } catch (e) {
      if (!(e instanceof LockBusyError)) this.logger.error({ err: (e as Error).message }, 'drift evaluation failed; retrying');
    } finally {
      this.running = false;
    }
  }

  onApplicationShutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
  }
}
