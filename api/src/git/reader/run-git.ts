import { spawn } from 'node:child_process';
import { localReadEnv, type GitEnv } from './git-env';

/** A git command that failed: exit code, signal and stderr are kept for the message and the caller. */
export class GitCommandError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number | null, signal: NodeJS.Signals | null, stderr: string) {
    const how = signal ? `killed by ${signal}` : `exited with ${exitCode}`;
    super(`git ${args[0] ?? ''} ${how}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    this.name = 'GitCommandError';
    this.args = args;
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderr = stderr;
  }
}

export interface RunGitOptions {
  env?: GitEnv;
  /** Written to stdin, then stdin is closed. */
  input?: string | Buffer;
  /** Exit codes that count as success (default [0]). */
  okCodes?: readonly number[];
}

export interface RunGitResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/** Run one git command in `dir` and collect its output. Rejects with GitCommandError on failure. */
export function runGit(dir: string, args: readonly string[], options: RunGitOptions = {}): Promise<RunGitResult> {
  const okCodes = options.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: dir,
      env: options.env ?? localReadEnv(),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== null && okCodes.includes(code)) {
        resolve({ stdout: Buffer.concat(out), stderr, exitCode: code });
      } else {
        reject(new GitCommandError(args, code, signal, stderr));
      }
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // EPIPE when git exits early: the exit code tells.
      child.stdin.end(options.input);
    }
  });
}

/**
 * Reject revisions that git could read as an option or that would break a line protocol.
 * Callers put revisions after `--end-of-options` where git supports it; this is the second line.
 */
export function assertRevision(rev: string): string {
  if (rev === '' || rev.startsWith('-') || /[\0\n\r]/.test(rev)) {
    throw new Error(`invalid git revision: ${JSON.stringify(rev)}`);
  }
  return rev;
}
