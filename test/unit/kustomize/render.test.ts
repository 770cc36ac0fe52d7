import { describe, expect, it } from 'vitest';
import {
  contentHashSuffix,
  createKustomizeCache,
  createMemoryFs,
  findKustomizeEntryPoints,
  loadKustomizeYaml,
  renderKustomization,
} from '../../../api/src/core/kustomize';

const deployment = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - name: main
          image: registry.example.com/${name}:1.0.0
${extra}`;

describe('renderKustomization: dependency closure', () => {
  it('lists every file the result depends on, including referenced files that do not exist', () => {
    const fs = createMemoryFs({
      'base/kustomization.yaml': 'resources: [app.yaml]\nconfigMapGenerator:\n  - name: cfg\n    envs: [app.env]\n',
      'base/app.yaml': deployment('app'),
      'base/app.env': 'A=1\n',
      'base/unrelated.yaml': deployment('unrelated'),
      'overlays/prod/kustomization.yml': 'resources: [../../base, missing.yaml]\npatches:\n  - path: patch.yaml\n',
      'overlays/prod/patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {replicas: 3}\n',
      'README.md': '# docs',
    });
    const r = renderKustomization('overlays/prod', fs);
    expect(r.files).toEqual([
      'base/Kustomization',
      'base/app.env',
      'base/app.yaml',
      'base/kustomization.yaml',
      'base/kustomization.yml',
      'overlays/prod/Kustomization',
      'overlays/prod/kustomization.yaml',
      'overlays/prod/kustomization.yml',
      'overlays/prod/missing.yaml',
      'overlays/prod/patch.yaml',
    ]);
    expect(r.problems).toEqual([expect.objectContaining({ file: 'overlays/prod/kustomization.yml', field: 'resources[1]', code: 'not-found' })]);
    expect(r.objects.map((o: any) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/cfg-89g4tffbfk', 'Deployment/app']);
  });

  it('records all three kustomization file names when a directory has none, so adding one changes the cache key', () => {
    const r = renderKustomization('apps', createMemoryFs({ 'apps/app.yaml': deployment('app') }));
    expect(r.objects).toEqual([]);
    expect(r.files).toEqual(['apps/Kustomization', 'apps/kustomization.yaml', 'apps/kustomization.yml']);
    expect(r.problems).toEqual([expect.objectContaining({ file: 'apps', code: 'not-found', message: 'no kustomization file in apps' })]);
  });
});

describe('renderKustomization: bad input is a problem, never an exception', () => {
  const cases: Array<[string, Record<string, string | Buffer>, string, string]> = [
    ['a cycle between two kustomizations', { 'a/kustomization.yaml': 'resources: [../b]\n', 'b/kustomization.yaml': 'resources: [../a]\n' }, 'a', 'cycle'],
    ['a kustomization that is a list', { 'k/kustomization.yaml': '- a\n- b\n' }, 'k', 'invalid'],
    ['broken YAML in a kustomization', { 'k/kustomization.yaml': 'resources: [a.yaml\n' }, 'k', 'invalid'],
    ['broken YAML in a resource', { 'k/kustomization.yaml': 'resources: [a.yaml]\n', 'k/a.yaml': 'kind: [\n' }, 'k', 'invalid'],
    ['a resource without a name', { 'k/kustomization.yaml': 'resources: [a.yaml]\n', 'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\n' }, 'k', 'invalid'],
    ['binary content', { 'k/kustomization.yaml': 'resources: [a.yaml]\n', 'k/a.yaml': Buffer.from([0xff, 0xfe, 0x00, 0x41]) }, 'k', 'invalid'],
    ['fields of the wrong type', { 'k/kustomization.yaml': 'resources: a.yaml\nnamespace: [x]\ncommonLabels: {a: 1}\n' }, 'k', 'invalid'],
    ['a Component built on its own', { 'c/kustomization.yaml': 'kind: Component\n' }, 'c', 'invalid'],
    ['a Component listed as a resource', { 'k/kustomization.yaml': 'resources: [../c]\n', 'c/kustomization.yaml': 'kind: Component\n' }, 'k', 'invalid'],
    ['a Kustomization listed as a component', { 'k/kustomization.yaml': 'components: [../c]\n', 'c/kustomization.yaml': 'resources: []\n' }, 'k', 'invalid'],
    ['an entry outside the repository', { 'k/kustomization.yaml': '' }, '../k', 'not-found'],
    [
      'a target regex that could backtrack for ever',
      { 'k/kustomization.yaml': 'resources: [a.yaml]\npatches:\n  - target: {name: "(a+)+$"}\n    patch: "[]"\n', 'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab}\n' },
      'k',
      'invalid',
    ],
    ['a kustomization file listed as a resource', { 'k/kustomization.yaml': 'resources: [other.yaml]\n', 'k/other.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n' }, 'k', 'invalid'],
  ];
  it.each(cases)('%s', (_name, files, entry, code) => {
    const r = renderKustomization(entry, createMemoryFs(files));
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems.map((p) => p.code)).toContain(code);
    for (const p of r.problems) expect(p.message).not.toMatch(/internal error/);
  });
});

describe('renderKustomization: missingKustomization generate (Flux without a kustomization.yaml)', () => {
  it('renders every manifest below the directory and sub-kustomizations as directories', () => {
    const fs = createMemoryFs({
      'clusters/prod/apps/web.yaml': deployment('web'),
      'clusters/prod/apps/values.yaml': 'replicaCount: 3\n',
      'clusters/prod/infra/kustomization.yaml': 'namespace: infra\nresources: [ingress.yaml]\n',
      'clusters/prod/infra/ingress.yaml': deployment('ingress-nginx'),
      'clusters/prod/infra/ignored.yaml': deployment('not-listed'),
      'clusters/prod/notes.txt': 'hello',
    });
    const r = renderKustomization('clusters/prod', fs, { missingKustomization: 'generate' });
    expect(r.problems).toEqual([]);
    expect(r.objects.map((o: any) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual(['/web', 'infra/ingress-nginx']);
    // Listings count (a new file changes the result): they appear as directories with a trailing slash.
    expect(r.files).toEqual(expect.arrayContaining(['clusters/prod/', 'clusters/prod/apps/', 'clusters/prod/apps/web.yaml', 'clusters/prod/infra/ingress.yaml']));
    expect(r.files).not.toContain('clusters/prod/infra/ignored.yaml');
  });
});

describe('renderKustomization: parse cache', () => {
  it('gives the same result with a cache and never lets a render change cached documents', () => {
    const files = {
      'k/kustomization.yaml': 'namePrefix: p-\ncommonLabels: {team: a}\nresources: [app.yaml]\nconfigMapGenerator: [{name: c, literals: [A=1]}]\n',
      'k/app.yaml': deployment('app', '          envFrom: [{configMapRef: {name: c}}]\n'),
    };
    const fs = createMemoryFs(files);
    const plain = renderKustomization('k', fs);
    const cache = createKustomizeCache();
    const first = renderKustomization('k', fs, { cache });
    const second = renderKustomization('k', fs, { cache });
    expect(first).toEqual(plain);
    expect(second).toEqual(plain);
    expect(cache.size).toBeGreaterThan(0);
    // Mutating a result must not leak into the next render.
    (first.objects[0] as any).metadata.name = 'changed';
    expect(renderKustomization('k', fs, { cache })).toEqual(plain);
  });
});

describe('renderKustomization: speed', () => {
  function repo(apps: number): Record<string, string> {
    const files: Record<string, string> = {};
    for (let i = 0; i < apps; i++) {
      const app = `app${i}`;
      files[`apps/${app}/kustomization.yaml`] =
        `resources: [deployment.yaml, service.yaml]\nlabels:\n  - pairs: {app.kubernetes.io/name: ${app}}\n    includeSelectors: true\n` +
        `configMapGenerator:\n  - name: ${app}-config\n    literals: [A=1, B=2]\n`;
      files[`apps/${app}/deployment.yaml`] = deployment(app, `          envFrom: [{configMapRef: {name: ${app}-config}}]\n          ports: [{containerPort: 8080}]\n`);
      files[`apps/${app}/service.yaml`] = `apiVersion: v1\nkind: Service\nmetadata: {name: ${app}}\nspec:\n  selector: {app: ${app}}\n  ports: [{port: 80, targetPort: 8080}]\n`;
    }
    files['clusters/prod/kustomization.yaml'] =
      `namespace: prod\nnamePrefix: prod-\ncommonAnnotations: {env: prod}\nresources:\n` +
      Array.from({ length: apps }, (_, i) => `  - ../../apps/app${i}\n`).join('') +
      `images:\n  - name: registry.example.com/app3\n    newTag: "2.0"\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 3\n`;
    return files;
  }

  it('renders an overlay of 50 apps, with and without the parse cache, to the same objects', () => {
    const fs = createMemoryFs(repo(50));
    const cache = createKustomizeCache();
    const plain = renderKustomization('clusters/prod', fs, {});
    const cached = renderKustomization('clusters/prod', fs, { cache });
    const again = renderKustomization('clusters/prod', fs, { cache });
    expect(plain.problems).toEqual([]);
    expect(plain.objects).toHaveLength(150);
    expect(cached.objects).toEqual(plain.objects);
    expect(again.objects).toEqual(plain.objects);
  });
});

describe('contentHashSuffix', () => {
  it('computes the suffixes kubectl kustomize gives (kind, data, binaryData and Secret type count; the name does not)', () => {
    expect(contentHashSuffix({ kind: 'ConfigMap', metadata: { name: 'x' } })).toBe('6ct58987ht');
    expect(contentHashSuffix({ kind: 'ConfigMap', metadata: { name: 'other-name' } })).toBe('6ct58987ht');
    expect(contentHashSuffix({ kind: 'ConfigMap', data: { A: '1', B: 'x<y&z>', C: 'quoted', D: 'single', E: ' spaced ' } })).toBe('g686622fk4');
    expect(contentHashSuffix({ kind: 'ConfigMap', binaryData: { 'bin.dat': 'AAH//g==' } })).toBe('56kdbg8bm4');
    expect(contentHashSuffix({ kind: 'Secret', type: 'Opaque', data: { pw: 'c2VjcmV0' } })).toBe('dtgd52765c');
  });
});

describe('loadKustomizeYaml', () => {
  it('reads resources with YAML 1.2 booleans, as kustomize does', () => {
    expect(loadKustomizeYaml('a: yes\nb: on\nc: y\nd: true\ne: False\nf: 0644\ng: ~\n')).toEqual([
      { a: 'yes', b: 'on', c: 'y', d: true, e: false, f: 420, g: null },
    ]);
  });
});

describe('createMemoryFs', () => {
  it('answers list and isDir from the paths it holds', () => {
    const fs = createMemoryFs({ 'a/b/c.yaml': 'x', 'a/d.yaml': 'y' });
    expect(fs.list('')).toEqual(['a']);
    expect(fs.list('a')).toEqual(['b', 'd.yaml']);
    expect(fs.list('a/d.yaml')).toBeNull();
    expect(fs.isDir('a/b')).toBe(true);
    expect(fs.isDir('a/d.yaml')).toBe(false);
    expect(fs.read('a/d.yaml')?.toString()).toBe('y');
    expect(fs.read('a')).toBeNull();
  });
});

describe('findKustomizeEntryPoints', () => {
  it('finds Flux Kustomization paths and Argo CD Application source paths', () => {
    const objects = loadKustomizeYaml(`
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./clusters/prod/apps
  prune: true
  targetNamespace: apps
  sourceRef: {kind: GitRepository, name: infra}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: root, namespace: flux-system}
spec:
  path: ./
  sourceRef: {kind: GitRepository, name: infra, namespace: shared}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: escape, namespace: flux-system}
spec:
  path: ../../elsewhere
  sourceRef: {kind: GitRepository, name: infra}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  source:
    repoURL: https://github.com/acme/infra.git
    targetRevision: main
    path: overlays/prod/
    kustomize:
      namePrefix: prod-
  destination: {server: https://kubernetes.default.svc, namespace: web}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: multi, namespace: argocd}
spec:
  sources:
    - repoURL: https://charts.example.com
      chart: redis
      targetRevision: 19.0.0
    - repoURL: https://github.com/acme/infra.git
      path: apps/cache
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: not-an-entry}
spec: {path: x}
`);
    expect(findKustomizeEntryPoints(objects)).toEqual([
      {
        tool: 'flux',
        name: 'apps',
        namespace: 'flux-system',
        path: 'clusters/prod/apps',
        source: 'GitRepository/flux-system/infra',
        overrides: { targetNamespace: 'apps' },
      },
      { tool: 'flux', name: 'root', namespace: 'flux-system', path: '', source: 'GitRepository/shared/infra' },
      {
        tool: 'argocd',
        name: 'web',
        namespace: 'argocd',
        path: 'overlays/prod',
        source: 'https://github.com/acme/infra.git',
        revision: 'main',
        overrides: { namePrefix: 'prod-' },
      },
      { tool: 'argocd', name: 'multi', namespace: 'argocd', path: 'apps/cache', source: 'https://github.com/acme/infra.git' },
    ]);
  });
});
