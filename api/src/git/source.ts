import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RepositoryConfig } from '../config/schema';
import { buildGitEnv, GitEnv, protocolOf, redactUrl } from './reader/git-env';
import { runGit } from './reader/run-git';
import { DomainError } from '../common/errors';

export interface GitSource {
  /** A directory git can read: the local repository, or the bare mirror. */
  dir: string;
  env: GitEnv;
  /** The ref to index. */
  ref: string;
  /** Where it comes from, credentials removed: for display. */
  display: string;
}

/**
 * Resolve a configured repository to something git reads. A local `path` is read in
 * place; a `url` is mirrored as a bare clone under `<dataDir>/git/<name>.git` and
 * fetched (the tracked branch, forced, so a force push is seen as a rewrite).
 */
export async function prepareSource(repo: RepositoryConfig, dataDir: string, logger: Logger, opts: { fetch: boolean }): Promise<GitSource> {
  const home = join(dataDir, 'git', '.home');
  mkdirSync(home, { recursive: true });
  if (repo.path) {
    if (!existsSync(repo.path)) throw new DomainError('git.source_missing', `repository ${repo.name}: path ${repo.path} does not exist`, 422);
    const env = buildGitEnv({ protocol: 'file', homeDir: home });
    return { dir: repo.path, env, ref: `refs/heads/${repo.branch}`, display: repo.path };
  }
  const url = repo.url!;
  const env = buildGitEnv({
    protocol: protocolOf(url),
    token: repo.auth?.token,
    username: repo.auth?.username,
    sshKeyPath: sshKeyFile(repo, home),
    knownHostsPath: join(dataDir, 'git', 'known_hosts'),
    homeDir: home,
  });
  const dir = join(dataDir, 'git', `${repo.name}.git`);
  const ref = `refs/heads/${repo.branch}`;
  if (!existsSync(join(dir, 'HEAD'))) {
    mkdirSync(dir, { recursive: true });
    await runGit(dir, ['init', '--bare', '--quiet'], { env });
    await runGit(dir, ['remote', 'add', 'origin', url], { env });
    logger.info({ repository: repo.name, url: redactUrl(url) }, 'created bare mirror');
  }
  if (opts.fetch) {
    await runGit(dir, ['fetch', '--quiet', '--no-tags', '--prune', 'origin', `+${ref}:${ref}`], { env });
  }
  return { dir, env, ref, display: redactUrl(url) };
}

/**
 * `sshKey: file:/keys/id` is resolved at start to the key's content; git needs a file,
 * so the content is written once, mode 0600, into the private git home.
 */
function sshKeyFile(repo: RepositoryConfig, home: string): string | undefined {
  const key = repo.auth?.sshKey;
  if (!key) return undefined;
  if (!key.includes('PRIVATE KEY')) return key; // a path given literally
  const path = join(home, `${repo.name}.key`);
  writeFileSync(path, key.endsWith('\n') ? key : key + '\n', { mode: 0o600 });
  return path;
}
