import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { parseConfig } from '../../../api/src/config/load';
import { schemaProblems } from './k8s-schema';
import { buildRenderer, helmRenderUnavailable, helmTemplate, removeRenderer, type Obj } from './helm';

/**
 * deploy/: plain manifests (kustomize) and a Helm chart, checked without a cluster:
 * - every object against the Kubernetes schemas, strictly (k8s-schema.ts: kubernetes-models'
 *   OpenAPI-derived JSON schemas + unknown-field check), from the files, from `kubectl kustomize`
 *   and from the rendered chart;
 * - the chart rendered for real by Go's text/template + Sprig (helm.ts), with default values and
 *   with overrides, as `helm template` would.
 */
const ROOT = join(__dirname, '..', '..', '..');
const KUBE = join(ROOT, 'deploy', 'kubernetes');
const CHART = join(ROOT, 'deploy', 'helm', 'driftline');
const ARGS = ['node', 'api/bin/driftline.js', 'serve', '--config', '/etc/driftline/driftline.yaml'];

const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const docs = (file: string) => (loadAll(readFileSync(file, 'utf8')) as Obj[]).filter(Boolean);
const clone = <T>(o: T): T => structuredClone(o);

const WATCHED: Record<string, string[]> = {
  '': ['namespaces', 'configmaps', 'secrets', 'services', 'serviceaccounts'],
  apps: ['deployments', 'statefulsets', 'daemonsets'],
  'networking.k8s.io': ['ingresses', 'networkpolicies'],
  'rbac.authorization.k8s.io': ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
  batch: ['jobs', 'cronjobs'],
  autoscaling: ['horizontalpodautoscalers'],
  'apiextensions.k8s.io': ['customresourcedefinitions'],
};

function expectSchemaValid(objects: Obj[]) {
  for (const o of objects) expect(schemaProblems(o), `${o.kind}/${o.metadata?.name}`).toEqual([]);
}

function checkClusterRole(role: Obj) {
  const granted = new Map<string, Set<string>>();
  for (const r of role.rules as Obj[]) {
    expect(r.verbs, JSON.stringify(r)).toEqual(['get', 'list', 'watch']); // read-only, nothing else
    for (const g of r.apiGroups) for (const res of r.resources) (granted.get(g) ?? granted.set(g, new Set()).get(g)!).add(res);
  }
  for (const [g, resources] of Object.entries(WATCHED)) for (const res of resources) expect(granted.get(g)?.has(res), `${g}/${res}`).toBe(true);
  expect(JSON.stringify(role.rules)).not.toContain('*');
}

const envOf = (c: Obj) => new Map((c.env as Obj[]).map((e) => [e.name, e]));

function checkDeployment(d: Obj, opts: { image?: RegExp; secret?: string; heapMiB?: number } = {}) {
  const pod = d.spec.template.spec;
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(d.spec.template.metadata.labels[k]).toBe(v);
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
  const [c] = pod.containers as Obj[];
  if (opts.image) expect(c!.image).toMatch(opts.image);
  expect(c!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  expect(c!.ports).toContainEqual({ name: 'http', containerPort: 8080, protocol: 'TCP' });
  // The probes hit the two endpoints that stay public now that every other route needs a token.
  expect(c!.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  expect(c!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  expect(Object.keys(c!.resources.requests).sort()).toEqual(['cpu', 'memory']);
  expect(c!.resources.limits).toHaveProperty('memory');
  const env = envOf(c!);
  for (const name of ['DATABASE_URL', 'DRIFTLINE_INSTALL_KEY']) {
    expect(env.get(name)?.value, `${name} must not be inline`).toBeUndefined();
    expect(env.get(name)?.valueFrom?.secretKeyRef, name).toEqual({ name: opts.secret ?? 'driftline', key: name });
  }
  expect(env.get('NODE_OPTIONS')?.value).toBe(`--max-old-space-size=${opts.heapMiB ?? 384}`);
  // `kubectl exec … token create` finds the same config as the server.
  expect(env.get('DRIFTLINE_CONFIG')?.value).toBe('/etc/driftline/driftline.yaml');
  // Writable paths on a read-only root: /tmp and the data dir, as emptyDirs.
  const mounts = new Map((c!.volumeMounts as Obj[]).map((m) => [m.mountPath, m.name]));
  const volumes = new Map((pod.volumes as Obj[]).map((v) => [v.name, v]));
  for (const p of ['/tmp', '/var/lib/driftline']) expect(volumes.get(mounts.get(p))?.emptyDir, p).toBeDefined();
  expect(volumes.get(mounts.get('/etc/driftline'))?.configMap).toBeDefined();
  expect(c!.args).toEqual(ARGS);
}

function parseShippedConfig(configMap: Obj, env: Record<string, string> = {}) {
  return parseConfig(configMap.data['driftline.yaml'], 'configmap', { DATABASE_URL: 'postgres://u@db/driftline', ...env }, '/').config;
}

describe('Kubernetes schema check (kubernetes-models + unknown fields)', () => {
  const deployment = docs(join(KUBE, 'deployment.yaml'))[0]!;

  it('accepts the shipped Deployment and rejects wrong types, unknown fields, bad quantities and missing required fields', () => {
    expect(schemaProblems(deployment)).toEqual([]);

    const wrongType = clone(deployment);
    wrongType.spec.replicas = '2';
    expect(schemaProblems(wrongType)).toContain('data/spec/replicas must be integer');

    const typo = clone(deployment);
    typo.spec.template.spec.containers[0].readinessprobe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(schemaProblems(typo)).toEqual(['data/spec/template/spec/containers/0/readinessprobe: unknown field of V1Container']);

    const misplaced = clone(deployment);
    misplaced.spec.template.spec.readOnlyRootFilesystem = true; // belongs in the container's securityContext
    expect(schemaProblems(misplaced)).toEqual(['data/spec/template/spec/readOnlyRootFilesystem: unknown field of V1PodSpec']);

    const quantity = clone(deployment);
    quantity.spec.template.spec.containers[0].resources.requests.memory = 'half a gig';
    expect(schemaProblems(quantity).join('\n')).toContain('resources/requests/memory must match format "quantity"');

    const noContainers = clone(deployment);
    delete noContainers.spec.template.spec.containers;
    expect(schemaProblems(noContainers).join('\n')).toMatch(/data\/spec\/template\/spec must have required property '?containers/);
  });
});

describe('deploy/kubernetes (plain manifests)', () => {
  const files = yamlFiles(KUBE);
  const kustomization = load(readFileSync(join(KUBE, 'kustomization.yaml'), 'utf8')) as Obj;
  const objects = (kustomization.resources as string[]).flatMap((f) => docs(join(KUBE, f)));
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  it('lists every manifest but the Secret example, which holds no real values', () => {
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml'));
    const secret = docs(join(KUBE, 'secret.example.yaml'))[0]!;
    expect(Object.keys(secret.stringData).sort()).toEqual(['DATABASE_URL', 'DRIFTLINE_INSTALL_KEY']);
    expect(JSON.stringify(secret.stringData)).toContain('CHANGE-ME');
  });

  it('every object, the Secret example included, passes the Kubernetes schemas', () => {
    expectSchemaValid([...objects, ...docs(join(KUBE, 'secret.example.yaml'))]);
  });

  it('grants read-only access to the watched kinds, bound to the service account', () => {
    checkClusterRole(byKind('ClusterRole')[0]!);
    const binding = byKind('ClusterRoleBinding')[0]!;
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: byKind('ClusterRole')[0]!.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'driftline', namespace: 'driftline' }]);
  });

  it('runs non-root on a read-only root filesystem with probes, resources, a heap cap and Secret references', () => {
    const d = byKind('Deployment')[0]!;
    checkDeployment(d);
    const c = d.spec.template.spec.containers[0];
    // Webhook URLs, git tokens and the OIDC client secret: any key of the same Secret, never a literal.
    expect(c.envFrom).toEqual([{ secretRef: { name: 'driftline' } }]);
    expect(d.spec.template.spec.serviceAccountName).toBe(byKind('ServiceAccount')[0]!.metadata.name);
    const svc = byKind('Service')[0]!;
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(v);
  });

  it('ships a driftline.yaml the real config parser accepts (in-cluster)', () => {
    const config = parseShippedConfig(byKind('ConfigMap')[0]!);
    expect(config.clusters).toMatchObject([{ name: 'in-cluster', inCluster: true }]);
    expect(config.dataDir).toBe('/var/lib/driftline');
    expect(config.server.port).toBe(8080);
  });

  it.skipIf(!existsSync('/usr/bin/kubectl'))('builds with kubectl kustomize into schema-valid objects in the driftline namespace', () => {
    const built = (loadAll(execFileSync('/usr/bin/kubectl', ['kustomize', KUBE], { encoding: 'utf8' })) as Obj[]).filter(Boolean);
    expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/driftline-read', 'ClusterRoleBinding/driftline-read', 'ConfigMap/driftline-config', 'Deployment/driftline', 'Namespace/driftline', 'Service/driftline', 'ServiceAccount/driftline',
    ]);
    expectSchemaValid(built);
    for (const o of built) {
      if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.metadata.namespace, o.kind).toBe('driftline');
      expect(o.metadata.labels['app.kubernetes.io/name']).toBe('driftline');
    }
    expect(built.find((o) => o.kind === 'Namespace')!.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    checkDeployment(built.find((o) => o.kind === 'Deployment')!, { image: /^ghcr\.io\/driftline\/driftline:0\.1\.0$/ });
  });
});

describe('deploy/helm/driftline: chart files', () => {
  const chart = load(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Obj;
  const values = load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Obj;

  it('has a v2 Chart.yaml and every .Values path a template uses exists in values.yaml', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'driftline', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+/);
    // Helm renders a misspelt .Values path as empty instead of failing, so look for them here.
    for (const f of readdirSync(join(CHART, 'templates'))) {
      for (const [, path] of readFileSync(join(CHART, 'templates', f), 'utf8').matchAll(/\.Values\.([\w.]+)/g)) {
        const v = path!.split('.').reduce<unknown>((o, k) => (o as Obj | undefined)?.[k], values);
        expect(v, `${f}: .Values.${path}`).not.toBeUndefined();
      }
    }
  });
});

describe.skipIf(helmRenderUnavailable)('deploy/helm/driftline: rendered (Go text/template + Sprig)', () => {
  if (helmRenderUnavailable) console.log(`helm chart rendering: skipped (${helmRenderUnavailable})`);
  beforeAll(() => buildRenderer(), 180_000);
  afterAll(() => removeRenderer());
  const plainRole = docs(join(KUBE, 'clusterrole.yaml'))[0]!;
  const kindOf = (r: { objects: Obj[] }, kind: string) => r.objects.filter((o) => o.kind === kind);

  it('default values: the same objects as the plain manifests, schema-valid, with no Secret and probes on /healthz and /readyz', () => {
    const r = helmTemplate(CHART, { release: 'driftline', namespace: 'ops' });
    expect(r.objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Service', 'ServiceAccount']);
    expectSchemaValid(r.objects);
    for (const o of r.objects) if (!o.kind.startsWith('Cluster')) expect(o.metadata.namespace, o.kind).toBe('ops');

    const d = kindOf(r, 'Deployment')[0]!;
    checkDeployment(d, { image: /^ghcr\.io\/driftline\/driftline:0\.1\.0$/ });
    expect(d.spec.replicas).toBe(1);
    const sa = kindOf(r, 'ServiceAccount')[0]!;
    expect(d.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    const svc = kindOf(r, 'Service')[0]!;
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(v);
    expect(d.spec.template.spec.volumes.find((v: Obj) => v.name === 'config').configMap.name).toBe(kindOf(r, 'ConfigMap')[0]!.metadata.name);

    const role = kindOf(r, 'ClusterRole')[0]!;
    checkClusterRole(role);
    expect(role.rules).toEqual(plainRole.rules);
    const binding = kindOf(r, 'ClusterRoleBinding')[0]!;
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'ops' }]);

    const config = parseShippedConfig(kindOf(r, 'ConfigMap')[0]!);
    expect(config.clusters).toMatchObject([{ name: 'in-cluster', inCluster: true }]);
    expect(config.dataDir).toBe('/var/lib/driftline');
  });

  it('overrides: existing Secrets, replicas, resources, heap, extra RBAC rules, git and OIDC secrets reach the pod by reference', () => {
    const r = helmTemplate(CHART, {
      release: 'audit',
      namespace: 'platform',
      values: {
        existingSecret: 'driftline-prod',
        replicaCount: 3,
        heapLimitMiB: 768,
        // Values merge key by key, as in Helm; null drops the chart's default CPU limit.
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi', cpu: null } },
        rbac: { extraRules: [{ apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['get', 'list', 'watch'] }] },
        secretEnv: [{ name: 'GIT_TOKEN' }, { name: 'OIDC_CLIENT_SECRET', secret: 'driftline-oidc', key: 'client-secret' }],
        config: {
          repositories: [{ name: 'infra', url: 'https://git.example.com/infra.git', branch: 'main', auth: { token: 'env:GIT_TOKEN' } }],
          environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'], cluster: 'in-cluster' }],
          auth: { oidc: { issuer: 'https://login.example.com/realms/infra', clientId: 'driftline', clientSecret: 'env:OIDC_CLIENT_SECRET' } },
        },
      },
    });
    expectSchemaValid(r.objects);
    const d = kindOf(r, 'Deployment')[0]!;
    checkDeployment(d, { secret: 'driftline-prod', heapMiB: 768 });
    expect(d.metadata.name).toBe('audit-driftline');
    expect(d.spec.replicas).toBe(3);
    const c = d.spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } });
    const env = envOf(c);
    expect(env.get('GIT_TOKEN')).toEqual({ name: 'GIT_TOKEN', valueFrom: { secretKeyRef: { name: 'driftline-prod', key: 'GIT_TOKEN' } } });
    expect(env.get('OIDC_CLIENT_SECRET')).toEqual({ name: 'OIDC_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'driftline-oidc', key: 'client-secret' } } });

    const role = kindOf(r, 'ClusterRole')[0]!;
    expect(role.rules.at(-1)).toEqual({ apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['get', 'list', 'watch'] });
    for (const rule of role.rules) expect(rule.verbs).toEqual(['get', 'list', 'watch']);

    // The pod's config, with the values its Secrets would supply.
    const cm = kindOf(r, 'ConfigMap')[0]!;
    expect(cm.data['driftline.yaml']).not.toContain('s3cret');
    const config = parseShippedConfig(cm, { GIT_TOKEN: 'ghp_s3cret', OIDC_CLIENT_SECRET: 'oidc-s3cret' });
    expect(config.repositories[0]!.auth).toEqual({ token: 'ghp_s3cret' });
    expect(config.auth.oidc).toMatchObject({ clientId: 'driftline', clientSecret: 'oidc-s3cret' });
    expect(config.environments.map((e) => e.name)).toEqual(['prod']);
  });

  it('a config change changes the pod template, so `helm upgrade` rolls the pods', () => {
    const before = kindOf(helmTemplate(CHART), 'Deployment')[0]!.spec.template.metadata.annotations['checksum/config'];
    const after = kindOf(helmTemplate(CHART, { values: { config: { server: { port: 8080, rateLimit: { perMinute: 600 } } } } }), 'Deployment')[0]!;
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(after.spec.template.metadata.annotations['checksum/config']).not.toBe(before);
  });

  it('refuses to install a config that names a variable the pod will not have, or no Secret', () => {
    expect(() => helmTemplate(CHART, { values: { config: { channels: [{ name: 'sre', type: 'slack', url: 'env:SLACK_WEBHOOK_URL' }] } } })).toThrow(
      /config refers to env:SLACK_WEBHOOK_URL, but the pod has no SLACK_WEBHOOK_URL: add it to secretEnv/,
    );
    expect(() => helmTemplate(CHART, { values: { existingSecret: '' } })).toThrow(/existingSecret: name the Secret that holds DATABASE_URL/);
    const ok = helmTemplate(CHART, { values: { secretEnv: [{ name: 'SLACK_WEBHOOK_URL' }], config: { channels: [{ name: 'sre', type: 'slack', url: 'env:SLACK_WEBHOOK_URL' }] } } });
    expectSchemaValid(ok.objects);
  });

  it('without chart-managed RBAC and service account, it uses the named one and creates neither', () => {
    const r = helmTemplate(CHART, { values: { rbac: { create: false }, serviceAccount: { create: false, name: 'driftline-reader' } } });
    expect(r.objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(kindOf(r, 'Deployment')[0]!.spec.template.spec.serviceAccountName).toBe('driftline-reader');
  });

  it('a wrong value type in the values reaches the rendered object and fails the schema check', () => {
    const r = helmTemplate(CHART, { values: { replicaCount: 'three', resources: { requests: { cpu: 'a lot' } } } });
    const problems = schemaProblems(kindOf(r, 'Deployment')[0]!).join('\n');
    expect(problems).toContain('data/spec/replicas must be integer');
    expect(problems).toContain('resources/requests/cpu must match format "quantity"');
  });

  it('after install, the notes say how to create the first admin token in the cluster', () => {
    const { notes } = helmTemplate(CHART, { release: 'dl', namespace: 'ops' });
    expect(notes).toContain('kubectl -n ops exec deploy/dl-driftline -- \\\n    node api/bin/driftline.js token create --name admin --role admin');
  });
});
