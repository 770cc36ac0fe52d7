import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countCommits,
  isAncestor,
  listReachable,
  logArgs,
  LogParser,
  lsTree,
  revParse,
  streamLog,
  type LogCommit,
} from '../../../api/src/git/reader/log-stream';
import { runGit } from '../../../api/src/git/reader/run-git';
import { GitRepoBuilder } from '../../support/git-repo-builder';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const alice = { name: 'Alice Müller', email: 'alice@example.com' };
const bob = { name: 'Bob', email: 'bob@example.com' };
const deployment = (tag: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web:${tag}\n          env:\n            - { name: LOG_LEVEL, value: info }\n            - { name: REGION, value: eu-west-1 }\n`;
const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 10, 13, 0x80, 0]);
const oddNames = ['dir with space/ünïcödé.yaml', 'new\nline.yaml', 'tab\tname.yaml', '"quoted".yaml'];

describe('streamLog over a builder repository', () => {
  let repo: GitRepoBuilder;
  const sha: Record<string, string> = {};

  beforeAll(async () => {
    repo = await GitRepoBuilder.create();
    sha.root = await repo.commit({
      files: { 'apps/web/deployment.yaml': deployment('1.0.0'), 'apps/web/service.yaml': 'kind: Service\n', 'README.md': 'hi\n' },
      author: alice,
      date: '2024-03-01T10:00:00+02:00',
      message: 'Initial layout',
    });
    sha.modify = await repo.commit({
      files: { 'apps/web/deployment.yaml': deployment('1.0.1') },
      author: { name: 'renovate[bot]', email: 'bot@renovateapp.com' },
      date: '2024-03-02T08:30:00-05:00',
      committerDate: '2024-03-02T14:31:00+01:00',
      committer: bob,
      message: 'chore(deps): update web to 1.0.1 (#12)',
    });
    sha.rename = await repo.commit({
      renames: { 'apps/web/deployment.yaml': 'clusters/prod/web/deployment.yaml' },
      files: { 'clusters/prod/web/deployment.yaml': deployment('1.0.1').replace('info', 'debug'), 'README.md': null },
      date: '2024-03-03T00:00:00+05:30',
      message: 'Move web to clusters/prod\n\nFirst paragraph of the body\nspans two lines.\n\nSecond paragraph.\n\nCo-authored-by: Bob <bob@example.com>\n',
    });
    sha.odd = await repo.commit({
      files: Object.fromEntries([...oddNames.map((n) => [n, `name: ${n}\n`]), ['assets/logo.bin', binary]]),
      message: 'Odd names and a binary',
    });
    await repo.branch('feature');
    await repo.checkout('feature');
    sha.feature = await repo.commit({ files: { 'apps/web/service.yaml': 'kind: Service\nspec: {}\n' }, message: 'Feature work' });
    await repo.checkout('main');
    sha.mainSide = await repo.commit({ files: { 'other.txt': 'x\n' }, message: 'Main side' });
    sha.merge = await repo.merge('feature', { message: 'Merge pull request #7 from acme/feature' });
    sha.empty = await repo.commit({ allowEmpty: true, message: 'Empty commit' });
  });
  afterAll(() => repo.cleanup());

  it('lists every commit, parents before children, with changes against the first parent', async () => {
    const commits = await collect(streamLog(repo.dir, { range: 'main', reverse: true }));
    expect(commits.map((c) => c.sha)).toHaveLength(8);
    const index = new Map(commits.map((c, i) => [c.sha, i]));
    for (const c of commits) for (const p of c.parents) expect(index.get(p)!).toBeLessThan(index.get(c.sha)!);
    expect(commits[0]!.sha).toBe(sha.root);
    expect(commits.at(-1)!.sha).toBe(sha.empty);
    expect(commits.at(-1)!.files).toEqual([]);

    const root = commits[0]!;
    expect(root.parents).toEqual([]);
    expect(root.files.map((f) => [f.status, f.path]).sort()).toEqual([
      ['A', 'README.md'],
      ['A', 'apps/web/deployment.yaml'],
      ['A', 'apps/web/service.yaml'],
    ]);
    const added = root.files.find((f) => f.path === 'README.md')!;
    expect(added).toMatchObject({ oldBlob: null, oldMode: null, newMode: '100644' });
    expect(added.newBlob).toMatch(/^[0-9a-f]{40}$/);
  });

  it('keeps names, emails and the original time zones of author and committer', async () => {
    const commits = await collect(streamLog(repo.dir, { range: 'main' }));
    const root = commits.find((c) => c.sha === sha.root)!;
    expect(root.author).toEqual({ name: 'Alice Müller', email: 'alice@example.com', time: '2024-03-01T10:00:00+02:00', tz: '+0200' });
    const bump = commits.find((c) => c.sha === sha.modify)!;
    expect(bump.author).toEqual({ name: 'renovate[bot]', email: 'bot@renovateapp.com', time: '2024-03-02T08:30:00-05:00', tz: '-0500' });
    expect(bump.committer).toEqual({ name: 'Bob', email: 'bob@example.com', time: '2024-03-02T14:31:00+01:00', tz: '+0100' });
    expect(commits.find((c) => c.sha === sha.rename)!.author.tz).toBe('+0530');
    // Same instant, whatever the zone.
    expect(Date.parse(root.author.time)).toBe(Date.parse('2024-03-01T08:00:00Z'));
  });

  it('reports modifications with both blobs and modes', async () => {
    const [bump] = await collect(streamLog(repo.dir, { range: `${sha.root}..${sha.modify}` }));
    expect(bump!.subject).toBe('chore(deps): update web to 1.0.1 (#12)');
    expect(bump!.files).toHaveLength(1);
    const f = bump!.files[0]!;
    expect(f).toMatchObject({ status: 'M', path: 'apps/web/deployment.yaml', oldMode: '100644', newMode: '100644' });
    expect(f.oldBlob).not.toBe(f.newBlob);
    expect(f.oldPath).toBeUndefined();
  });

  it('detects a rename with its score, old and new path, and a deletion in the same commit', async () => {
    const [c] = await collect(streamLog(repo.dir, { range: `${sha.modify}..${sha.rename}` }));
    const rename = c!.files.find((f) => f.status === 'R')!;
    expect(rename).toMatchObject({ oldPath: 'apps/web/deployment.yaml', path: 'clusters/prod/web/deployment.yaml' });
    expect(rename.score).toBeGreaterThan(50);
    expect(rename.score).toBeLessThan(100);
    expect(rename.oldBlob).not.toBeNull();
    expect(rename.newBlob).not.toBe(rename.oldBlob);
    const deleted = c!.files.find((f) => f.status === 'D')!;
    expect(deleted).toMatchObject({ path: 'README.md', newBlob: null, newMode: null, oldMode: '100644' });
  });

  it('keeps the full multi-paragraph message and a one-line subject', async () => {
    const [c] = await collect(streamLog(repo.dir, { range: `${sha.modify}..${sha.rename}` }));
    expect(c!.subject).toBe('Move web to clusters/prod');
    expect(c!.body).toBe(
      'Move web to clusters/prod\n\nFirst paragraph of the body\nspans two lines.\n\nSecond paragraph.\n\nCo-authored-by: Bob <bob@example.com>\n',
    );
  });

  it('handles unicode, spaces, tabs, quotes and newlines in paths, and binary files (-z)', async () => {
    const [c] = await collect(streamLog(repo.dir, { range: `${sha.rename}..${sha.odd}` }));
    expect(c!.files.map((f) => f.path).sort()).toEqual([...oddNames, 'assets/logo.bin'].sort());
    expect(c!.files.every((f) => f.status === 'A')).toBe(true);
  });

  it('diffs a merge commit against its first parent only', async () => {
    const commits = await collect(streamLog(repo.dir, { range: 'main' }));
    const merge = commits.find((c) => c.sha === sha.merge)!;
    expect(merge.parents).toEqual([sha.mainSide, sha.feature]);
    expect(merge.subject).toBe('Merge pull request #7 from acme/feature');
    expect(merge.files.map((f) => [f.status, f.path])).toEqual([['M', 'apps/web/service.yaml']]);
    // The feature commit itself is listed too (all reachable commits, not --first-parent).
    expect(commits.some((c) => c.sha === sha.feature)).toBe(true);
  });

  it('streams an incremental range only', async () => {
    const commits = await collect(streamLog(repo.dir, { range: `${sha.odd}..main`, reverse: true }));
    expect(commits.map((c) => c.sha).sort()).toEqual([sha.feature, sha.mainSide, sha.merge, sha.empty].sort());
    expect(commits.at(-1)!.sha).toBe(sha.empty);
    expect(await countCommits(repo.dir, `${sha.odd}..main`)).toBe(4);
  });

  it('parses the same commits whatever the chunk boundaries', async () => {
    const { stdout } = await runGit(repo.dir, logArgs({ range: 'main', reverse: true }));
    const whole = new LogParser();
    const expected = [...whole.push(stdout), ...whole.end()];
    expect(expected).toHaveLength(8);
    for (const size of [1, 2, 3, 7, 41, 64, 1000]) {
      const parser = new LogParser();
      const got: LogCommit[] = [];
      for (let i = 0; i < stdout.length; i += size) got.push(...parser.push(stdout.subarray(i, i + size)));
      got.push(...parser.end());
      expect(got, `chunk size ${size}`).toEqual(expected);
    }
    // Every single split point, two chunks.
    for (let cut = 1; cut < stdout.length; cut += 1) {
      const parser = new LogParser();
      const got = [...parser.push(stdout.subarray(0, cut)), ...parser.push(stdout.subarray(cut)), ...parser.end()];
      expect(got.map((c) => c.sha)).toEqual(expected.map((c) => c.sha));
      if (got.at(-2)!.files.length !== expected.at(-2)!.files.length) throw new Error(`split at ${cut}`);
    }
  });

  it('stops git when the consumer breaks early', async () => {
    let n = 0;
    for await (const c of streamLog(repo.dir, { range: 'main' })) {
      expect(c.sha).toMatch(/^[0-9a-f]{40}$/);
      n += 1;
      break;
    }
    expect(n).toBe(1);
  });

  it('fails clearly on an unknown revision and rejects option-like revisions', async () => {
    await expect(collect(streamLog(repo.dir, { range: 'no-such-branch' }))).rejects.toThrow(/git log exited with 128/);
    expect(() => logArgs({ range: '--output=/tmp/x' })).toThrow(/invalid git revision/);
  });

  it('answers rev-parse, ancestry, reachability and tree listings', async () => {
    expect(await revParse(repo.dir, 'main')).toBe(sha.empty);
    expect(await revParse(repo.dir, 'nope')).toBeNull();
    expect(await isAncestor(repo.dir, sha.feature!, 'main')).toBe(true);
    expect(await isAncestor(repo.dir, 'main', sha.feature!)).toBe(false);
    expect(await countCommits(repo.dir, 'main')).toBe(8);

    const reachable = await collect(listReachable(repo.dir, 'main'));
    expect(new Set(reachable)).toEqual(new Set(Object.values(sha)));
    expect(await collect(listReachable(repo.dir, 'main', { exclude: [sha.odd!] }))).toHaveLength(4);

    const tree = await lsTree(repo.dir, sha.odd!);
    const paths = tree.map((e) => e.path).sort();
    expect(paths).toEqual(['apps/web/service.yaml', 'assets/logo.bin', 'clusters/prod/web/deployment.yaml', ...oddNames].sort());
    const logo = tree.find((e) => e.path === 'assets/logo.bin')!;
    expect(logo).toMatchObject({ mode: '100644', type: 'blob', size: binary.length });
    const limited = await lsTree(repo.dir, sha.odd!, ['clusters/prod']);
    expect(limited.map((e) => e.path)).toEqual(['clusters/prod/web/deployment.yaml']);
  });
});

describe('streamLog after a force push', () => {
  it('sees the rewritten history and that the old head is no longer reachable', async () => {
    const remote = await GitRepoBuilder.createBare();
    const repo = await GitRepoBuilder.create();
    try {
      const base = await repo.commit({ files: { 'a.yaml': 'a: 1\n' } });
      const old = await repo.commit({ files: { 'a.yaml': 'a: 2\n' } });
      await repo.pushTo(remote);
      expect(await revParse(remote.dir, 'main')).toBe(old);
      await repo.rewrite(base);
      const replacement = await repo.commit({ files: { 'a.yaml': 'a: 3\n' }, message: 'Rewritten' });
      await repo.forcePushTo(remote);
      expect(await revParse(remote.dir, 'main')).toBe(replacement);
      expect(await isAncestor(remote.dir, old, 'main')).toBe(false);
      const commits = await collect(streamLog(remote.dir, { range: 'main', reverse: true }));
      expect(commits.map((c) => c.sha)).toEqual([base, replacement]);
    } finally {
      await repo.cleanup();
      await remote.cleanup();
    }
  });
});
