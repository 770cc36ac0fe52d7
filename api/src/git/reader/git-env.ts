import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit, type SimpleGit, type SimpleGitOptions } from 'simple-git';

/** Transport protocols Driftline lets git use, one per configured repository. */
export type GitProtocol = 'https' | 'http' | 'ssh' | 'git' | 'file';

export interface GitEnvOptions {
  /** Protocol of the configured URL ('file' for a local path). Only this one is allowed. */
  protocol: GitProtocol;
  /** HTTPS token. Handed to git through GIT_ASKPASS and an env var, never through argv or a URL. */
  token?: string;
  /** Username answered to git's "Username for …" prompt when a token is set. */
  username?: string;
  /** Private key for ssh transport. */
  sshKeyPath?: string;
  /** known_hosts file (in the data dir) for ssh; defaults to `<homeDir>/known_hosts`. */
  knownHostsPath?: string;
  /** A private directory used as HOME, so no user config, credentials or ssh config leak in. */
  homeDir: string;
}

/** Environment for a git child process. Holds the token when one is configured: never log it as is. */
export type GitEnv = Readonly<Record<string, string>>;

/** The env var the askpass script reads the token from. */
export const TOKEN_ENV = 'DRIFTLINE_GIT_TOKEN';
const USERNAME_ENV = 'DRIFTLINE_GIT_USERNAME';

/**
 * Non-git variables passed through from the service's own environment: the binary search path and
 * what outbound HTTPS needs behind a proxy or a private CA. Everything else, and every GIT_* variable,
 * is dropped.
 */
const PASS_THROUGH = [
  'PATH',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

// No secret in here: the token comes from the environment of the git process that runs it.
const ASKPASS_SCRIPT = `#!/bin/sh
# Written by Driftline. Answers git credential prompts from the environment.
case "$1" in
  Username*) printf '%s\\n' "\${${USERNAME_ENV}:-x-access-token}" ;;
  *) printf '%s\\n' "\${${TOKEN_ENV}}" ;;
esac
`;

/** Quote one word for the POSIX shell that git runs GIT_SSH_COMMAND through. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Build the locked-down environment for every git process Driftline spawns: no system or global
 * config, a private HOME, no terminal prompts, C locale, only the configured protocol, credentials
 * through GIT_ASKPASS (token) or GIT_SSH_COMMAND (key). Writes the askpass script into homeDir.
 */
export function buildGitEnv(options: GitEnvOptions, inherited: NodeJS.ProcessEnv = process.env): GitEnv {
  const { protocol, token, sshKeyPath, homeDir } = options;
  mkdirSync(homeDir, { recursive: true, mode: 0o700 });

  const env: Record<string, string> = {};
  for (const key of PASS_THROUGH) {
    const value = inherited[key];
    if (value !== undefined) env[key] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  Object.assign(env, {
    HOME: homeDir,
    XDG_CONFIG_HOME: join(homeDir, '.config'),
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // refs/replace/* must not change what history looks like to the indexer.
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_ALLOW_PROTOCOL: protocol,
  });

  if (token !== undefined && token !== '') {
    const script = join(homeDir, 'askpass.sh');
    writeFileSync(script, ASKPASS_SCRIPT, { mode: 0o700 });
    chmodSync(script, 0o700);
    env.GIT_ASKPASS = script;
    env[TOKEN_ENV] = token;
    if (options.username) env[USERNAME_ENV] = options.username;
  }

  if (sshKeyPath !== undefined && sshKeyPath !== '') {
    const knownHosts = options.knownHostsPath ?? join(homeDir, 'known_hosts');
    env.GIT_SSH_COMMAND = [
      'ssh',
      '-i',
      shellQuote(sshKeyPath),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${shellQuote(knownHosts)}`,
      '-o',
      'BatchMode=yes',
    ].join(' ');
  }
  return Object.freeze(env);
}

/** The protocol git will use for a repository URL or local path (scp-like `user@host:path` is ssh). */
export function protocolOf(url: string): GitProtocol {
  const helper = /^([a-z][a-z0-9+.-]*)::/i.exec(url)?.[1];
  if (helper !== undefined) throw new Error(`git remote helper URLs ("${helper}::…") are not supported`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme === 'https' || scheme === 'http' || scheme === 'ssh' || scheme === 'git' || scheme === 'file') {
      return scheme;
    }
    throw new Error(`unsupported git URL scheme "${scheme}" in ${redactUrl(url)}`);
  }
  // scp-like syntax: [user@]host:path, where host has no slash before the colon.
  if (/^[^/:]+:/.test(url) && !/^[a-z]:[\\/]/i.test(url)) return 'ssh';
  return 'file';
}

/** A URL with any userinfo password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, userinfo: string) => {
    const user = userinfo.split(':')[0] ?? '';
    return `${scheme}${user ? `${user}:***` : '***'}@`;
  });
}

/** The env with secrets masked, for logs. */
export function redactGitEnv(env: GitEnv): Record<string, string> {
  const out: Record<string, string> = { ...env };
  if (out[TOKEN_ENV] !== undefined) out[TOKEN_ENV] = '***';
  return out;
}

let defaultEnv: GitEnv | undefined;

/**
 * A locked-down env for reading local repositories (protocol 'file', no credentials), with a
 * private HOME made once per process under the OS temp dir.
 */
export function localReadEnv(): GitEnv {
  if (!defaultEnv) {
    const homeDir = mkdtempSync(join(tmpdir(), 'driftline-git-home-'));
    process.once('exit', () => rmSync(homeDir, { recursive: true, force: true }));
    defaultEnv = buildGitEnv({ protocol: 'file', homeDir });
  }
  return defaultEnv;
}

/**
 * simple-git bound to `dir` with exactly `env`. simple-git 4 refuses GIT_* variables passed through
 * `.env()` unless they are named in `allowEnvironment`, and refuses GIT_ASKPASS / GIT_SSH_COMMAND /
 * GIT_CONFIG_GLOBAL unless the matching `unsafe` flag is set: Driftline sets those itself, so they are
 * allowed here, and only when present.
 */
export function simpleGitFor(dir: string, env: GitEnv, options: Partial<SimpleGitOptions> = {}): SimpleGit {
  const keys = Object.keys(env);
  return simpleGit({
    ...options,
    baseDir: dir,
    allowEnvironment: keys.filter((k) => k.toUpperCase().startsWith('GIT_')),
    unsafe: {
      ...options.unsafe,
      allowUnsafeAskPass: keys.includes('GIT_ASKPASS'),
      allowUnsafeSshCommand: keys.includes('GIT_SSH_COMMAND'),
      allowUnsafeConfigPaths: keys.includes('GIT_CONFIG_GLOBAL'),
    },
  }).env({ ...env });
}
