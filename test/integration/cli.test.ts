import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'driftline-cli-'));
const goodYaml = `
repositories:
  - { name: infra, path: ./infra }
environments:
  - { name: prod, repository: infra, paths: ["clusters/prod/**"] }
`;

describe('driftline CLI', () => {
  it('lists its commands with --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'config', 'version']) expect(r.stdout).toMatch(new RegExp(`\\n\\s+${cmd}\\b`));
  });

  it('exits 2 with a clear message on an unknown command or flag', async () => {
    const a = await runCli(['frobnicate']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("unknown command 'frobnicate'");
    const b = await runCli(['version', '--colour']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("unknown option '--colour'");
  });

  it('config validate: 0 on a good file, 2 naming the key path on a bad one', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, goodYaml);
    const ok = await runCli(['config', 'validate', '--config', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, goodYaml.replace('paths: ["clusters/prod/**"]', 'paths: "clusters/prod"') + 'server: { port: "http" }\n');
    const r = await runCli(['config', 'validate', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environments[0].paths');
    expect(r.stderr).toContain('server.port');
    const json = await runCli(['config', 'validate', '--config', bad, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).problems.map((p: { path: string }) => p.path)).toEqual(expect.arrayContaining(['environments[0].paths', 'server.port']));
  });

  it('serve fails fast, naming the database, when DATABASE_URL is unreachable', async () => {
    const r = await runCli(['serve', '--port', '0'], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x', DRIFTLINE_DATA_DIR: dir }, timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.ms).toBeLessThan(10_000);
    expect(r.stderr).toContain('cannot reach the database at 127.0.0.1:1/x');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('prints the version', async () => {
    const r = await runCli(['version', '--json']);
    expect(JSON.parse(r.stdout).version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
