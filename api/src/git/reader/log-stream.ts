import { spawn } from 'node:child_process';
import { localReadEnv, type GitEnv } from './git-env';
import { assertRevision, GitCommandError, runGit } from './run-git';

export interface GitPerson {
  name: string;
  email: string;
  /** Strict ISO 8601 with the original offset, as git stored it: "2024-03-01T10:00:00+02:00". */
  time: string;
  /** The original offset in git's form: "+0200", "-0530". */
  tz: string;
}

export type FileStatus = 'A' | 'M' | 'D' | 'R' | 'C' | 'T';

/** One line of `git log --raw`, diffed against the first parent (the empty tree for a root commit). */
export interface FileChange {
  status: FileStatus;
  /** Source path of a rename or copy (R, C) only. */
  oldPath?: string;
  /** The file's path after the change; for D the deleted path. */
  path: string;
  /** Blob id before / after; null on the side where the file does not exist (A: old, D: new). */
  oldBlob: string | null;
  newBlob: string | null;
  /** File modes ("100644", "100755", "120000" symlink, "160000" submodule whose "blob" is a commit). */
  oldMode: string | null;
  newMode: string | null;
  /** Similarity percentage of a rename or copy (0–100). */
  score?: number;
}

export interface LogCommit {
  sha: string;
  /** All parents, first parent first. */
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  /** The subject line as `%s` gives it (first paragraph joined on one line). */
  subject: string;
  /** The full raw message, subject included (`%B`). */
  body: string;
  /** Changes against the first parent; merges are diffed against their first parent too. */
  files: FileChange[];
}

export interface GitReadOptions {
  /** Environment for the git process; defaults to a locked-down local-read env. */
  env?: GitEnv;
}

export interface LogOptions extends GitReadOptions {
  /**
   * Revisions: "main", "<lastIndexedSha>..<branchHead>", or several ("head", "^excluded").
   * Default HEAD.
   */
  range?: string | readonly string[];
  /** Parents before children (`--topo-order --reverse`). The order is topological either way. */
  reverse?: boolean;
  /** Passed as `-l<n>`: how many files inexact rename detection may consider (git default otherwise). */
  renameLimit?: number;
}

const ZERO_SHA = /^0+$/;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

// One NUL-separated token per field; with -z git ends each commit's format output with a NUL,
// then the raw entries follow, the first one prefixed by "\n".
const FORMAT = ['%H', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%s', '%B'].join('%x00');
const HEADER_FIELDS = 10;

/** The exact `git log` arguments streamLog runs (exported for tests and diagnostics). */
export function logArgs(options: LogOptions = {}): string[] {
  const revs = options.range === undefined ? ['HEAD'] : typeof options.range === 'string' ? [options.range] : [...options.range];
  revs.forEach(assertRevision);
  const args = [
    'log',
    '--raw',
    '-z',
    '--no-abbrev',
    '-M',
    '--root',
    '--diff-merges=first-parent',
    '--topo-order',
    '--no-color',
    '--no-show-signature',
    '--encoding=UTF-8',
    `--format=tformat:${FORMAT}`,
  ];
  if (options.renameLimit !== undefined) args.push(`-l${Math.max(0, Math.floor(options.renameLimit))}`);
  if (options.reverse) args.push('--reverse');
  args.push('--end-of-options', ...revs, '--');
  return args;
}

function person(name: string, email: string, time: string): GitPerson {
  const zone = /([+-])(\d\d):?(\d\d)$/.exec(time);
  const tz = zone ? `${zone[1]}${zone[2]}${zone[3]}` : '+0000';
  return { name, email, time, tz };
}

export class LogParseError extends Error {
  override name = 'LogParseError';
}

/**
 * Incremental parser for `git log` output produced by {@link logArgs}. Feed it chunks split anywhere
 * (a chunk may end inside a token or even inside a multi-byte UTF-8 character: tokens are only
 * decoded once complete). A commit is returned once the next commit starts, or at end().
 */
export class LogParser {
  private carry: Buffer[] = [];
  private header: string[] = [];
  private current: LogCommit | null = null;
  /** Meta of a raw entry waiting for its path token(s). */
  private entryMeta: string[] | null = null;
  private entryPaths: string[] = [];

  push(chunk: Buffer): LogCommit[] {
    const done: LogCommit[] = [];
    let pos = 0;
    for (;;) {
      const nul = chunk.indexOf(0, pos);
      if (nul < 0) {
        if (pos < chunk.length) this.carry.push(chunk.subarray(pos));
        break;
      }
      let token: Buffer = chunk.subarray(pos, nul);
      if (this.carry.length > 0) {
        this.carry.push(token);
        token = Buffer.concat(this.carry);
        this.carry = [];
      }
      pos = nul + 1;
      const finished = this.token(token.toString('utf8'));
      if (finished) done.push(finished);
    }
    return done;
  }

  end(): LogCommit[] {
    if (this.carry.length > 0 && Buffer.concat(this.carry).toString('utf8').trim() !== '') {
      throw new LogParseError('git log output ended inside a record');
    }
    this.carry = [];
    if (this.entryMeta) throw new LogParseError('git log output ended inside a raw entry');
    if (this.header.length > 0) throw new LogParseError('git log output ended inside a commit header');
    const last = this.current;
    this.current = null;
    return last ? [last] : [];
  }

  private token(text: string): LogCommit | null {
    if (this.entryMeta) {
      this.entryPaths.push(text);
      const status = this.entryMeta[4] ?? '';
      const needed = status.startsWith('R') || status.startsWith('C') ? 2 : 1;
      if (this.entryPaths.length === needed) this.finishEntry();
      return null;
    }
    if (this.header.length > 0) {
      this.header.push(text);
      if (this.header.length === HEADER_FIELDS) this.finishHeader();
      return null;
    }
    // Between records: a raw entry of the current commit, or the next commit's sha.
    const trimmed = text.startsWith('\n') ? text.slice(1) : text;
    if (trimmed.startsWith(':')) {
      if (!this.current) throw new LogParseError('raw entry before any commit');
      const meta = trimmed.slice(1).split(' ');
      if (meta.length !== 5) throw new LogParseError(`unexpected raw entry: ${JSON.stringify(trimmed)}`);
      this.entryMeta = meta;
      this.entryPaths = [];
      return null;
    }
    if (trimmed === '') return null;
    if (!SHA.test(trimmed)) throw new LogParseError(`expected a commit id, got ${JSON.stringify(trimmed.slice(0, 80))}`);
    const finished = this.current;
    this.current = null;
    this.header = [trimmed];
    return finished;
  }

  private finishHeader(): void {
    const [sha, parents, an, ae, ad, cn, ce, cd, subject, body] = this.header as [
      string, string, string, string, string, string, string, string, string, string,
    ];
    this.header = [];
    this.current = {
      sha,
      parents: parents === '' ? [] : parents.split(' '),
      author: person(an, ae, ad),
      committer: person(cn, ce, cd),
      subject,
      body,
      files: [],
    };
  }

  private finishEntry(): void {
    const [oldMode, newMode, oldBlob, newBlob, statusField] = this.entryMeta as [string, string, string, string, string];
    const letter = statusField.charAt(0);
    if (!'AMDRCT'.includes(letter) || letter === '') {
      throw new LogParseError(`unexpected change status ${JSON.stringify(statusField)}`);
    }
    const status = letter as FileStatus;
    const change: FileChange = {
      status,
      path: this.entryPaths[this.entryPaths.length - 1] as string,
      oldBlob: ZERO_SHA.test(oldBlob) ? null : oldBlob,
      newBlob: ZERO_SHA.test(newBlob) ? null : newBlob,
      oldMode: ZERO_SHA.test(oldMode) ? null : oldMode,
      newMode: ZERO_SHA.test(newMode) ? null : newMode,
    };
    if (status === 'R' || status === 'C') {
      change.oldPath = this.entryPaths[0] as string;
      change.score = Number.parseInt(statusField.slice(1), 10) || 0;
    }
    (this.current as LogCommit).files.push(change);
    this.entryMeta = null;
    this.entryPaths = [];
  }
}

/**
 * Stream commits from ONE `git log --raw -z` process. Every reachable commit is listed; merges are
 * diffed against their first parent. Backpressure: the child's stdout is only read as fast as the
 * consumer pulls, so a slow consumer stalls git on a full pipe. Breaking out of the loop kills git.
 */
export async function* streamLog(dir: string, options: LogOptions = {}): AsyncGenerator<LogCommit, void, undefined> {
  const args = logArgs(options);
  const child = spawn('git', args, { cwd: dir, env: options.env ?? localReadEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => undefined); // observed below; avoid an unhandled rejection if we exit early
  const parser = new LogParser();
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      for (const commit of parser.push(chunk)) yield commit;
    }
    const { code, signal } = await exited;
    if (code !== 0) throw new GitCommandError(args, code, signal, Buffer.concat(stderr).toString('utf8'));
    for (const commit of parser.end()) yield commit;
    finished = true;
  } finally {
    if (!finished && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

/** Number of commits reachable from `rev` (which may be a range such as "a..b"). */
export async function countCommits(dir: string, rev: string, options: GitReadOptions = {}): Promise<number> {
  const { stdout } = await runGit(dir, ['rev-list', '--count', '--end-of-options', assertRevision(rev), '--'], options);
  return Number.parseInt(stdout.toString('utf8').trim(), 10);
}

/** The commit id `rev` names (peeled to a commit), or null when it does not exist. */
export async function revParse(dir: string, rev: string, options: GitReadOptions = {}): Promise<string | null> {
  const { stdout, exitCode } = await runGit(
    dir,
    ['rev-parse', '--verify', '--quiet', `${assertRevision(rev)}^{commit}`],
    { ...options, okCodes: [0, 1] },
  );
  return exitCode === 0 ? stdout.toString('utf8').trim() : null;
}

/** True when `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
export async function isAncestor(dir: string, ancestor: string, descendant: string, options: GitReadOptions = {}): Promise<boolean> {
  const { exitCode } = await runGit(
    dir,
    ['merge-base', '--is-ancestor', assertRevision(ancestor), assertRevision(descendant)],
    { ...options, okCodes: [0, 1] },
  );
  return exitCode === 0;
}

/**
 * Stream every commit id reachable from `rev` (one `git rev-list` process), optionally excluding
 * what is reachable from `exclude` revisions.
 */
export async function* listReachable(
  dir: string,
  rev: string,
  options: GitReadOptions & { exclude?: readonly string[] } = {},
): AsyncGenerator<string, void, undefined> {
  const args = ['rev-list', '--end-of-options', assertRevision(rev), ...(options.exclude ?? []).map((e) => `^${assertRevision(e)}`), '--'];
  const child = spawn('git', args, { cwd: dir, env: options.env ?? localReadEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => undefined);
  let finished = false;
  let rest = '';
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('latin1')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) yield line;
    }
    const { code, signal } = await exited;
    if (code !== 0) throw new GitCommandError(args, code, signal, Buffer.concat(stderr).toString('utf8'));
    if (rest) yield rest;
    finished = true;
  } finally {
    if (!finished && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

export interface TreeEntry {
  /** "100644", "100755", "120000" (symlink), "160000" (submodule). */
  mode: string;
  type: 'blob' | 'commit';
  sha: string;
  /** Blob size in bytes; null for submodules. */
  size: number | null;
  path: string;
}

/**
 * Every file of `commit`'s tree (recursive, `-l` for sizes), optionally limited to paths
 * (directories or files, relative to the repository root).
 */
export async function lsTree(
  dir: string,
  commit: string,
  paths: readonly string[] = [],
  options: GitReadOptions = {},
): Promise<TreeEntry[]> {
  const { stdout } = await runGit(
    dir,
    // ls-tree takes paths right after the tree-ish; after --end-of-options a "--" would be a path.
    ['ls-tree', '-r', '-l', '-z', '--full-tree', '--end-of-options', assertRevision(commit), ...paths],
    options,
  );
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < stdout.length) {
    let nul = stdout.indexOf(0, pos);
    if (nul < 0) nul = stdout.length;
    const tab = stdout.indexOf(9, pos);
    if (tab < 0 || tab > nul) throw new Error(`unexpected ls-tree output at byte ${pos}`);
    const [mode, type, sha, size] = stdout.toString('latin1', pos, tab).split(/ +/) as [string, string, string, string];
    entries.push({
      mode,
      type: type === 'commit' ? 'commit' : 'blob',
      sha,
      size: size === '-' ? null : Number.parseInt(size, 10),
      path: stdout.toString('utf8', tab + 1, nul),
    });
    pos = nul + 1;
  }
  return entries;
}
