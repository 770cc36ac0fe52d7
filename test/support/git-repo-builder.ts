import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildGitEnv } from '../../api/src/git/reader/git-env';
import { runGit } from '../../api/src/git/reader/run-git';

export interface Identity {
  name: string;
  email: string;
}

/** A date as a Date (stored as UTC) or an ISO string with an explicit zone, whose offset git keeps. */
export type CommitDate = Date | string;

export interface CommitSpec {
  /** path → content; null deletes the file. Applied after renames. */
  files?: Record<string, string | Buffer | null>;
  /** from → to, done with `git mv` in the same commit. */
  renames?: Record<string, string>;
  message?: string;
  author?: Identity;
  /** Defaults to the author. */
  committer?: Identity;
  /** Author date; defaults to the builder's clock (one minute per commit from 2024-01-01T00:00Z). */
  date?: CommitDate;
  /** Defaults to the author date. */
  committerDate?: CommitDate;
  allowEmpty?: boolean;
}

export interface MergeSpec {
  message?: string;
  author?: Identity;
  date?: CommitDate;
}

export const DEFAULT_AUTHOR: Identity = { name: 'Test Author', email: 'author@example.com' };
const CLOCK_START = Date.parse('2024-01-01T00:00:00Z');

/** Git's raw date form "<epoch> <+hhmm>", keeping the offset of an ISO string. */
export function gitDate(date: CommitDate): string {
  if (date instanceof Date) return `${Math.floor(date.getTime() / 1000)} +0000`;
  const zone = /(Z|[+-]\d\d:?\d\d)$/.exec(date)?.[1];
  const ms = Date.parse(date);
  if (zone === undefined || Number.isNaN(ms)) throw new Error(`commit date needs an ISO time with a zone: ${date}`);
  const offset = zone === 'Z' ? '+0000' : zone.replace(':', '');
  return `${Math.floor(ms / 1000)} ${offset}`;
}

/**
 * Builds real git repositories for tests: `const repo = await GitRepoBuilder.create()`, then
 * `await repo.commit({ files: { 'a.yaml': '…' } })`. Every git process runs in Driftline's locked-down
 * env, so the host's git config never leaks in, and dates come from a deterministic clock.
 */
export class GitRepoBuilder {
  readonly dir: string;
  private readonly root: string;
  private readonly baseEnv: Readonly<Record<string, string>>;
  private tick = 0;

  private constructor(root: string, dir: string) {
    this.root = root;
    this.dir = dir;
    this.baseEnv = buildGitEnv({ protocol: 'file', homeDir: join(root, 'home') });
  }

  /** A new repository with an empty `main` branch (or `branch`). */
  static async create(options: { branch?: string } = {}): Promise<GitRepoBuilder> {
    const repo = await GitRepoBuilder.make();
    await repo.git(['init', '-q', '-b', options.branch ?? 'main', repo.dir]);
    return repo;
  }

  /** A new bare repository, e.g. a remote to push to. */
  static async createBare(options: { branch?: string } = {}): Promise<GitRepoBuilder> {
    const repo = await GitRepoBuilder.make();
    await repo.git(['init', '-q', '--bare', '-b', options.branch ?? 'main', repo.dir]);
    return repo;
  }

  private static async make(): Promise<GitRepoBuilder> {
    const root = await mkdtemp(join(tmpdir(), 'driftline-repo-'));
    const dir = join(root, 'repo');
    await mkdir(dir);
    return new GitRepoBuilder(root, dir);
  }

  /** Run git in the repository; returns stdout as text. */
  async git(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    const { stdout } = await runGit(this.dir, args, {
      env: { ...this.baseEnv, ...options.env },
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    return stdout.toString('utf8');
  }

  private identityEnv(author: Identity, committer: Identity, date: CommitDate | undefined, committerDate: CommitDate | undefined): Record<string, string> {
    this.tick += 1;
    const authorDate = gitDate(date ?? new Date(CLOCK_START + this.tick * 60_000));
    return {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: authorDate,
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: committerDate === undefined ? authorDate : gitDate(committerDate),
    };
  }

  /** Make one commit on the checked-out branch; returns its sha. */
  async commit(spec: CommitSpec = {}): Promise<string> {
    for (const [from, to] of Object.entries(spec.renames ?? {})) {
      await mkdir(dirname(join(this.dir, to)), { recursive: true });
      await this.git(['mv', '--', from, to]);
    }
    for (const [path, content] of Object.entries(spec.files ?? {})) {
      const full = join(this.dir, path);
      if (content === null) {
        await rm(full, { force: true });
      } else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
    await this.git(['add', '-A']);
    const author = spec.author ?? DEFAULT_AUTHOR;
    let message = spec.message ?? `commit ${this.tick + 1}`;
    if (!message.endsWith('\n')) message += '\n';
    await this.git(
      ['commit', '-q', '--cleanup=verbatim', '--no-verify', ...(spec.allowEmpty ? ['--allow-empty'] : []), '-F', '-'],
      { input: message, env: this.identityEnv(author, spec.committer ?? author, spec.date, spec.committerDate) },
    );
    return this.head();
  }

  /** The commit id of `ref` (default HEAD). */
  async head(ref = 'HEAD'): Promise<string> {
    return (await this.git(['rev-parse', '--verify', `${ref}^{commit}`])).trim();
  }

  /** Create a branch at `from` (default HEAD) without switching to it. */
  async branch(name: string, from = 'HEAD'): Promise<void> {
    await this.git(['branch', name, from]);
  }

  async checkout(ref: string): Promise<void> {
    await this.git(['checkout', '-q', ref]);
  }

  /** Merge `branch` into the checked-out branch with a merge commit (never fast-forward). */
  async merge(branch: string, spec: MergeSpec = {}): Promise<string> {
    const author = spec.author ?? DEFAULT_AUTHOR;
    await this.git(['merge', '-q', '--no-ff', '--no-edit', '--no-verify', '-m', spec.message ?? `Merge branch '${branch}'`, branch], {
      env: this.identityEnv(author, author, spec.date, undefined),
    });
    return this.head();
  }

  /** Move the checked-out branch (and the working tree) to `sha`. */
  async resetHard(sha: string): Promise<void> {
    await this.git(['reset', '-q', '--hard', sha]);
  }

  /**
   * Start rewriting history from `fromSha`: the branch goes back there, and the commits made next
   * replace what followed it. Push them with forcePushTo() to simulate a force push.
   */
  async rewrite(fromSha: string): Promise<void> {
    await this.resetHard(fromSha);
  }

  /** Push HEAD to `branch` of a (bare) remote, fast-forward only. */
  async pushTo(remote: GitRepoBuilder | string, branch = 'main'): Promise<void> {
    await this.git(['push', '-q', typeof remote === 'string' ? remote : remote.dir, `HEAD:refs/heads/${branch}`]);
  }

  /** Push HEAD to `branch` of a (bare) remote, replacing whatever history it had. */
  async forcePushTo(remote: GitRepoBuilder | string, branch = 'main'): Promise<void> {
    await this.git(['push', '-q', '--force', typeof remote === 'string' ? remote : remote.dir, `HEAD:refs/heads/${branch}`]);
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
