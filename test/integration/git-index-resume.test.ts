import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { DRIFTLINE_BIN, runCli } from '../support/cli';

/** Everything the index wrote, as comparable content (ids and timestamps of the run left out). */
async function snapshot(db: TestDatabase) {
  const q = (sql: string) => db.dataSource.query(sql).then((rows: unknown[]) => JSON.stringify(rows));
  return {
    commits: await q(`SELECT sha, parents, first_parent, subject, pr_number, reachable, hash FROM commits ORDER BY sha`),
    fileChanges: await q(`SELECT commit_sha, path, status, old_path, new_blob FROM file_changes ORDER BY commit_sha, path`),
    blobs: await q(`SELECT sha, status, reason_code, objects FROM blobs ORDER BY sha`),
    documents: await q(`SELECT hash FROM documents ORDER BY hash`),
    revisions: await q(`SELECT dr.environment, o.kind, o.namespace, o.name, dr.commit_sha, dr.document_hash, dr.change, dr.path, dr.hash FROM desired_revisions dr JOIN objects o ON o.id = dr.object_id ORDER BY dr.environment, dr.commit_sha, o.kind, o.name`),
    current: await q(`SELECT dc.environment, o.kind, o.name, dc.document_hash FROM desired_current dc JOIN objects o ON o.id = dc.object_id ORDER BY 1, 2, 3`),
  };
}

describe('git index: kill -9 and resume', () => {
  let repo: GitRepoBuilder;
  let dir: string;
  beforeAll(async () => {
    repo = await GitRepoBuilder.create();
    for (let i = 0; i < 120; i++) {
      const files: Record<string, string | null> = {};
      files[`clusters/prod/app${i % 15}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app${i % 15} }\ndata: { rev: "${i}" }\n`;
      if (i % 17 === 16) files[`clusters/prod/app${(i + 3) % 15}.yaml`] = null;
      if (i % 29 === 0) files[`clusters/staging/s${i}.yaml`] = `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: s${i} }\n`;
      await repo.commit({ files, message: `change ${i} (#${i + 1})` });
    }
    dir = mkdtempSync(join(tmpdir(), 'driftline-resume-'));
    writeFileSync(
      join(dir, 'driftline.yaml'),
      `repositories: [{ name: infra, path: ${repo.dir} }]\nenvironments:\n  - { name: prod, repository: infra, paths: ["clusters/prod/**"] }\n  - { name: staging, repository: infra, paths: ["clusters/staging/**"] }\n`,
    );
  });
  afterAll(async () => {
    await repo.cleanup();
  });

  it('ends with exactly the rows of an uninterrupted run', async () => {
    const killed = await freshDatabase();
    const clean = await freshDatabase();
    try {
      const env = { DATABASE_URL: killed.url, DRIFTLINE_DATA_DIR: dir };
      // Start an index in small batches and kill -9 it once some batches committed, mid-run.
      const child = spawn(process.execPath, [DRIFTLINE_BIN, 'index', '--config', join(dir, 'driftline.yaml'), '--batch-size', '3'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      let seen = 0;
      for (let i = 0; i < 400 && seen < 30; i++) {
        await new Promise((r) => setTimeout(r, 25));
        seen = Number((await killed.dataSource.query(`SELECT count(*) AS n FROM commits`))[0].n);
      }
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      const partial = Number((await killed.dataSource.query(`SELECT count(*) AS n FROM commits`))[0].n);
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(120);
      const resumed = await runCli(['index', '--config', join(dir, 'driftline.yaml'), '--json'], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ commits: 120, newCommits: 120 - partial });

      const whole = await runCli(['index', '--config', join(dir, 'driftline.yaml'), '--json'], { env: { DATABASE_URL: clean.url, DRIFTLINE_DATA_DIR: dir } });
      expect(whole.code, whole.stderr).toBe(0);
      expect(await snapshot(killed)).toEqual(await snapshot(clean));
    } finally {
      await killed.drop();
      await clean.drop();
    }
  });
});
