import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepo, type GenerateResult } from '../../../bench/git-index/generate';
import { lsTree, revParse, streamLog, type LogCommit } from '../../../api/src/git/reader/log-stream';
import { runGit } from '../../../api/src/git/reader/run-git';

describe('generateRepo (synthetic GitOps history through one fast-import stream)', () => {
  let root: string;
  let result: GenerateResult;
  let commits: LogCommit[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'driftline-gen-'));
    result = await generateRepo(join(root, 'repo'), { commits: 300, appsPerEnv: 40, seed: 7 });
    commits = [];
    for await (const c of streamLog(result.dir, { range: 'main', reverse: true })) commits.push(c);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('makes exactly N commits reachable from main, and git fsck is clean', async () => {
    expect(result.commits).toBe(300);
    const count = await runGit(result.dir, ['rev-list', '--count', 'main']);
    expect(count.stdout.toString().trim()).toBe('300');
    expect(commits).toHaveLength(300);
    const fsck = await runGit(result.dir, ['fsck', '--strict', '--no-progress', '--no-dangling']);
    expect(fsck.stdout.toString() + fsck.stderr).toBe('');
    // Checked out: the working tree matches main.
    const status = await runGit(result.dir, ['status', '--porcelain']);
    expect(status.stdout.toString()).toBe('');
  });

  it('lays out environments, apps and non-Kubernetes files, and counts them right', async () => {
    const tree = await lsTree(result.dir, 'main');
    expect(tree).toHaveLength(result.files);
    const paths = tree.map((e) => e.path);
    for (const env of ['dev', 'staging', 'prod']) {
      expect(paths.some((p) => new RegExp(`^clusters/${env}/(.+/)?[a-z0-9-]+/deployment\\.yaml$`).test(p))).toBe(true);
    }
    expect(paths).toContain('dns/zones/acme.example.zone');
    expect(paths).toContain('gateway/routes-prod.yaml');
    expect(paths).toContain('charts/common-app/templates/deployment.yaml');
  });

  it('mixes bot bumps, human changes with PR numbers, merges and time zones', () => {
    const bots = commits.filter((c) => c.author.name === 'renovate[bot]');
    expect(bots.length).toBeGreaterThan(100);
    expect(commits.some((c) => / \(#\d+\)$/.test(c.subject) && c.author.name !== 'renovate[bot]')).toBe(true);
    const merges = commits.filter((c) => c.parents.length === 2);
    expect(merges.length).toBe(result.mergeCommits);
    expect(merges.length).toBeGreaterThan(0);
    expect(merges.every((m) => /^Merge pull request #\d+ from /.test(m.subject) && m.files.length > 0)).toBe(true);
    expect(new Set(commits.map((c) => c.author.tz)).size).toBeGreaterThan(4);
    const times = commits.map((c) => Date.parse(c.committer.time));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });

  it('is deterministic for a seed', async () => {
    const again = await generateRepo(join(root, 'again'), { commits: 300, appsPerEnv: 40, seed: 7, bare: true });
    expect(await revParse(again.dir, 'main')).toBe(await revParse(result.dir, 'main'));
  });

  it('runs as a CLI under Node 24 type stripping', async () => {
    const dir = join(root, 'cli');
    const script = join(__dirname, '../../../bench/git-index/generate.ts');
    const out = spawnSync(process.execPath, [script, dir, '--commits', '50', '--apps', '10', '--bare'], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^generated .*: 50 commits \(\d+ merges\), \d+ files, \d+ blobs, [\d.]+s\n$/);
    const count = await runGit(dir, ['rev-list', '--count', 'main']);
    expect(count.stdout.toString().trim()).toBe('50');
  });
});
