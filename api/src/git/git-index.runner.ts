import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { DriftlineConfig, RepositoryConfig } from '../config/schema';
import type { RuntimeInfo } from '../runtime-info';
import { DomainError } from '../common/errors';
import { withLock } from '../db/locks';
import { sensitiveRulesFrom } from '../config/sensitive';
import { RepositoryIndexer, IndexProgress, IndexSummary } from './indexer';
import { prepareSource } from './source';

export interface IndexRunOptions {
  fetch?: boolean;
  onProgress?: (repository: string, p: IndexProgress) => void;
  batchSize?: number;
  afterBatch?: (n: number) => void | Promise<void>;
  /** Render worker threads (see IndexerOptions.renderWorkers). */
  renderWorkers?: number;
  renderWorkerScript?: string;
}

/**
 * Runs the indexer for configured repositories: one run per repository at a
 * time, across processes and replicas. A plain class, so `driftline index`
 * does not load Nest for it (GitIndexService is this, injectable).
 */
export class GitIndexRunner {
  private readonly listeners = new Set<(s: IndexSummary) => void>();

  constructor(
    protected readonly ds: DataSource,
    protected readonly config: DriftlineConfig,
    protected readonly logger: Logger,
    protected readonly installKey: Buffer,
    protected readonly runtime: Pick<RuntimeInfo, 'database'>,
  ) {}

  repositories(): RepositoryConfig[] {
    return this.config.repositories;
  }

  repository(name: string): RepositoryConfig {
    const repo = this.config.repositories.find((r) => r.name === name);
    if (!repo) throw new DomainError('repository.not_found', `no repository named "${name}" is configured`, 404);
    return repo;
  }

  /** Called after every completed run (drift evaluation and the timeline subscribe). */
  onIndexed(fn: (s: IndexSummary) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async index(name?: string, o: IndexRunOptions = {}): Promise<IndexSummary[]> {
    const repos = name ? [this.repository(name)] : this.config.repositories;
    const out: IndexSummary[] = [];
    for (const repo of repos) out.push(await this.indexOne(repo, o));
    return out;
  }

  private async indexOne(repo: RepositoryConfig, o: IndexRunOptions): Promise<IndexSummary> {
    return withLock(this.ds, `git-index:${repo.name}`, this.runtime.database === 'postgres', async () => {
      try {
        const source = await prepareSource(repo, this.config.dataDir, this.logger, { fetch: o.fetch ?? true });
        const indexer = new RepositoryIndexer({
          ds: this.ds,
          repo,
          source,
          environments: this.config.environments,
          installKey: this.installKey,
          sensitive: sensitiveRulesFrom(this.config),
          logger: this.logger,
          batchSize: o.batchSize,
          onProgress: o.onProgress ? (p) => o.onProgress!(repo.name, p) : undefined,
          afterBatch: o.afterBatch,
          renderWorkers: o.renderWorkers,
          renderWorkerScript: o.renderWorkerScript,
        });
        const summary = await indexer.run();
        this.logger.info({ ...summary }, 'repository indexed');
        for (const l of this.listeners) l(summary);
        return summary;
      } catch (e) {
        const message = (e as Error).message;
        await this.ds
          .query(`UPDATE repositories SET last_error = $2 WHERE name = $1`, [repo.name, message.slice(0, 2000)])
          .catch(() => undefined);
        throw e;
      }
    });
  }
}
