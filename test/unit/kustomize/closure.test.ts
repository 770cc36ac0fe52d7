import { describe, expect, it } from 'vitest';
import { closureKey, closureTouched, closureTouchedBy, createKustomizeCache, createMemoryFs, renderKustomization, type TreeProbe } from '../../../api/src/core/kustomize';
import { RepoTree } from '../../../api/src/git/reader/repo-tree';

/** A probe over path → blob id, with directories derived from the paths. */
function probe(files: Record<string, string>): TreeProbe {
  const tree = new RepoTree();
  for (const [p, b] of Object.entries(files)) tree.set(p, b);
  return tree;
}

describe('closureTouchedBy', () => {
  const closure = new Set(['overlays/prod/kustomization.yaml', 'overlays/prod/kustomization.yml', 'overlays/prod/missing.yaml', 'base/kustomization.yaml', 'apps/']);

  it('is true for a file the render read, or looked for and did not find', () => {
    expect(closureTouchedBy(closure, 'base/kustomization.yaml')).toBe(true);
    expect(closureTouchedBy(closure, 'overlays/prod/kustomization.yml')).toBe(true);
    expect(closureTouchedBy(closure, 'overlays/prod/missing.yaml')).toBe(true);
  });

  it('is true for anything inside a directory whose listing the render used', () => {
    expect(closureTouchedBy(closure, 'apps/web/deploy.yaml')).toBe(true);
  });

  it('is true when a path the render read or missed becomes a directory', () => {
    expect(closureTouchedBy(closure, 'overlays/prod/missing.yaml/kustomization.yaml')).toBe(true);
  });

  it('is false for siblings and unrelated files', () => {
    expect(closureTouchedBy(closure, 'base/deployment-unused.yaml')).toBe(false);
    expect(closureTouchedBy(closure, 'overlays/dev/kustomization.yaml')).toBe(false);
    expect(closureTouchedBy(closure, 'README.md')).toBe(false);
    expect(closureTouched(closure, ['README.md', 'docs/a.md'])).toBe(false);
    expect(closureTouched(closure, ['README.md', 'base/kustomization.yaml'])).toBe(true);
  });

  it('treats the root listing as covering every path', () => {
    expect(closureTouchedBy(new Set(['/']), 'anything/at/all.yaml')).toBe(true);
  });
});

describe('closureKey', () => {
  const closure = ['base/app.yaml', 'base/kustomization.yaml', 'base/missing.yaml', 'overlays/prod/kustomization.yaml'];

  it('is equal for trees that agree on every closure path, whatever else differs', () => {
    const a = probe({ 'base/app.yaml': 'b1', 'base/kustomization.yaml': 'b2', 'overlays/prod/kustomization.yaml': 'b3', 'README.md': 'r1' });
    const b = probe({ 'base/app.yaml': 'b1', 'base/kustomization.yaml': 'b2', 'overlays/prod/kustomization.yaml': 'b3', 'README.md': 'r2', 'overlays/dev/kustomization.yaml': 'x' });
    expect(closureKey('prod', closure, a)).toBe(closureKey('prod', closure, b));
  });

  it('changes when a closure file changes, appears, or a missing path becomes a directory', () => {
    const files = { 'base/app.yaml': 'b1', 'base/kustomization.yaml': 'b2', 'overlays/prod/kustomization.yaml': 'b3' };
    const key = closureKey('prod', closure, probe(files));
    expect(closureKey('prod', closure, probe({ ...files, 'base/app.yaml': 'b9' }))).not.toBe(key);
    expect(closureKey('prod', closure, probe({ ...files, 'base/missing.yaml': 'b4' }))).not.toBe(key);
    expect(closureKey('prod', closure, probe({ ...files, 'base/missing.yaml/kustomization.yaml': 'b4' }))).not.toBe(key);
    expect(closureKey('dev', closure, probe(files))).not.toBe(key);
  });

  it('covers listings of directories used by a render without a kustomization file', () => {
    const files = { 'apps/a.yaml': 'b1' };
    const key = closureKey('flux', ['apps/', 'apps/a.yaml'], probe(files));
    expect(closureKey('flux', ['apps/', 'apps/a.yaml'], probe({ ...files, 'apps/b.yaml': 'b2' }))).not.toBe(key);
  });

  it('holds what a real render reads: an unrelated file does not change the key of a render', () => {
    const files: Record<string, string> = {
      'base/kustomization.yaml': 'resources: [app.yaml]\n',
      'base/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n',
      'overlays/prod/kustomization.yaml': 'resources: [../../base]\nnamespace: prod\n',
    };
    const r = renderKustomization('overlays/prod', createMemoryFs(files), { loadRestrictions: 'none' });
    expect(r.problems).toEqual([]);
    const ids = (extra: Record<string, string>) => probe(Object.fromEntries(Object.entries({ ...files, ...extra }).map(([p, c]) => [p, c])));
    const key = closureKey('prod', r.files, ids({}));
    expect(closureKey('prod', r.files, ids({ 'overlays/dev/kustomization.yaml': 'resources: []\n' }))).toBe(key);
    expect(closureTouched(new Set(r.files), ['overlays/dev/kustomization.yaml'])).toBe(false);
    expect(closureTouched(new Set(r.files), ['base/app.yaml'])).toBe(true);
  });
});

describe('RepoTree', () => {
  it('moves from commit to commit with renames and deletions, and lists directories like a file system', () => {
    const tree = new RepoTree();
    tree.apply([
      { status: 'A', path: 'base/a.yaml', oldBlob: null, newBlob: 'b1', oldMode: null, newMode: '100644' },
      { status: 'A', path: 'base/sub/b.yaml', oldBlob: null, newBlob: 'b2', oldMode: null, newMode: '100644' },
      { status: 'A', path: 'vendor/lib', oldBlob: null, newBlob: 'c1', oldMode: null, newMode: '160000' },
    ]);
    expect(tree.list('')).toEqual(['base']);
    expect(tree.list('base')).toEqual(['a.yaml', 'sub']);
    expect(tree.isDir('base/sub')).toBe(true);
    tree.apply([
      { status: 'R', oldPath: 'base/sub/b.yaml', path: 'other/b.yaml', oldBlob: 'b2', newBlob: 'b2', oldMode: '100644', newMode: '100644' },
      { status: 'D', path: 'base/a.yaml', oldBlob: 'b1', newBlob: null, oldMode: '100644', newMode: null },
    ]);
    expect(tree.isDir('base')).toBe(false);
    expect(tree.list('')).toEqual(['other']);
    expect(tree.blob('other/b.yaml')).toBe('b2');
    expect(tree.blob('base/sub/b.yaml')).toBeNull();
  });
});

describe('renderKustomization with a shared cache across commits', () => {
  it('gives exactly what an uncached render gives while bases, apps and overlays change', () => {
    const app = (n: string, tag: string, level: string): Record<string, string> => ({
      [`base/${n}/kustomization.yaml`]: `resources: [deploy.yaml]\nconfigMapGenerator:\n  - name: ${n}-config\n    literals: [LEVEL=${level}]\n`,
      [`base/${n}/deploy.yaml`]: `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${n}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${n}\n          image: example.com/${n}:${tag}\n          envFrom: [{configMapRef: {name: ${n}-config}}]\n`,
    });
    const overlay = (env: string, replicas: number) => ({
      [`overlays/${env}/kustomization.yaml`]: `resources: [../../base]\nnamespace: ${env}\nreplicas: [{name: a, count: ${replicas}}]\n`,
    });
    let files: Record<string, string> = {
      'base/kustomization.yaml': 'resources: [a, b]\n',
      ...app('a', '1', 'info'),
      ...app('b', '1', 'info'),
      ...overlay('dev', 1),
      ...overlay('prod', 3),
    };
    const steps: Array<Record<string, string | null>> = [
      {},
      app('a', '2', 'info'),
      overlay('prod', 5),
      app('b', '1', 'debug'),
      { 'base/kustomization.yaml': 'resources: [a]\n' },
      { 'base/kustomization.yaml': 'resources: [a, b, c]\n' },
      app('c', '1', 'warn'),
      { 'base/b/kustomization.yaml': null, 'base/b/Kustomization': 'resources: [deploy.yaml]\n' },
    ];
    const cache = createKustomizeCache();
    for (const step of steps) {
      const next: Record<string, string> = { ...files };
      for (const [p, c] of Object.entries(step)) {
        if (c === null) delete next[p];
        else next[p] = c;
      }
      files = next;
      // Buffers are fresh per step: reuse must hold on content, not on object identity.
      for (const env of ['dev', 'prod']) {
        const cached = renderKustomization(`overlays/${env}`, createMemoryFs(files), { cache });
        const fresh = renderKustomization(`overlays/${env}`, createMemoryFs(files));
        expect(cached).toEqual(fresh);
      }
    }
  });
});
