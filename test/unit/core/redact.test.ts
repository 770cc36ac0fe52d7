import { describe, expect, it } from 'vitest';
import { keyedHash } from '../../../api/src/core/canonical';
import {
  DEFAULT_SENSITIVE_RULES,
  LAST_APPLIED_ANNOTATION,
  mergeSensitiveRules,
  redactObject,
  type SensitiveRules,
} from '../../../api/src/core/redact';

const key = Buffer.from('install-key-for-tests-0123456789abcdef');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Every way a plaintext could survive: as is, base64, or JSON-escaped inside an annotation. */
function expectNoTrace(output: unknown, ...secrets: string[]) {
  const json = JSON.stringify(output);
  for (const s of secrets) {
    expect(json).not.toContain(s);
    expect(json).not.toContain(b64(s));
    expect(json).not.toContain(JSON.stringify(s).slice(1, -1));
  }
}

describe('redactObject: Secrets', () => {
  const DATA_MARKER = 'MARKER-data-7f3a9c-plaintext';
  const STRING_MARKER = 'MARKER-stringData-e81b2d-plaintext';

  const secret = () => {
    const applied = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop' },
      data: { username: b64(DATA_MARKER) },
      stringData: { password: STRING_MARKER },
    };
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'db',
        namespace: 'shop',
        labels: { app: 'db' },
        annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied) + '\n', owner: 'team-shop' },
      },
      type: 'Opaque',
      data: { username: b64(DATA_MARKER) },
      stringData: { password: STRING_MARKER },
    };
  };

  it('leaves no plaintext anywhere: data, stringData and last-applied', () => {
    const out = redactObject(secret(), { key });
    expectNoTrace(out, DATA_MARKER, STRING_MARKER);
    expect(JSON.stringify(out)).not.toContain('MARKER-');
  });

  it('merges stringData into data like the API server, with hashes of the decoded values', () => {
    const out = redactObject(secret(), { key }) as ReturnType<typeof secret>;
    expect(out.stringData).toBeUndefined();
    expect(out.data).toEqual({
      username: keyedHash(key, DATA_MARKER),
      password: keyedHash(key, STRING_MARKER),
    });
    // Everything else is untouched.
    expect(out.type).toBe('Opaque');
    expect(out.metadata.labels).toEqual({ app: 'db' });
    expect(out.metadata.annotations.owner).toBe('team-shop');
  });

  it("Git's stringData and the cluster's data give the same body when the values are equal, and differ when not", () => {
    const git = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { token: 's3cr3t' } };
    const live = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { token: b64('s3cr3t') } };
    const changed = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { token: b64('s3cr3t!') } };
    expect(redactObject(git, { key })).toEqual(redactObject(live, { key }));
    expect(redactObject(changed, { key })).not.toEqual(redactObject(live, { key }));
  });

  it('stringData wins over data for the same key', () => {
    const out = redactObject(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: b64('old') }, stringData: { a: 'new' } },
      { key },
    ) as { data: Record<string, string> };
    expect(out.data.a).toBe(keyedHash(key, 'new'));
  });

  it('keeps the last-applied annotation as JSON, redacted, so it can still be compared', () => {
    const out = redactObject(secret(), { key }) as ReturnType<typeof secret>;
    const raw = out.metadata.annotations[LAST_APPLIED_ANNOTATION];
    expect(raw.endsWith('\n')).toBe(true);
    const applied = JSON.parse(raw);
    expect(applied.data).toEqual({
      username: keyedHash(key, DATA_MARKER),
      password: keyedHash(key, STRING_MARKER),
    });
    expect(applied.metadata).toEqual({ name: 'db', namespace: 'shop' });
  });

  it('hashes a last-applied annotation that is not JSON as a whole', () => {
    const s = secret();
    s.metadata.annotations[LAST_APPLIED_ANNOTATION] = `{"stringData":{"password":"${STRING_MARKER}"`; // truncated
    const out = redactObject(s, { key }) as ReturnType<typeof secret>;
    expect(out.metadata.annotations[LAST_APPLIED_ANNOTATION]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expectNoTrace(out, STRING_MARKER);
  });

  it('is deterministic per key, differs across keys, and does not modify its input', () => {
    const input = secret();
    const before = JSON.stringify(input);
    const a = redactObject(input, { key });
    expect(redactObject(secret(), { key })).toEqual(a);
    expect(redactObject(secret(), { key: Buffer.from('another install key') })).not.toEqual(a);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('is idempotent: redacting a redacted body changes nothing', () => {
    const once = redactObject(secret(), { key });
    expect(redactObject(once, { key })).toEqual(once);
  });

  it('leaves nothing readable when data or stringData is malformed', () => {
    const out = redactObject(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: `password: ${STRING_MARKER}` },
      { key },
    );
    expectNoTrace(out, STRING_MARKER);
  });

  it('does not treat a custom kind named Secret in another group as a core Secret', () => {
    const out = redactObject(
      { apiVersion: 'example.com/v1', kind: 'Secret', metadata: { name: 's' }, data: { note: 'public' } },
      { key },
    ) as { data: Record<string, string> };
    expect(out.data.note).toBe('public');
  });
});

describe('redactObject: configurable sensitive paths', () => {
  it('hashes ConfigMap keys matching the patterns and keeps the others', () => {
    const out = redactObject(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'app' },
        data: { LOG_LEVEL: 'debug', db_password: 'MARKER-cm-pw', GITHUB_TOKEN: 'MARKER-cm-token' },
        binaryData: { 'tls-private-key': b64('MARKER-cm-bin') },
      },
      { key },
    ) as { data: Record<string, string>; binaryData: Record<string, string> };
    expect(out.data.LOG_LEVEL).toBe('debug');
    expect(out.data.db_password).toBe(keyedHash(key, 'MARKER-cm-pw'));
    expect(out.binaryData['tls-private-key']).toBe(keyedHash(key, 'MARKER-cm-bin'));
    expectNoTrace(out, 'MARKER-cm-pw', 'MARKER-cm-token', 'MARKER-cm-bin');
  });

  it('hashes literal env values whose names match, in Deployments, CronJobs and custom pod templates', () => {
    const containers = () => [
      {
        name: 'app',
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'DB_PASSWORD', value: 'MARKER-env-pw' },
          { name: 'STRIPE_SECRET', value: 'MARKER-env-secret' },
          { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
        ],
      },
    ];
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { template: { spec: { containers: containers(), initContainers: containers() } } },
    };
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: containers() } } } } },
    };
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web' },
      spec: { template: { spec: { containers: containers() } } },
    };
    for (const obj of [deployment, cronJob, rollout]) {
      const out = redactObject(obj, { key });
      expectNoTrace(out, 'MARKER-env-pw', 'MARKER-env-secret');
      expect(JSON.stringify(out)).toContain('"LOG_LEVEL","value":"info"');
      expect(JSON.stringify(out)).toContain('"secretKeyRef":{"name":"api","key":"token"}');
    }
    const out = redactObject(deployment, { key }) as typeof deployment;
    expect(out.spec.template.spec.containers[0]!.env[1]).toEqual({ name: 'DB_PASSWORD', value: keyedHash(key, 'MARKER-env-pw') });
  });

  it('redacts sensitive env values inside the last-applied annotation too', () => {
    const applied = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'ADMIN_PASSWORD', value: 'MARKER-la-env' }] }] } } },
    };
    const out = redactObject(
      { ...applied, metadata: { name: 'web', annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied) } } },
      { key },
    );
    expectNoTrace(out, 'MARKER-la-env');
  });

  it('hashes annotation values whose keys match, at the top and in pod templates', () => {
    const out = redactObject(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', annotations: { 'example.com/api-token': 'MARKER-ann', team: 'shop' } },
        spec: { template: { metadata: { annotations: { 'vendor.io/password': 'MARKER-ann2' } } } },
      },
      { key },
    ) as { metadata: { annotations: Record<string, string> } };
    expect(out.metadata.annotations.team).toBe('shop');
    expectNoTrace(out, 'MARKER-ann', 'MARKER-ann2');
  });

  it('applies explicit JSON pointers per kind, with * for any key or index', () => {
    const rules: SensitiveRules = mergeSensitiveRules(DEFAULT_SENSITIVE_RULES, {
      pointers: [
        { kind: 'Database', group: 'db.example.com', pointer: '/spec/rootPassword' },
        { kind: 'Database', pointer: '/spec/users/*/password' },
        { kind: 'Database', pointer: '/spec/absent/field' },
      ],
    });
    const db = {
      apiVersion: 'db.example.com/v1',
      kind: 'Database',
      metadata: { name: 'main' },
      spec: {
        rootPassword: 'MARKER-ptr-root',
        users: [
          { name: 'app', password: 'MARKER-ptr-u1' },
          { name: 'ro', password: { inline: 'MARKER-ptr-u2' } },
        ],
        size: '10Gi',
      },
    };
    const out = redactObject(db, { key, sensitive: rules }) as typeof db;
    expectNoTrace(out, 'MARKER-ptr-root', 'MARKER-ptr-u1', 'MARKER-ptr-u2');
    expect(out.spec.size).toBe('10Gi');
    expect(out.spec.users.map((u) => u.name)).toEqual(['app', 'ro']);
    expect(out.spec).not.toHaveProperty('absent');
    // Without the pointers the values stay: the rules really are configurable.
    expect(JSON.stringify(redactObject(db, { key }))).toContain('MARKER-ptr-root');
  });

  it('an empty rule set still always redacts Secrets', () => {
    const none: SensitiveRules = { configMapKeys: [], envVarNames: [], annotationKeys: [], pointers: [] };
    const out = redactObject(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: b64('MARKER-none') } },
      { key, sensitive: none },
    );
    expectNoTrace(out, 'MARKER-none');
    const cm = redactObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { password: 'visible' } }, {
      key,
      sensitive: none,
    });
    expect(JSON.stringify(cm)).toContain('visible');
  });
});
