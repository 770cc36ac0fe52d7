import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pino from 'pino';
import { dump } from 'js-yaml';
import type { DataSource } from 'typeorm';
import { parseConfig } from '../../api/src/config/load';
import { GitIndexService, IndexRunOptions } from '../../api/src/git/git-index.service';
import type { IndexSummary } from '../../api/src/git/indexer';

export const TEST_KEY = Buffer.alloc(32, 7);

/** A GitIndexService over a test database, configured from a plain object like driftline.yaml. */
export function gitIndexer(ds: DataSource, config: Record<string, unknown>, kind: 'postgres' | 'embedded' = 'postgres') {
  const dataDir = mkdtempSync(join(tmpdir(), 'driftline-git-test-'));
  const { config: cfg } = parseConfig(dump({ dataDir, ...config }), 'test.yaml', {}, dataDir);
  const service = new GitIndexService(ds, cfg, pino({ level: 'silent' }), TEST_KEY, { database: kind });
  return {
    config: cfg,
    service,
    async index(o: IndexRunOptions = {}): Promise<IndexSummary> {
      const [s] = await service.index(undefined, { fetch: true, ...o });
      return s!;
    },
  };
}

/** A text dump of the whole test database: pg_dump when it can reach the server, else every row as text. */
export async function dumpDatabase(ds: DataSource, url: string): Promise<string> {
  const r = spawnSync('pg_dump', ['--data-only', url], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status === 0 && r.stdout) return r.stdout;
  const tables: { tablename: string }[] = await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  let out = '';
  for (const t of tables) {
    const rows: { row: string }[] = await ds.query(`SELECT t::text AS row FROM "${t.tablename}" t`);
    out += rows.map((x) => x.row).join('\n') + '\n';
  }
  return out;
}
