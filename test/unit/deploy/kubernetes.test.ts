import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import * as k8s from '@kubernetes/client-node';
import { parseConfig } from '../../../api/src/config/load';

/**
 * deploy/: plain manifests (kustomize) and a Helm chart. No cluster, no Helm and
 * no Kubernetes OpenAPI schema package are available here, so:
 * - objects are checked against the field/type maps of @kubernetes/client-node's
 *   generated models (unknown fields and wrong value types fail; required fields
 *   are checked by hand below, the models do not carry them);
 * - `kubectl kustomize` builds deploy/kubernetes when /usr/bin/kubectl exists;
 * - Helm templates are NOT rendered: their non-template text is parsed and every
 *   .Values path they use must exist in values.yaml.
 */
const ROOT = join(__dirname, '..', '..', '..');
const KUBE = join(ROOT, 'deploy', 'kubernetes');
const CHART = join(ROOT, 'deploy', 'helm', 'driftline');

type Obj = Record<string, any>;
const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const docs = (file: string) => (loadAll(readFileSync(file, 'utf8')) as Obj[]).filter(Boolean);

const MODEL: Record<string, string> = {
  'v1/Namespace': 'V1Namespace',
  'v1/ServiceAccount': 'V1ServiceAccount',
  'v1/ConfigMap': 'V1ConfigMap',
  'v1/Secret': 'V1Secret',
  'v1/Service': 'V1Service',
  'apps/v1/Deployment': 'V1Deployment',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'V1ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'V1ClusterRoleBinding',
};

/** Walk a value against a client-node model's attributeTypeMap; returns problems as "path: message". */
function validate(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return Array.isArray(value) ? value.flatMap((v, i) => validate(v, arr[1]!, `${path}[${i}]`)) : [`${path}: expected a list`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).flatMap(([k, v]) => validate(v, map[1]!, `${path}.${k}`)) : [`${path}: expected a map`];
  switch (type) {
    case 'string':
    case 'Date':
      return typeof value === 'string' ? [] : [`${path}: expected a string, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'IntOrString':
      return typeof value === 'string' || typeof value === 'number' ? [] : [`${path}: expected an int or a string`];
    case 'any':
    case 'object':
      return [];
  }
  const model = (k8s as unknown as Record<string, { attributeTypeMap?: { baseName: string; type: string }[] }>)[type];
  if (!model?.attributeTypeMap) return [`${path}: no model ${type}`];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object (${type})`];
  const fields = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([k, v]) => (fields.has(k) ? validate(v, fields.get(k)!, `${path}.${k}`) : [`${path}.${k}: unknown field of ${type}`]));
}

function modelOf(o: Obj): string {
  const m = MODEL[`${o.apiVersion}/${o.kind}`];
  if (!m) throw new Error(`unexpected object ${o.apiVersion} ${o.kind}`);
  return m;
}

const WATCHED: Record<string, string[]> = {
  '': ['namespaces', 'configmaps', 'secrets', 'services', 'serviceaccounts'],
  apps: ['deployments', 'statefulsets', 'daemonsets'],
  'networking.k8s.io': ['ingresses', 'networkpolicies'],
  'rbac.authorization.k8s.io': ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
  batch: ['jobs', 'cronjobs'],
  autoscaling: ['horizontalpodautoscalers'],
  'apiextensions.k8s.io': ['customresourcedefinitions'],
};

function checkClusterRole(role: Obj) {
  const granted = new Map<string, Set<string>>();
  for (const r of role.rules as Obj[]) {
    expect(r.verbs, JSON.stringify(r)).toEqual(['get', 'list', 'watch']); // read-only
    for (const g of r.apiGroups) for (const res of r.resources) (granted.get(g) ?? granted.set(g, new Set()).get(g)!).add(res);
  }
  for (const [g, resources] of Object.entries(WATCHED)) for (const res of resources) expect(granted.get(g)?.has(res), `${g}/${res}`).toBe(true);
  expect(JSON.stringify(role.rules)).not.toContain('*');
}

function checkDeployment(d: Obj, opts: { image?: RegExp } = {}) {
  const pod = d.spec.template.spec;
  expect(d.spec.selector.matchLabels).toBeTruthy();
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(d.spec.template.metadata.labels[k]).toBe(v);
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
  const [c] = pod.containers as Obj[];
  if (opts.image) expect(c!.image).toMatch(opts.image);
  expect(c!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  expect(c!.ports).toContainEqual({ name: 'http', containerPort: 8080, protocol: 'TCP' });
  expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  expect(c!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  expect(c!.resources.requests).toHaveProperty('cpu');
  expect(c!.resources.requests).toHaveProperty('memory');
  expect(c!.resources.limits).toHaveProperty('memory');
  const env = new Map((c!.env as Obj[]).map((e) => [e.name, e]));
  for (const name of ['DATABASE_URL', 'DRIFTLINE_INSTALL_KEY']) {
    expect(env.get(name)?.value, `${name} must not be inline`).toBeUndefined();
    expect(env.get(name)?.valueFrom?.secretKeyRef?.key).toBe(name);
  }
  // Writable paths on a read-only root: /tmp and the data dir, as emptyDirs.
  const mounts = new Map((c!.volumeMounts as Obj[]).map((m) => [m.mountPath, m.name]));
  const volumes = new Map((pod.volumes as Obj[]).map((v) => [v.name, v]));
  for (const p of ['/tmp', '/var/lib/driftline']) expect(volumes.get(mounts.get(p))?.emptyDir, p).toBeDefined();
  expect(volumes.get(mounts.get('/etc/driftline'))?.configMap).toBeDefined();
  expect(c!.args).toEqual(['node', 'api/bin/driftline.js', 'serve', '--config', '/etc/driftline/driftline.yaml']);
}

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

  it('every object has apiVersion, kind, metadata.name and matches its client-node model', () => {
    for (const o of [...objects, ...docs(join(KUBE, 'secret.example.yaml'))]) {
      expect(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o).slice(0, 80)).toBeTruthy();
      expect(validate(o, modelOf(o), `${o.kind}/${o.metadata.name}`)).toEqual([]);
    }
  });

  it('grants read-only access to the watched kinds, bound to the service account', () => {
    checkClusterRole(byKind('ClusterRole')[0]!);
    const binding = byKind('ClusterRoleBinding')[0]!;
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: byKind('ClusterRole')[0]!.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'driftline', namespace: 'driftline' }]);
  });

  it('runs non-root on a read-only root filesystem with probes, resources and the Secret', () => {
    const d = byKind('Deployment')[0]!;
    checkDeployment(d);
    expect(d.spec.template.spec.serviceAccountName).toBe(byKind('ServiceAccount')[0]!.metadata.name);
    const svc = byKind('Service')[0]!;
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(v);
  });

  it('ships a driftline.yaml the real config parser accepts (in-cluster)', () => {
    const text = byKind('ConfigMap')[0]!.data['driftline.yaml'];
    const loaded = parseConfig(text, 'configmap.yaml', { DATABASE_URL: 'postgres://x@y/z' }, '/');
    expect(loaded.config.clusters).toMatchObject([{ name: 'in-cluster', inCluster: true }]);
    expect(loaded.config.dataDir).toBe('/var/lib/driftline');
    expect(loaded.config.server.port).toBe(8080);
  });

  it('builds with kubectl kustomize', () => {
    if (!existsSync('/usr/bin/kubectl')) {
      console.log('kubectl kustomize: skipped (/usr/bin/kubectl not found)');
      return;
    }
    const built = (loadAll(execFileSync('/usr/bin/kubectl', ['kustomize', KUBE], { encoding: 'utf8' })) as Obj[]).filter(Boolean);
    expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/driftline-read', 'ClusterRoleBinding/driftline-read', 'ConfigMap/driftline-config', 'Deployment/driftline', 'Namespace/driftline', 'Service/driftline', 'ServiceAccount/driftline',
    ]);
    for (const o of built) {
      expect(validate(o, modelOf(o), o.kind)).toEqual([]);
      if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.metadata.namespace, o.kind).toBe('driftline');
      expect(o.metadata.labels['app.kubernetes.io/name']).toBe('driftline');
    }
    checkDeployment(built.find((o) => o.kind === 'Deployment')!, { image: /^ghcr\.io\/driftline\/driftline:0\.1\.0$/ });
  });
});

describe('deploy/helm/driftline (templates are not rendered: no Helm here)', () => {
  const chart = load(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Obj;
  const values = load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Obj;
  const templates = readdirSync(join(CHART, 'templates')).filter((f) => f.endsWith('.yaml'));
  const source = (f: string) => readFileSync(join(CHART, 'templates', f), 'utf8');
  /** The template's YAML with template-only lines dropped and inline actions replaced by a placeholder. */
  const skeleton = (f: string) => load(source(f).split('\n').filter((l) => !/^\s*\{\{.*\}\}\s*$/.test(l)).join('\n').replace(/\{\{.*?\}\}/g, 'TEMPLATED')) as Obj;

  it('has a v2 Chart.yaml and values with the image, resources, security settings and config', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'driftline', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(values.image).toMatchObject({ repository: expect.any(String), pullPolicy: 'IfNotPresent' });
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(values.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(validate(values.resources, 'V1ResourceRequirements', 'resources')).toEqual([]);
    expect(validate(values.securityContext, 'V1SecurityContext', 'securityContext')).toEqual([]);
    expect(validate(values.podSecurityContext, 'V1PodSecurityContext', 'podSecurityContext')).toEqual([]);
    const loaded = parseConfig(JSON.stringify({ dataDir: '/var/lib/driftline', ...values.config }), 'values.yaml', {}, '/');
    expect(loaded.config.clusters[0]).toMatchObject({ inCluster: true });
  });

  it('templates use only values that exist and helpers that are defined, with balanced blocks', () => {
    const helpers = readFileSync(join(CHART, 'templates', '_helpers.tpl'), 'utf8');
    const defined = new Set([...helpers.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
    for (const f of [...templates, '_helpers.tpl']) {
      const text = f === '_helpers.tpl' ? helpers : source(f);
      for (const [, path] of text.matchAll(/\.Values\.([\w.]+)/g)) {
        const v = path!.split('.').reduce<unknown>((o, k) => (o as Obj | undefined)?.[k], values);
        expect(v, `${f}: .Values.${path}`).not.toBeUndefined();
      }
      for (const [, name] of text.matchAll(/include "([^"]+)"/g)) expect(defined.has(name!), `${f}: include ${name}`).toBe(true);
      const opens = [...text.matchAll(/\{\{-?\s*(if|with|range|define)\b/g)].length;
      const ends = [...text.matchAll(/\{\{-?\s*end\s*-?\}\}/g)].length;
      expect(ends, `${f}: {{ end }} count`).toBe(opens);
    }
    expect([...defined]).toEqual(expect.arrayContaining(['driftline.fullname', 'driftline.labels', 'driftline.selectorLabels', 'driftline.serviceAccountName']));
  });

  it('the non-template parts describe the same objects as the plain manifests', () => {
    const kinds = templates.map((f) => skeleton(f)?.kind).sort();
    expect(kinds).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Service', 'ServiceAccount']);
    const plainRole = docs(join(KUBE, 'clusterrole.yaml'))[0]!;
    expect(skeleton('clusterrole.yaml').rules).toEqual(plainRole.rules);
    checkClusterRole(skeleton('clusterrole.yaml'));
    const d = skeleton('deployment.yaml');
    const c = d.spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.args).toEqual(['node', 'api/bin/driftline.js', 'serve', '--config', '/etc/driftline/driftline.yaml']);
    expect(source('deployment.yaml')).toMatch(/securityContext:\n\s+\{\{- toYaml \.Values\.podSecurityContext/);
    expect(source('deployment.yaml')).toMatch(/resources:\n\s+\{\{- toYaml \.Values\.resources/);
    expect(source('deployment.yaml')).toContain('secretKeyRef:\n                  name: {{ .Values.existingSecret }}\n                  key: DATABASE_URL');
    expect(skeleton('service.yaml').spec.ports).toEqual([{ name: 'http', port: 'TEMPLATED', targetPort: 'http', protocol: 'TCP' }]);
    expect(templates.some((f) => skeleton(f)?.kind === 'Secret')).toBe(false);
  });
});
