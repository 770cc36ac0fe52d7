import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { eventually } from '../unit/cluster/support';

/** `driftline token …` as an operator runs it, against the database a running server uses. */
describe('driftline token', () => {
  let db: TestDatabase;
  let app: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await freshDatabase({ connect: false });
    env = { DATABASE_URL: db.url, DRIFTLINE_DATA_DIR: mkdtempSync(join(tmpdir(), 'driftline-cli-tokens-')) };
    app = await startTestServer({ databaseUrl: db.url, dataDir: env.DRIFTLINE_DATA_DIR, workers: false });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('create prints the token once; it works against the server; list never shows it; revoke ends it', async () => {
    const created = await runCli(['token', 'create', '--name', 'alice', '--role', 'auditor', '--expires', '30d'], { env });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^dl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/token "alice" \(auditor, id \d+\) expires 20\d\d-.*shown only now/);

    const me = await app.anon('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ name: 'alice', role: 'auditor', via: 'token' });

    const list = await runCli(['token', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(token);
    const alice = (JSON.parse(list.stdout) as { name: string; role: string; prefix: string; expiresAt: string }[]).find((t) => t.name === 'alice')!;
    expect(alice).toMatchObject({ role: 'auditor', prefix: token.slice(0, 15) });
    const table = await runCli(['token', 'list'], { env });
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+PREFIX/);
    expect(table.stdout).toMatch(/alice\s+auditor\s+dl_[0-9a-f]{12}.*active/);

    const dup = await runCli(['token', 'create', '--name', 'alice', '--role', 'viewer'], { env });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('an active token named "alice" exists');

    const revoked = await runCli(['token', 'revoke', 'alice'], { env });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/revoked token "alice"/);
    // Another process revoked it: the server notices within its 5 s status cache.
    await eventually(async () => expect((await app.anon('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401), 15_000);
    const all = await runCli(['token', 'list', '--all'], { env });
    expect(all.stdout).toMatch(/alice\s+auditor.*revoked/);
  });

  it('refuses bad input with exit 2 and a reason', async () => {
    const role = await runCli(['token', 'create', '--name', 'x', '--role', 'root'], { env });
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/Allowed choices are viewer, auditor, admin/);
    const expires = await runCli(['token', 'create', '--name', 'x', '--role', 'viewer', '--expires', 'soon'], { env });
    expect(expires.code).toBe(2);
    expect(expires.stderr).toContain('--expires: expected a duration');
    const missing = await runCli(['token', 'revoke', 'nobody'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no active token with id or name "nobody"');
  });
});
