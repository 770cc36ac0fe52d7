import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freshDatabase, TestDatabase } from '../support/db';
import { CSV_COLUMNS, parseCsv } from '../../api/src/reports/csv';
import { canonicalJson } from '../../api/src/core/canonical';
import type { GitChangeRecord, OutOfBandRecord, ReportSummary } from '../../api/src/reports/report.types';
import { ALICE, BOB, buildScenario, Scenario, tempDir, WINDOW } from './reports-scenario';

let db: TestDatabase;
let s: Scenario;
const dir = tempDir();

beforeAll(async () => {
  db = await freshDatabase();
  s = await buildScenario(db.dataSource);
});
afterAll(async () => {
  await db.drop();
  await s?.repo.cleanup();
});

type Row = Record<(typeof CSV_COLUMNS)[number], string>;

function csvRows(text: string): Row[] {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual([...CSV_COLUMNS]);
  return rows.map((cells) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, cells[i] ?? ''])) as Row);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const short = (x: string) => x.slice(0, 12);

async function generate(format: 'csv' | 'json' | 'pdf', extra: { kinds?: string[]; authors?: string[] } = {}, name = `report.${format}`) {
  const out = join(dir, name);
  const r = await s.service().generateToFile({ environments: ['prod'], ...WINDOW, format, ...extra }, out, 'cli:auditor');
  return { out, r };
}

describe('audit report', () => {
  it('CSV: every Git change of the window with when it reached the cluster, and exactly the two kubectl edits as out of band', async () => {
    const { out, r } = await generate('csv');
    expect(r.status).toBe('done');
    const text = readFileSync(out, 'utf8');
    expect(text.includes('\r\n')).toBe(true);
    const rows = csvRows(text);
    const git = rows.filter((x) => x.record_type === 'git');
    // The commit before the window is not listed; every object change in it is, in commit order.
    expect(git.map((x) => [x.commit_sha, x.object_kind, x.object_name, x.change, x.commit_to_live_seconds])).toEqual([
      [s.shas.A, 'ConfigMap', 'api-config', 'created', '30'],
      [s.shas.B, 'Deployment', 'web', 'configured', '120'],
      [s.shas.C, 'ConfigMap', 'api-config', 'configured', '45'],
      [s.shas.D, 'Deployment', 'web', 'configured', ''],
      [s.shas.E, 'Deployment', 'web', 'configured', '30'],
      [s.shas.F, 'ConfigMap', 'api-config', 'configured', '0'],
      [s.shas.G, 'Service', 'web', 'created', ''],
    ]);
    const byCommit = new Map(git.map((x) => [x.commit_sha, x]));
    expect(byCommit.get(s.shas.B)).toMatchObject({ author_name: BOB.name, author_email: BOB.email, committer_email: BOB.email, pr_number: '12', commit_subject: 'bump web to 1.26 (#12)' });
    expect(byCommit.get(s.shas.A)).toMatchObject({ author_email: ALICE.email, pr_number: '' });
    expect(byCommit.get(s.shas.D)!.not_reached_reason).toBe(`not observed: superseded by commit ${short(s.shas.E!)} at ${new Date(Date.parse(byCommit.get(s.shas.D)!.time) + 30_000).toISOString()}`);
    expect(byCommit.get(s.shas.F)!.reach_note).toBe('already in the cluster when committed');
    expect(byCommit.get(s.shas.G)!.not_reached_reason).toMatch(/^never applied: no live state matching this commit was recorded by /);
    expect(byCommit.get(s.shas.B)!.changed_paths).toBe('spec.template.spec.containers[0].image');
    // reached_cluster_at = commit time + the deploy delay
    expect(Date.parse(byCommit.get(s.shas.B)!.reached_cluster_at) - Date.parse(byCommit.get(s.shas.B)!.time)).toBe(120_000);

    const oob = rows.filter((x) => x.record_type === 'out-of-band');
    expect(oob.map((x) => [x.object_kind, x.object_name, x.time, x.manager, x.operation, x.manager_class, x.duration_seconds])).toEqual([
      ['Deployment', 'web', s.manualEdits.web.toISOString(), 'kubectl-edit', 'Update', 'human', '600'],
      ['ConfigMap', 'api-config', s.manualEdits.config.toISOString(), 'kubectl-edit', 'Update', 'human', '3600'],
    ]);
    // Back in sync: the applier's revert for the first, the commit adopting it for the second.
    expect(oob[1]!.end_time).toBe(byCommit.get(s.shas.F)!.time);
    expect(oob[0]!.summary).toContain('nginx:1.26-hotfix');
    expect(oob[0]!.summary).toContain('env[DEBUG]');

    const drift = rows.filter((x) => x.record_type === 'drift');
    expect(drift.find((x) => x.time === s.manualEdits.web.toISOString())).toMatchObject({ change: 'modified', object_name: 'web', manager: 'kubectl-edit', duration_seconds: '600' });
    expect(drift.filter((x) => x.end_time === '').map((x) => [x.object_kind, x.change])).toEqual([['Service', 'missing']]);
    const gaps = rows.filter((x) => x.record_type === 'gap');
    expect(gaps).toEqual([expect.objectContaining({ object_kind: 'ConfigMap', duration_seconds: '7200', summary: 'watch failed: 403 forbidden' })]);
    expect(rows.filter((x) => !['git', 'out-of-band', 'drift', 'gap'].includes(x.record_type)).map((x) => x.record_type)).toEqual(['#manifest', '#sha256']);

    // The trailer: a manifest, then the sha256 of every byte before the last row.
    const lines = text.split('\r\n');
    expect(lines[lines.length - 1]).toBe('');
    const last = lines[lines.length - 2]!;
    expect(last.startsWith('#sha256,')).toBe(true);
    expect(last.split(',')[1]).toBe(sha(text.slice(0, text.length - last.length - 2)));
    const manifest = JSON.parse(rows.find((x) => x.record_type === '#manifest')!.environment);
    expect(manifest).toMatchObject({ kind: 'driftline-report', version: 1, records: { count: git.length + oob.length + drift.length + gaps.length } });
    expect(manifest.chains.map((c: { stream: string; key: string }) => `${c.stream}/${c.key}`)).toEqual(['commits/infra', 'desired_revisions/prod', 'live_revisions/prod-eu', 'drift_events/prod']);
  });

  it('CSV cells a spreadsheet would run as a formula are neutralised', async () => {
    const { out } = await generate('csv', {}, 'injection.csv');
    const text = readFileSync(out, 'utf8');
    // G's subject is =HYPERLINK(...): the cell starts with a single quote, quotes doubled per RFC 4180.
    expect(text).toContain(`,"'=HYPERLINK(""http://evil.example"",""add web service"")",`);
    expect(text).not.toMatch(/(^|,)=HYPERLINK/m);
    const g = csvRows(text).find((x) => x.commit_sha === s.shas.G)!;
    expect(g.commit_subject).toBe(`'=HYPERLINK("http://evil.example","add web service")`);
  });

  it('JSON: the same records with diffs, a summary with commit-to-live percentiles, valid JSON with its own sha256', async () => {
    const { out } = await generate('json');
    const text = readFileSync(out, 'utf8');
    const doc = JSON.parse(text) as { version: number; summary: ReportSummary; changes: GitChangeRecord[]; outOfBand: OutOfBandRecord[]; drift: unknown[]; gaps: unknown[]; manifest: { records: { count: number } }; sha256: string };
    expect(doc.version).toBe(1);
    expect(doc.changes.map((c) => [c.commit.sha, c.object.name, c.commitToLiveSeconds])).toEqual([
      [s.shas.A, 'api-config', 30],
      [s.shas.B, 'web', 120],
      [s.shas.C, 'api-config', 45],
      [s.shas.D, 'web', null],
      [s.shas.E, 'web', 30],
      [s.shas.F, 'api-config', 0],
      [s.shas.G, 'web', null],
    ]);
    expect(doc.changes[1]!.commit.pr).toEqual({ number: 12, kind: 'github-pr' });
    expect(doc.changes[1]!.diff).toMatch(/^-\s+- image: nginx:1.25$/m);
    expect(doc.changes[1]!.diff).toMatch(/^\+\s+- image: nginx:1.26$/m);
    expect(doc.outOfBand.map((o) => [o.object.name, o.manager, o.observedAt, o.durationSeconds, o.ongoing])).toEqual([
      ['web', 'kubectl-edit', s.manualEdits.web.toISOString(), 600, false],
      ['api-config', 'kubectl-edit', s.manualEdits.config.toISOString(), 3600, false],
    ]);
    expect(doc.outOfBand[1]!.diff).toMatch(/^\+\s+LOG_LEVEL: debug$/m);
    expect(doc.summary.gitChanges).toMatchObject({ total: 7, commits: 7, byChange: { created: 2, configured: 5, deleted: 0 } });
    expect(doc.summary.gitChanges.byAuthor).toEqual([
      { author: BOB.name, email: BOB.email, changes: 4, commits: 4 },
      { author: ALICE.name, email: ALICE.email, changes: 3, commits: 3 },
    ]);
    // Reached: 0, 30, 30, 45, 120 → median 30; p95 interpolates between 45 and 120.
    expect(doc.summary.commitToLive).toEqual({ reached: 5, notReached: 2, medianSeconds: 30, p95Seconds: 105, maxSeconds: 120 });
    expect(doc.summary.outOfBand).toMatchObject({ total: 2, totalDurationSeconds: 4200, ongoing: 0, byManager: [{ manager: 'kubectl-edit', changes: 2 }] });
    expect(doc.summary.gaps).toEqual({ total: 1, totalDurationSeconds: 7200, open: 0 });
    expect(doc.summary.drift.openAtEnd).toBe(1);
    expect(doc.manifest.records.count).toBe(doc.changes.length + doc.outOfBand.length + doc.drift.length + doc.gaps.length);
    // Records are written with their keys in canonical order (the diff last): the digest is JSON.stringify of each.
    for (const rec of [...doc.changes, ...doc.outOfBand, ...doc.drift, ...doc.gaps] as Record<string, unknown>[]) {
      const { diff: _d, ...rest } = rec;
      expect(JSON.stringify(rest)).toBe(canonicalJson(rest));
    }
    const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    expect(lastLine).toBe(`"sha256":"${doc.sha256}"}\n`);
    expect(doc.sha256).toBe(sha(text.slice(0, text.length - lastLine.length)));
  });

  it('filters: authors keep only their Git changes; kinds keep only those objects everywhere', async () => {
    const bob = JSON.parse(readFileSync((await generate('json', { authors: ['BOB@example.com'] }, 'bob.json')).out, 'utf8'));
    expect(bob.changes.map((c: GitChangeRecord) => c.commit.sha)).toEqual([s.shas.B, s.shas.D, s.shas.E, s.shas.G]);
    // D is still superseded by E: the filter does not change what happened.
    expect(bob.changes[1].notReachedReason).toContain(short(s.shas.E!));
    const cms = JSON.parse(readFileSync((await generate('json', { kinds: ['configmap'] }, 'cm.json')).out, 'utf8'));
    expect(cms.changes.map((c: GitChangeRecord) => c.commit.sha)).toEqual([s.shas.A, s.shas.C, s.shas.F]);
    expect(cms.outOfBand.map((o: OutOfBandRecord) => o.object.name)).toEqual(['api-config']);
    expect(cms.drift.every((d: { object: { kind: string } }) => d.object.kind === 'ConfigMap')).toBe(true);
    expect(cms.gaps).toHaveLength(1);
  });

  it('PDF: renders with pdftoppm, one PNG per page, cover, summary, sections, integrity', async (ctx) => {
    const probe = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' });
    if (probe.error) {
      process.stdout.write('[reports] pdftoppm is not installed (apt-get install poppler-utils); skipping the PDF rendering test\n');
      ctx.skip();
      return;
    }
    const { out, r } = await generate('pdf');
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(r.sha256).toBe(sha(bytes));
    const pngDir = tempDir('driftline-report-png-');
    const render = spawnSync('pdftoppm', ['-r', '40', '-png', out, join(pngDir, 'page')], { encoding: 'utf8' });
    expect(render.status, render.stderr).toBe(0);
    const pages = readdirSync(pngDir).filter((f) => f.endsWith('.png'));
    // Cover, summary, Git changes (2 pages), out-of-band, drift intervals, gaps, integrity.
    expect(pages).toHaveLength(8);
    // Kept for a person to look at (artifacts/screenshots/report-page-N.png), like the browser screenshots.
    const shots = join(__dirname, '..', '..', 'artifacts', 'screenshots');
    mkdirSync(shots, { recursive: true });
    const sharp = spawnSync('pdftoppm', ['-r', '70', '-png', out, join(shots, 'report-page')], { encoding: 'utf8' });
    expect(sharp.status, sharp.stderr).toBe(0);
    const text = spawnSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
    if (!text.error) {
      expect(text.stdout).toContain('Driftline audit report');
      expect(text.stdout).toContain('Out-of-band changes');
      expect(text.stdout).toContain('kubectl-edit');
      expect(text.stdout).toMatch(/Page 8/);
      expect(text.stdout).toContain('not observed: superseded by commit');
    }
  });
});
