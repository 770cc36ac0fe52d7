import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { localReadEnv, type GitEnv } from './git-env';

export interface CatFileObject {
  sha: string;
  type: 'blob' | 'tree' | 'commit' | 'tag';
  size: number;
  content: Buffer;
}
export interface CatFileMissing {
  sha: string;
  missing: true;
}
/** The object exists but is larger than `maxBytes`: its content was read past, never kept. */
export interface CatFileTooLarge {
  sha: string;
  type: CatFileObject['type'];
  tooLarge: true;
  size: number;
}
export type CatFileResult = CatFileObject | CatFileMissing | CatFileTooLarge;

export interface CatFileOptions {
  env?: GitEnv;
  /** Objects larger than this are returned as `{ tooLarge: true, size }` (content skipped, not buffered). */
  maxBytes?: number;
}

/** A read failed because the cat-file process died or was closed. */
export class CatFileError extends Error {
  override name = 'CatFileError';
}

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const NEWLINE = 0x0a;

interface Pending {
  sha: string;
  resolve: (result: CatFileResult) => void;
  reject: (error: Error) => void;
}

/** Per-process parse state of the `--batch` output stream. */
interface Reader {
  /** Bytes of an incomplete header line. */
  headerCarry: Buffer[];
  /** The object whose content is being read. */
  body: {
    pending: Pending;
    type: CatFileObject['type'];
    size: number;
    /** null when the content is skipped (too large). */
    buffer: Buffer | null;
    filled: number;
  } | null;
  /** Bytes of content + the trailing LF still to consume for `body`. */
  remaining: number;
}

/**
 * One long-lived `git cat-file --batch` per repository. Requests are pipelined: read() writes the
 * object id at once and the response is matched in order from the output stream. If the process dies,
 * requests in flight fail with a CatFileError and the next read() starts a new process.
 */
export class CatFile {
  private child: ChildProcessWithoutNullStreams | null = null;
  private queue: Pending[] = [];
  private head = 0;
  private reader: Reader = { headerCarry: [], body: null, remaining: 0 };
  private closed = false;
  private readonly env: GitEnv;
  private readonly maxBytes: number;
  private readonly dir: string;

  constructor(dir: string, options: CatFileOptions = {}) {
    this.dir = dir;
    this.env = options.env ?? localReadEnv();
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Pid of the current process (undefined before the first read or after close). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Requests written and not answered yet. */
  get inFlight(): number {
    return this.queue.length - this.head + (this.reader.body ? 1 : 0);
  }

  read(sha: string): Promise<CatFileResult> {
    if (this.closed) return Promise.reject(new CatFileError('cat-file reader is closed'));
    const id = sha.toLowerCase();
    if (!OBJECT_ID.test(id)) return Promise.reject(new CatFileError(`not a full object id: ${JSON.stringify(sha)}`));
    const child = this.ensureProcess();
    return new Promise<CatFileResult>((resolve, reject) => {
      this.queue.push({ sha: id, resolve, reject });
      child.stdin.write(`${id}\n`);
    });
  }

  /** Read many objects, pipelined, with one write for all their ids; results in input order. */
  readMany(shas: readonly string[]): Promise<CatFileResult[]> {
    if (this.closed) return Promise.reject(new CatFileError('cat-file reader is closed'));
    const ids = shas.map((sha) => sha.toLowerCase());
    const bad = ids.find((id) => !OBJECT_ID.test(id));
    if (bad !== undefined) return Promise.reject(new CatFileError(`not a full object id: ${JSON.stringify(bad)}`));
    if (!ids.length) return Promise.resolve([]);
    const child = this.ensureProcess();
    const results = ids.map((id) => new Promise<CatFileResult>((resolve, reject) => this.queue.push({ sha: id, resolve, reject })));
    child.stdin.write(`${ids.join('\n')}\n`);
    return Promise.all(results);
  }

  /** Let in-flight reads finish, then end the process. Further reads are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.stdin.end();
    });
  }

  private ensureProcess(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.dir, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.reader = { headerCarry: [], body: null, remaining: 0 };
    const stderr: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 16) stderr.push(c);
    });
    child.stdin.on('error', () => undefined); // EPIPE after death: reported through 'close'.
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      try {
        this.consume(chunk);
      } catch (error) {
        this.fail(child, error instanceof Error ? error.message : String(error));
        child.kill('SIGKILL');
      }
    });
    child.on('error', (error) => this.fail(child, error.message));
    child.on('close', (code, signal) => {
      const detail = Buffer.concat(stderr).toString('utf8').trim();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.fail(child, `git cat-file ${how}${detail ? `: ${detail}` : ''}`);
    });
    return child;
  }

  /** Forget `child` and reject everything still in flight on it. */
  private fail(child: ChildProcessWithoutNullStreams, reason: string): void {
    if (this.child !== child) return;
    this.child = null;
    // The object being read was already taken off the queue.
    const reading = this.reader.body?.pending;
    const pending = [...(reading ? [reading] : []), ...this.queue.slice(this.head)];
    this.reader = { headerCarry: [], body: null, remaining: 0 };
    this.queue = [];
    this.head = 0;
    for (const p of pending) p.reject(new CatFileError(`${reason} (${pending.length} read(s) in flight, ${p.sha})`));
  }

  private nextPending(): Pending {
    const pending = this.queue[this.head];
    if (!pending) throw new CatFileError('git cat-file answered a request that was never made');
    this.queue[this.head] = undefined as unknown as Pending;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return pending;
  }

  private consume(chunk: Buffer): void {
    const r = this.reader;
    let pos = 0;
    while (pos < chunk.length) {
      if (r.body) {
        const take = Math.min(r.remaining, chunk.length - pos);
        const contentLeft = r.remaining - 1; // the last byte is the LF after the content
        const contentTake = Math.min(take, contentLeft);
        if (r.body.buffer && contentTake > 0) {
          chunk.copy(r.body.buffer, r.body.filled, pos, pos + contentTake);
          r.body.filled += contentTake;
        }
        r.remaining -= take;
        pos += take;
        if (r.remaining === 0) {
          const { pending, type, size, buffer } = r.body;
          r.body = null;
          if (chunk[pos - 1] !== NEWLINE) throw new CatFileError(`git cat-file: no LF after object ${pending.sha}`);
          pending.resolve(buffer ? { sha: pending.sha, type, size, content: buffer } : { sha: pending.sha, type, size, tooLarge: true });
        }
        continue;
      }
      const lf = chunk.indexOf(NEWLINE, pos);
      if (lf < 0) {
        r.headerCarry.push(chunk.subarray(pos));
        return;
      }
      let line = chunk.toString('latin1', pos, lf);
      if (r.headerCarry.length > 0) {
        line = Buffer.concat(r.headerCarry).toString('latin1') + line;
        r.headerCarry = [];
      }
      pos = lf + 1;
      this.header(line);
    }
  }

  private header(line: string): void {
    const pending = this.nextPending();
    const parts = line.split(' ');
    if (parts.length === 2 && parts[1] === 'missing') {
      pending.resolve({ sha: pending.sha, missing: true });
      return;
    }
    if (parts.length !== 3 || parts[0] !== pending.sha) {
      throw new CatFileError(`git cat-file: unexpected header ${JSON.stringify(line)} for ${pending.sha}`);
    }
    const type = parts[1] as CatFileObject['type'];
    const size = Number.parseInt(parts[2] as string, 10);
    this.reader.body = {
      pending,
      type,
      size,
      buffer: size > this.maxBytes ? null : Buffer.allocUnsafe(size),
      filled: 0,
    };
    this.reader.remaining = size + 1;
  }
}
