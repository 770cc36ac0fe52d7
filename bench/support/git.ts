import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';

/** An environment for git that no user or system configuration can change. */
export function gitEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' };
}

/** Runs git in `dir`, writing `input` to its stdin when given; rejects with git's stderr on a non-zero exit. */
export function git(dir: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: dir, env: gitEnv(), stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed (${code}): ${stderr.trim()}`))));
    if (input !== undefined) {
      // git may exit before the write lands (EPIPE): its exit code tells what happened.
      child.stdin!.on('error', () => {});
      child.stdin!.end(input);
    }
  });
}
