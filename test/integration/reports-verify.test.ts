import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, TestDatabase } from '../support/db';
import { runCli } from '../support/cli';
import { buildScenario, Scenario, tempDir, WINDOW } from './reports-scenario';

let db: TestDatabase;
let s: Scenario;
let configPath: string;
let env: Record<string, string>;
const dir = tempDir('driftline-report-verify-');

beforeAll(async () => {
  db = await freshDatabase();
  s = await buildScenario(db.dataSource);
  configPath = s.writeConfig(dir);
  env = { DATABASE_URL: db.url, DRIFTLINE_DATA_DIR: join(dir, 'data') };
});
afterAll(async () => {
  await db.drop();
  await s?.repo.cleanup();
});

const report = (format: string, output: string) =>
  runCli(['report', '--config', configPath, '--environment', 'prod', '--from', WINDOW.from, '--to', WINDOW.to, '--format', format, '--output', output], { env, timeoutMs: 90_000 });
const verify = (file: string, json = false) => runCli(['report', 'verify', '--config', configPath, file, ...(json ? ['--json'] : [])], { env, timeoutMs: 90_000 });

describe('driftline report and report verify', () => {
  const files: Record<string, string> = {};

  it('writes CSV, JSON and PDF reports and verifies each as intact (exit 0)', async () => {
    for (const format of ['csv', 'json', 'pdf']) {
      const out = join(dir, `q.${format}`);
      const r = await report(format, out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[.]/g, '\\.')}: 17 records, ${format.toUpperCase()}, \\d+ bytes, sha256 [0-9a-f]{64} \\(report [0-9a-f-]{36}\\)\\n$`));
      files[format] = out;
      const v = await verify(out);
      expect(v.stderr).toBe('');
      expect(v.stdout).toContain('INTACT: the report matches the database');
      expect(v.code).toBe(0);
    }
    const listed = await db.dataSource.query(`SELECT format, status, created_by, path FROM reports ORDER BY created_at`);
    expect(listed).toEqual(['csv', 'json', 'pdf'].map((format) => ({ format, status: 'done', created_by: expect.stringMatching(/^cli/), path: null })));
  });

  it('says which file was edited (exit 1)', async () => {
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, readFileSync(files.json!, 'utf8').replace('"commitToLiveSeconds":120', '"commitToLiveSeconds":12'));
    const v = await verify(edited);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('FAIL  file: edited after it was generated');
    expect(v.stdout).toContain('NOT INTACT');
  });

  it('detects a record edited and another deleted in SQL after the report, naming both (exit 1)', async () => {
    await db.dataSource.query(`UPDATE commits SET author_email = 'mallory@example.com' WHERE sha = $1`, [s.shas.B]);
    // The first kubectl edit (the applier's revert follows it in the chain).
    const [removed] = await db.dataSource.query(`DELETE FROM live_revisions WHERE observed_at = $1 RETURNING id::int`, [s.manualEdits.web]);
    expect(removed).toHaveLength(1);
    const liveId = removed[0].id as number;
    for (const format of ['csv', 'json', 'pdf']) {
      const v = await verify(files[format]!);
      expect(v.code, v.stdout + v.stderr).toBe(1);
      const out = v.stdout;
      expect(out).toContain('NOT INTACT');
      // The edited commit: its content no longer matches its hash.
      expect(out).toContain(`commits infra: commit seq 3 (${s.shas.B!.slice(0, 12)}) was changed after it was recorded: its content no longer matches its hash`);
      // The deleted live revision: the chain breaks after it, and the window is one record short.
      expect(out).toMatch(new RegExp(`live_revisions prod-eu: the chain is broken before live revision id ${liveId + 1} .*a record was removed`));
      expect(out).toContain("live_revisions prod-eu: 1 record(s) of the report's window are missing");
      expect(out).toContain('FAIL  content: the records no longer match the database');
      if (format !== 'pdf') {
        expect(out).toMatch(new RegExp(`changed +git/prod/\\d+: git Deployment shop/web at .* \\(commit ${s.shas.B!.slice(0, 12)}\\): (author_email|commit\\.author\\.email) changed`));
        expect(out).toMatch(new RegExp(`removed +out-of-band/prod/${liveId}: in the report, no longer in the database: out-of-band Deployment shop/web at .* by kubectl-edit`));
      }
    }
    const json = await verify(files.json!, true);
    const r = JSON.parse(json.stdout);
    expect(r).toMatchObject({ ok: false, file_integrity: 'intact', contentMatches: false, chainsIntact: false });
  });

  it('exits 2 on a file that is not a report, or no file', async () => {
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello\n');
    const a = await verify(junk);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('is not a Driftline report');
    const b = await verify(join(dir, 'missing.csv'));
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('no such file');
  });
});
