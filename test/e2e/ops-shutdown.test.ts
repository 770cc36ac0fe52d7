import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TestDatabase } from '../support/db';
import { DRIFTLINE_BIN, ROOT } from '../support/cli';

/** The acceptance bound: `serve` exits within 10 s of SIGTERM. */
const SHUTDOWN_LIMIT_MS = 10_000;

describe('driftline serve: graceful shutdown', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stops cleanly with exit code 0 within 10 s of SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftline-shutdown-'));
    const config = join(dir, 'driftline.yaml');
    writeFileSync(config, 'server:\n  host: 127.0.0.1\n');
    const child = spawn(process.execPath, [DRIFTLINE_BIN, 'serve', '--port', '0', '--config', config], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', DATABASE_URL: db.url, DRIFTLINE_DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`not serving after 60 s:\n${out}`)), 60_000);
        const look = () => {
          for (const l of out.split('\n')) {
            if (!l.includes('Driftline is serving')) continue;
            const u = (JSON.parse(l) as { url?: string }).url;
            if (u) {
              clearTimeout(t);
              child.stdout.off('data', look);
              return resolve(u);
            }
          }
        };
        child.stdout.on('data', look);
        void exited.then(() => reject(new Error(`exited before serving:\n${out}`)));
      });
      expect((await fetch(url + '/readyz')).status).toBe(200);
      // A client in the middle of a request (headers half sent) must not hold the shutdown up.
      const { port } = new URL(url);
      const stuck = connect(Number(port), '127.0.0.1');
      await new Promise((r) => stuck.once('connect', r));
      stuck.on('error', () => {});
      stuck.write('GET /api/v1/info HTTP/1.1\r\nHost: x\r\n');

      const sent = Date.now();
      child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), SHUTDOWN_LIMIT_MS).unref());
      const result = await Promise.race([exited, timeout]);
      expect(result, `still running ${SHUTDOWN_LIMIT_MS} ms after SIGTERM:\n${out}`).not.toBe('timeout');
      expect(result, out).toEqual({ code: 0, signal: null });
      expect(Date.now() - sent).toBeLessThan(SHUTDOWN_LIMIT_MS);
      expect(out).toMatch(/Driftline is stopping/);
      expect(out).toMatch(/Driftline stopped serving/);
      expect(stuck.destroyed || stuck.readableEnded).toBe(true);
      await expect(fetch(url + '/healthz')).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
