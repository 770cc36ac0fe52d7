import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, ConfigError, maskConfig } from '../../../api/src/config/load';

const good = `
database:
  url: env:DATABASE_URL
dataDir: ./.driftline
server:
  port: 8080
  baseUrl: https://driftline.example.com
repositories:
  - name: infra
    url: https://github.com/acme/infra.git
    branch: main
    pollInterval: 60s
    auth: { token: env:GIT_TOKEN }
clusters:
  - name: prod-eu
    kubeconfig: ~/.kube/config
    context: prod-eu
environments:
  - name: prod
    repository: infra
    paths: ["clusters/prod/**"]
    render: plain
    entries: ["clusters/prod"]
    cluster: prod-eu
    namespaces: ["*"]
    applier: kustomize-controller
    ignore:
      - { kind: Deployment, pointer: /spec/replicas }
channels:
  - { name: sre, type: slack, url: env:SLACK_WEBHOOK_URL }
alerts:
  - name: prod-drift
    environments: [prod]
    schedule: "*/15 * * * *"
    timezone: Europe/Berlin
    grace: 10m
    reminder: 4h
    notifyResolved: true
    channels: [sre]
`;
const env = { DATABASE_URL: 'postgres://u:pw@db:5432/driftline', GIT_TOKEN: 'ghp_secret123', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/XYZSECRET' };

function problems(text: string, e: Record<string, string> = env) {
  try {
    parseConfig(text, 'test.yaml', e, '/srv');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('driftline.yaml', () => {
  it('accepts the documented contract and resolves references and durations', () => {
    const { config } = parseConfig(good, 'test.yaml', env, '/srv');
    expect(config.repositories[0]!.pollInterval).toBe(60_000);
    expect(config.repositories[0]!.auth?.token).toBe('ghp_secret123');
    expect(config.alerts[0]!.grace).toBe(600_000);
    expect(config.alerts[0]!.reminder).toBe(4 * 3_600_000);
    expect(config.database.url).toBe(env.DATABASE_URL);
    expect(config.dataDir).toBe('/srv/.driftline');
    expect(config.environments[0]!.ignore[0]).toEqual({ kind: 'Deployment', pointer: '/spec/replicas' });
  });

  it('names the key path of a wrong type', () => {
    const p = problems(good.replace('port: 8080', 'port: "eighty"'));
    expect(p.some((l) => l.startsWith('server.port:'))).toBe(true);
  });

  it('names the index of an empty paths list', () => {
    const text = good.replace('paths: ["clusters/prod/**"]', 'paths: []');
    expect(problems(text)).toContain('environments[0].paths: expected a non-empty list');
  });

  it('reports every problem at once, including unknown keys and dangling references', () => {
    const text = good.replace('repository: infra', 'repository: nope').replace('render: plain', 'render: helm\n    colour: blue');
    const p = problems(text);
    expect(p).toContain('environments[0].repository: no repository named "nope"');
    expect(p.some((l) => l.startsWith('environments[0].render:'))).toBe(true);
    expect(p).toContain('environments[0].colour: unknown key');
  });

  it('says which environment variable is missing, without its value', () => {
    const p = problems(good, { DATABASE_URL: env.DATABASE_URL, SLACK_WEBHOOK_URL: env.SLACK_WEBHOOK_URL });
    expect(p).toContain('repositories[0].auth.token: environment variable GIT_TOKEN is not set');
  });

  it('rejects bad durations and invalid YAML with a position', () => {
    expect(problems(good.replace('grace: 10m', 'grace: ten minutes'))).toContain('alerts[0].grace: expected a duration like 30s, 10m, 4h or 7d, got "ten minutes"');
    const p = problems('repositories: [\n  - name: x');
    expect(p[0]).toMatch(/invalid YAML at line \d+, column \d+/);
  });

  it('checks alert schedules and time zones when validating, not only at boot', () => {
    const p = problems(good.replace(/schedule: .*/, 'schedule: "every monday"').replace(/timezone: .*/, 'timezone: Mars/Olympus'));
    expect(p.some((l) => l.startsWith('alerts[0].schedule: "every monday" is not a cron expression'))).toBe(true);
    expect(p).toContain('alerts[0].timezone: unknown time zone "Mars/Olympus" (an IANA name such as Europe/Berlin or UTC)');
  });

  it('masks secrets when printed: references shown as written, literals hidden', () => {
    const text = good.replace('url: env:SLACK_WEBHOOK_URL', 'url: https://hooks.slack.com/services/T0/B0/LITERALSECRET');
    const { masked } = parseConfig(text, 'test.yaml', env, '/srv');
    const s = JSON.stringify(masked);
    expect(s).not.toContain('LITERALSECRET');
    expect(s).toContain('https://hooks.slack.com/****');
    expect(s).toContain('env:GIT_TOKEN');
    expect(s).not.toContain('ghp_secret123');
    expect(JSON.stringify(maskConfig({ channels: [{ url: 'https://x.example/hook?token=abc' }] }))).not.toContain('abc');
  });

  it('reads file: references but leaves file:// URLs alone', () => {
    const { config } = parseConfig('repositories: [{ name: a, url: "file:///srv/infra.git" }]', 'x', {}, '/srv');
    expect(config.repositories[0]!.url).toBe('file:///srv/infra.git');
    expect(problems('repositories: [{ name: a, path: /x, auth: { token: "file:/nonexistent/token" } }]')).toContain('repositories[0].auth.token: cannot read /nonexistent/token: ENOENT');
  });

  it('applies PORT, DATABASE_URL and DRIFTLINE_DATA_DIR overrides', () => {
    const { config } = parseConfig('{}', 'x', { PORT: '9090', DATABASE_URL: 'postgres://h/db', DRIFTLINE_DATA_DIR: '/data' }, '/srv');
    expect(config.server.port).toBe(9090);
    expect(config.database.url).toBe('postgres://h/db');
    expect(config.dataDir).toBe('/data');
  });
});

describe('the documented configuration', () => {
  const ROOT = join(__dirname, '..', '..', '..');
  const env = { DATABASE_URL: 'postgres://x@db/driftline', GIT_TOKEN: 't', GIT_WEBHOOK_SECRET: 's', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X' };

  it('README.md: the configuration reference is a valid driftline.yaml', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration reference'));
    const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const { config } = parseConfig(yamlBlock, 'README.md', env, '/srv');
    expect(config.environments[0]!.name).toBe('prod');
    expect(config.alerts[0]!.channels).toEqual(['sre']);
  });

  it('driftline.example.yaml is valid', () => {
    expect(() => parseConfig(readFileSync(join(ROOT, 'driftline.example.yaml'), 'utf8'), 'example', env, '/srv')).not.toThrow();
  });
});
