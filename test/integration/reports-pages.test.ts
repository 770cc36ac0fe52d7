import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, TestDatabase } from '../support/db';
import { pageSizes, type ReportSnapshot } from '../../api/src/reports/report-builder';
import type { GitChangeRecord, ReportScope } from '../../api/src/reports/report.types';
import { buildScenario, Scenario, tempDir, WINDOW } from './reports-scenario';

let db: TestDatabase;
let s: Scenario;
let asOf: Date;
const dir = tempDir();

beforeAll(async () => {
  db = await freshDatabase();
  s = await buildScenario(db.dataSource);
  asOf = new Date();
});
afterAll(async () => {
  await db.drop();
  await s?.repo.cleanup();
});

type Extra = { kinds?: string[]; authors?: string[] };

/** A JSON report (records with diffs, summary) with a fixed id and snapshot, so two builds can be compared byte for byte. */
async function report(extra: Extra, name: string): Promise<Buffer> {
  const svc = s.service();
  const scope: ReportScope = svc.resolveScope({ environments: ['prod'], ...WINDOW, ...extra });
  const builder = (svc as unknown as { builder: { snapshot(scope: ReportScope, now: Date): Promise<ReportSnapshot> } }).builder;
  const out = join(dir, name);
  await svc.generate({ reportId: '00000000-0000-4000-8000-0000000000aa', scope, format: 'json', output: out, snapshot: await builder.snapshot(scope, asOf) });
  return readFileSync(out);
}

async function withPages<T>(n: number, fn: () => Promise<T>): Promise<T> {
  const saved = { ...pageSizes };
  Object.assign(pageSizes, { stream: n, section: n, events: n });
  try {
    return await fn();
  } finally {
    Object.assign(pageSizes, saved);
  }
}

const FILTERS: Extra[] = [{}, { authors: ['bob@example.com'] }, { kinds: ['ConfigMap'] }];
const gitShas = (json: Buffer) => (JSON.parse(json.toString('utf8')).changes as GitChangeRecord[]).map((c) => c.commit.sha);

describe('report reads in pages', () => {
  it('a report is the same whatever the page sizes of its reads (every section, the analysis streams, revisions after the window)', async () => {
    for (const extra of FILTERS) {
      const ref = await report(extra, 'ref.json');
      for (const n of [1, 2, 3]) {
        const got = await withPages(n, () => report(extra, `pages-${n}.json`));
        expect(got.toString('utf8'), `${JSON.stringify(extra)}, pages of ${n}`).toBe(ref.toString('utf8'));
      }
    }
  });

  it('changes in a commit that is no longer reachable are left out, whatever the page sizes', async () => {
    const before = gitShas(await report({}, 'before.json'));
    expect(before).toContain(s.shas.C);
    await db.dataSource.query(`UPDATE commits SET reachable = false WHERE sha = $1`, [s.shas.C]);
    for (const extra of [{}, { authors: ['alice@example.com'] }]) {
      const ref = await report(extra, 'unreachable.json');
      const shas = gitShas(ref);
      expect(shas).not.toContain(s.shas.C);
      if (!extra.authors) expect(shas).toEqual(before.filter((x) => x !== s.shas.C));
      for (const n of [1, 2]) expect((await withPages(n, () => report(extra, `unreachable-${n}.json`))).toString('utf8')).toBe(ref.toString('utf8'));
    }
  });
});
