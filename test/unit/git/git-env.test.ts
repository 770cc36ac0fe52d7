import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGitEnv, protocolOf, redactGitEnv, redactUrl, simpleGitFor, TOKEN_ENV } from '../../../api/src/git/reader/git-env';
import { runGit } from '../../../api/src/git/reader/run-git';
import { GitRepoBuilder } from '../../support/git-repo-builder';

describe('buildGitEnv', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'driftline-env-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('locks git down and drops everything inherited but PATH and proxy/CA settings', () => {
    const env = buildGitEnv(
      { protocol: 'https', homeDir: home },
      { PATH: '/usr/bin:/bin', GIT_DIR: '/evil', GIT_CONFIG_PARAMETERS: "'core.pager'='x'", HTTPS_PROXY: 'http://proxy:3128', EDITOR: 'vi', SECRET: 'x' },
    );
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      HTTPS_PROXY: 'http://proxy:3128',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_NO_REPLACE_OBJECTS: '1',
      GIT_ALLOW_PROTOCOL: 'https',
    });
  });

  it('hands a token to git through GIT_ASKPASS and the environment, never writing it to disk', () => {
    const env = buildGitEnv({ protocol: 'https', token: 'ghp_s3cret', homeDir: home });
    expect(env[TOKEN_ENV]).toBe('ghp_s3cret');
    const script = env.GIT_ASKPASS!;
    expect(readFileSync(script, 'utf8')).not.toContain('ghp_s3cret');
    const ask = (prompt: string) => spawnSync(script, [prompt], { env: { ...env }, encoding: 'utf8' }).stdout;
    expect(ask("Username for 'https://github.com': ")).toBe('x-access-token\n');
    expect(ask("Password for 'https://x-access-token@github.com': ")).toBe('ghp_s3cret\n');
    expect(redactGitEnv(env)[TOKEN_ENV]).toBe('***');
  });

  it('builds an ssh command with the key, no other identities and a private known_hosts file', () => {
    const env = buildGitEnv({ protocol: 'ssh', sshKeyPath: "/keys/it's key", homeDir: home, knownHostsPath: '/data/known_hosts' });
    expect(env.GIT_SSH_COMMAND).toBe(
      "ssh -i '/keys/it'\\''s key' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='/data/known_hosts' -o BatchMode=yes",
    );
    expect(env.GIT_ALLOW_PROTOCOL).toBe('ssh');
  });

  it('tells the protocol of URLs and paths, and redacts credentials in URLs', () => {
    expect(protocolOf('https://github.com/acme/infra.git')).toBe('https');
    expect(protocolOf('ssh://git@github.com/acme/infra.git')).toBe('ssh');
    expect(protocolOf('git@github.com:acme/infra.git')).toBe('ssh');
    expect(protocolOf('/srv/infra')).toBe('file');
    expect(protocolOf('./infra')).toBe('file');
    expect(protocolOf('file:///srv/infra')).toBe('file');
    expect(() => protocolOf('ext::sh -c touch% /tmp/pwned')).toThrow();
    expect(redactUrl('https://user:tok@github.com/a/b.git')).toBe('https://user:***@github.com/a/b.git');
  });
});

describe('git processes in the locked-down env', () => {
  let repo: GitRepoBuilder;
  let home: string;
  beforeAll(async () => {
    repo = await GitRepoBuilder.create();
    await repo.commit({ files: { 'a.yaml': 'a: 1\n' } });
    home = await mkdtemp(join(tmpdir(), 'driftline-env-'));
  });
  afterAll(async () => {
    await repo.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it('simple-git accepts the env (askpass and ssh command included) and clones a local path', async () => {
    const env = buildGitEnv({ protocol: 'file', token: 't', sshKeyPath: '/nonexistent', homeDir: home });
    const target = join(home, 'clone');
    await simpleGitFor(home, env).clone(repo.dir, target, ['--mirror']);
    expect((await simpleGitFor(target, env).revparse(['main'])).trim()).toBe(await repo.head());
  });

  it('refuses protocols other than the configured one', async () => {
    const env = buildGitEnv({ protocol: 'https', homeDir: home });
    await expect(runGit(home, ['clone', '-q', `file://${repo.dir}`, join(home, 'nope')], { env })).rejects.toThrow(
      /transport 'file' not allowed/,
    );
  });

  it('sends the token over HTTP basic auth obtained through askpass', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      if (!req.headers.authorization) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      } else {
        res.writeHead(403).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const env = buildGitEnv({ protocol: 'http', token: 'tok-123', homeDir: home });
      await expect(runGit(home, ['ls-remote', `http://127.0.0.1:${port}/acme/infra.git`], { env })).rejects.toThrow();
      const auth = seen.map((h) => h.authorization).find(Boolean);
      expect(Buffer.from(auth!.replace(/^Basic /, ''), 'base64').toString()).toBe('x-access-token:tok-123');
    } finally {
      server.close();
    }
  });
});
