import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, RUNTIME } from '../config/config.tokens';
import type { RuntimeInfo } from '../runtime-info';
import { GitIndexService } from './git-index.service';

/** Fetches and indexes every repository at start and then on its poll interval. */
@Injectable()
export class GitPollerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(
    private readonly indexer: GitIndexService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.runtime.workers) return;
    for (const repo of this.indexer.repositories()) {
      const tick = async () => {
        if (this.stopped) return;
        try {
          await this.indexer.index(repo.name, { fetch: true });
        } catch (e) {
          this.logger.error({ repository: repo.name, err: (e as Error).message }, 'index run failed; retrying at the next poll');
        }
        if (!this.stopped) this.timers.push(setTimeout(tick, repo.pollInterval).unref());
      };
      this.timers.push(setTimeout(tick, 0).unref());
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
  }
}
