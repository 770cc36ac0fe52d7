import { describe, expect, it } from 'vitest';
import { createKustomizeCache, createMemoryFs, renderKustomization, type KustomizeCache, type RenderResult } from '../../../api/src/core/kustomize';
import { dirFs, listCases } from './support';

// With a shared cache the renderer reuses directory builds, per-object transformer outputs and
// finished objects across renders. Whatever it reuses, a render must equal a fresh render without
// a cache: same objects in the same order, same problems in the same order, same closure.

function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

function same(cached: RenderResult, fresh: RenderResult): void {
  expect(cached.objects).toEqual(fresh.objects);
  expect(cached.problems).toEqual(fresh.problems);
  expect(cached.files).toEqual(fresh.files);
}

/** Renders with the shared cache and without any, checks they agree, and freezes what the cache may hand out again. */
function check(files: Record<string, string>, entry: string, cache: KustomizeCache): RenderResult {
  const fs = createMemoryFs(files);
  const fresh = renderKustomization(entry, fs);
  const cached = renderKustomization(entry, fs, { cache });
  same(cached, fresh);
  // Objects handed out may be shared with the cache: any later change to them would throw here.
  deepFreeze(cached.objects);
  return cached;
}

const deployment = (name: string, opts: { tag?: string; cpu?: string; config?: string; sa?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      serviceAccountName: ${opts.sa ?? `${name}-sa`}
      containers:
        - name: main
          image: registry.example.com/${name}:${opts.tag ?? '1.0.0'}
          envFrom: [{configMapRef: {name: ${opts.config ?? `${name}-config`}}}]
          resources: {requests: {cpu: ${opts.cpu ?? '100m'}}}
`;
const service = (name: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80}]
`;
const serviceAccount = (name: string) => `apiVersion: v1
kind: ServiceAccount
metadata: {name: ${name}}
`;
const appKustomization = (name: string, level: string, configName = `${name}-config`) => `resources: [deployment.yaml, service.yaml, sa.yaml]
configMapGenerator:
  - name: ${configName}
    literals: [LOG_LEVEL=${level}, NAME=${name}]
`;

function baseTree(apps: string[]): Record<string, string> {
  const files: Record<string, string> = { 'base/kustomization.yaml': `resources:\n${apps.map((a) => `  - apps/${a}`).join('\n')}\n` };
  for (const a of apps) {
    files[`base/apps/${a}/kustomization.yaml`] = appKustomization(a, 'info');
    files[`base/apps/${a}/deployment.yaml`] = deployment(a);
    files[`base/apps/${a}/service.yaml`] = service(a);
    files[`base/apps/${a}/sa.yaml`] = serviceAccount(`${a}-sa`);
  }
  return files;
}

const overlay = (opts: { pins?: Record<string, string>; patched?: string[]; prefix?: string; replicas?: string } = {}) => `resources: [../../base]
namespace: prod
${opts.prefix ? `namePrefix: ${opts.prefix}\n` : ''}labels:
  - pairs: {env: prod}
    includeSelectors: false
patches:
${(opts.patched ?? []).map((a) => `  - path: patches/${a}.yaml`).join('\n') || '  []'}
  - target: {kind: Deployment, labelSelector: "app=b"}
    patch: |-
      - op: add
        path: /metadata/annotations
        value: {targeted: "yes"}
${opts.replicas ? `replicas:\n  - name: ${opts.replicas}\n    count: 5\n` : ''}${
  opts.pins && Object.keys(opts.pins).length
    ? `images:\n${Object.entries(opts.pins)
        .map(([a, t]) => `  - name: registry.example.com/${a}\n    newTag: "${t}"`)
        .join('\n')}\n`
    : ''
}`;
const patch = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec: {replicas: ${replicas}}
`;

describe('incremental rendering with a shared cache', () => {
  it('renders every kubectl fixture like an uncached render, first time and again, with one cache for all', () => {
    const cache = createKustomizeCache();
    for (const pass of [1, 2]) {
      for (const c of listCases()) {
        const fs = dirFs(c.dir);
        const fresh = renderKustomization(c.entry, fs, c.options);
        const cached = renderKustomization(c.entry, fs, { ...c.options, cache });
        same(cached, fresh);
        if (pass === 1) deepFreeze(cached.objects);
      }
    }
  });

  it('follows a sequence of edits exactly like fresh renders', () => {
    const cache = createKustomizeCache();
    const apps = ['a', 'b', 'c', 'd'];
    const files: Record<string, string> = {
      ...baseTree(apps),
      // b also reads a's generated ConfigMap: its references follow a's hash suffix while b itself does not change.
      'base/apps/b/deployment.yaml': deployment('b', { config: 'a-config' }),
      'overlays/prod/kustomization.yaml': overlay({ patched: ['a'] }),
      'overlays/prod/patches/a.yaml': patch('a', 3),
      'overlays/prod/patches/c.yaml': patch('c', 2),
    };
    const steps: Array<[string, () => void]> = [
      ['initial', () => {}],
      ['base content change (one Deployment)', () => (files['base/apps/a/deployment.yaml'] = deployment('a', { cpu: '250m' }))],
      ['base content change (a Service)', () => (files['base/apps/d/service.yaml'] = service('d').replace('port: 80', 'port: 8080'))],
      ['base name change of a referenced ServiceAccount', () => {
        files['base/apps/b/sa.yaml'] = serviceAccount('b-runner');
        files['base/apps/b/deployment.yaml'] = deployment('b', { sa: 'b-runner', config: 'a-config' });
      }],
      ['base name change of a generated ConfigMap', () => {
        files['base/apps/c/kustomization.yaml'] = appKustomization('c', 'info', 'c-settings');
        files['base/apps/c/deployment.yaml'] = deployment('c', { config: 'c-settings' });
      }],
      ['overlay patch change', () => (files['overlays/prod/patches/a.yaml'] = patch('a', 4))],
      ['overlay new patch', () => (files['overlays/prod/kustomization.yaml'] = overlay({ patched: ['a', 'c'] }))],
      ['generator literal change', () => (files['base/apps/a/kustomization.yaml'] = appKustomization('a', 'debug'))],
      ['image tag change in the base', () => (files['base/apps/d/deployment.yaml'] = deployment('d', { tag: '1.0.1' }))],
      ['image tag pin in the overlay', () => (files['overlays/prod/kustomization.yaml'] = overlay({ patched: ['a', 'c'], pins: { d: '0.9.0' } }))],
      ['base content change under a pinned image and patches', () => (files['base/apps/c/deployment.yaml'] = deployment('c', { config: 'c-settings', cpu: '300m' }))],
      ['labels change the targeted patch selection', () => (files['base/apps/d/deployment.yaml'] = deployment('d', { tag: '1.0.1' }).replaceAll('app: d}', 'app: b}'))],
      ['a patch by name now matches two objects (problem, patch not applied)', () => {
        files['base/apps/d/deployment.yaml'] = deployment('d', { tag: '1.0.1' });
        // Another Deployment first named a (renamed a-d by app d's suffix): the overlay's patch for a matches it by its old name too.
        files['base/apps/d/extra.yaml'] = deployment('a');
        files['base/apps/d/kustomization.yaml'] = `nameSuffix: -d\n${appKustomization('d', 'info').replace('sa.yaml]', 'sa.yaml, extra.yaml]')}`;
      }],
      ['back to one match', () => {
        files['base/apps/d/kustomization.yaml'] = appKustomization('d', 'info');
      }],
      ['replicas entry that matches nothing, then something', () => (files['overlays/prod/kustomization.yaml'] = overlay({ patched: ['a', 'c'], pins: { d: '0.9.0' }, replicas: 'zz' }))],
      ['replicas entry that matches', () => (files['overlays/prod/kustomization.yaml'] = overlay({ patched: ['a', 'c'], pins: { d: '0.9.0' }, replicas: 'b' }))],
      ['a patch that deletes an object', () => (files['overlays/prod/patches/c.yaml'] = '$patch: delete\n' + patch('c', 2))],
      ['namePrefix (every name and reference changes)', () => (files['overlays/prod/kustomization.yaml'] = overlay({ patched: ['a', 'c'], pins: { d: '0.9.0' }, prefix: 'p-' }))],
      ['base content change with a prefix', () => (files['base/apps/b/deployment.yaml'] = deployment('b', { sa: 'b-runner', config: 'a-config', cpu: '50m' }))],
      ['the patched object is removed from the base', () => (files['base/kustomization.yaml'] = 'resources:\n  - apps/b\n  - apps/c\n  - apps/d\n')],
      ['and comes back', () => (files['base/kustomization.yaml'] = `resources:\n${apps.map((a) => `  - apps/${a}`).join('\n')}\n`)],
    ];
    const snapshots: Array<{ files: Record<string, string>; objects: unknown }> = [];
    for (const [name, edit] of steps) {
      edit();
      const r = check(files, 'overlays/prod', cache);
      expect(r.objects.length, name).toBeGreaterThan(0);
      snapshots.push({ files: { ...files }, objects: structuredClone(r.objects) });
    }
    // Earlier states again, in reverse: reused outputs must not have been changed by later renders.
    for (const s of snapshots.reverse()) {
      const r = check(s.files, 'overlays/prod', cache);
      expect(r.objects).toEqual(s.objects);
    }
  });

  it('renders two overlays over one base and a component like fresh renders as the base changes', () => {
    const cache = createKustomizeCache();
    const files: Record<string, string> = {
      ...baseTree(['a', 'b']),
      'overlays/dev/kustomization.yaml': 'resources: [../../base]\nnamespace: dev\ncomponents: [../../components/team]\n',
      'overlays/prod/kustomization.yaml': 'resources: [../../base]\nnamespace: prod\nnameSuffix: -p\ncommonAnnotations: {tier: prod}\n',
      'components/team/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: {team: x}\nconfigMapGenerator:\n  - name: a-config\n    behavior: merge\n    literals: [EXTRA=1]\n',
    };
    for (const edit of [
      () => {},
      () => (files['base/apps/a/deployment.yaml'] = deployment('a', { tag: '2.0.0' })),
      () => (files['base/apps/a/kustomization.yaml'] = appKustomization('a', 'warn')),
      () => (files['components/team/kustomization.yaml'] = files['components/team/kustomization.yaml']!.replace('EXTRA=1', 'EXTRA=2')),
      () => (files['base/apps/b/service.yaml'] = service('b').replace('port: 80', 'port: 81')),
    ]) {
      edit();
      check(files, 'overlays/dev', cache);
      check(files, 'overlays/prod', cache);
    }
  });

  it('reports an ambiguous name reference like a fresh render while the objects around it change', () => {
    const cache = createKustomizeCache();
    // Two generated ConfigMaps first named "shared" (prefixed a- and b-): a Deployment without a prefix that
    // names "shared" matches both, so kustomize leaves it alone and the renderer reports it.
    const files: Record<string, string> = {
      'base/a/kustomization.yaml': 'namePrefix: a-\nconfigMapGenerator:\n  - name: shared\n    literals: [X=1]\n',
      'base/b/kustomization.yaml': 'namePrefix: b-\nconfigMapGenerator:\n  - name: shared\n    literals: [X=2]\n',
      'base/c/kustomization.yaml': 'resources: [deployment.yaml]\nconfigMapGenerator:\n  - name: c-config\n    literals: [Y=1]\n',
      'base/c/deployment.yaml': deployment('c'),
      'overlays/prod/kustomization.yaml': 'resources: [../../base/a, ../../base/b, ../../base/c, web.yaml]\nnamespace: prod\n',
      'overlays/prod/web.yaml': deployment('web', { config: 'shared' }),
    };
    for (const edit of [
      () => {},
      () => (files['base/c/deployment.yaml'] = deployment('c', { tag: '2.0.0' })),
      () => (files['overlays/prod/web.yaml'] = deployment('web', { config: 'shared', tag: '2.0.0' })),
      () => (files['base/a/kustomization.yaml'] = files['base/a/kustomization.yaml']!.replace('X=1', 'X=3')),
      () => (files['base/c/kustomization.yaml'] = files['base/c/kustomization.yaml']!.replace('Y=1', 'Y=2')),
      // No longer ambiguous: b's ConfigMap gets another name; then ambiguous again.
      () => (files['base/b/kustomization.yaml'] = files['base/b/kustomization.yaml']!.replace('name: shared', 'name: other')),
      () => (files['base/b/kustomization.yaml'] = files['base/b/kustomization.yaml']!.replace('name: other', 'name: shared')),
    ]) {
      edit();
      const r = check(files, 'overlays/prod', cache);
      const ambiguous = files['base/b/kustomization.yaml']!.includes('name: shared');
      expect(r.problems.some((p) => p.code === 'conflict' && p.message.includes('refers to ConfigMap "shared"')), JSON.stringify(r.problems)).toBe(ambiguous);
    }
  });

  it('follows image rules that come, go, rename and chain like fresh renders', () => {
    const cache = createKustomizeCache();
    const files: Record<string, string> = { ...baseTree(['a', 'b', 'c']) };
    const rules = (...r: string[]) => `resources: [../../base]\nnamespace: prod\n${r.length ? `images:\n${r.map((x) => `  - ${x}`).join('\n')}\n` : ''}`;
    for (const images of [
      [],
      ['{name: registry.example.com/a, newTag: "2.0"}'],
      ['{name: registry.example.com/a, newTag: "2.0"}', '{name: registry.example.com/b, newName: registry.example.com/c}'],
      // A rule for c now also reaches b's image, renamed to c by the rule before it.
      ['{name: registry.example.com/a, newTag: "2.0"}', '{name: registry.example.com/b, newName: registry.example.com/c}', '{name: registry.example.com/c, newTag: "9"}'],
      ['{name: registry.example.com/b, newName: registry.example.com/c}', '{name: registry.example.com/c, newTag: "9"}'],
      ['{name: registry.example.com/c, newTag: "9"}'],
      [],
    ]) {
      files['overlays/prod/kustomization.yaml'] = rules(...images);
      check(files, 'overlays/prod', cache);
    }
  });
});

describe('incremental rendering after a patch file changes', () => {
  it('transforms again an object the changed patch names by an earlier name (a base renamed it)', () => {
    const cache = createKustomizeCache();
    const files: Record<string, string> = {
      'base/kustomization.yaml': 'namePrefix: shop-\nresources: [web.yaml, api.yaml]\n',
      'base/web.yaml': deployment('web'),
      'base/api.yaml': deployment('api'),
      // The overlay's patches name the objects as the base's files do; they come in as shop-web and shop-api.
      'overlays/prod/kustomization.yaml': 'namespace: prod\nresources: [../../base]\npatches:\n  - path: web.yaml\n  - path: api.yaml\n',
      'overlays/prod/api.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replicas: 2}\n',
    };
    for (const replicas of [3, 4, 5]) {
      files['overlays/prod/web.yaml'] = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: ${replicas}}\n`;
      const out = check(files, 'overlays/prod', cache);
      const web = out.objects.find((o) => (o.metadata as { name: string }).name === 'shop-web') as { spec: { replicas: number } };
      expect(web.spec.replicas).toBe(replicas);
    }
  });
});
