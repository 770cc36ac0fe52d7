import { describe, expect, it } from 'vitest';
import { closureTouched, closureTouchedBy, createKustomizeCache, createMemoryFs, renderKustomization, type KustomizeFs } from '../../../api/src/core/kustomize';
import { RepoTree } from '../../../api/src/git/reader/repo-tree';
import { createHash } from 'node:crypto';

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

describe('a real render', () => {
  it('has a closure that an unrelated file does not touch', () => {
    const files: Record<string, string> = {
      'base/kustomization.yaml': 'resources: [app.yaml]\n',
      'base/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n',
      'overlays/prod/kustomization.yaml': 'resources: [../../base]\nnamespace: prod\n',
    };
    const r = renderKustomization('overlays/prod', createMemoryFs(files), { loadRestrictions: 'none' });
    expect(r.problems).toEqual([]);
    expect(closureTouched(new Set(r.files), ['overlays/dev/kustomization.yaml'])).toBe(false);
    expect(closureTouched(new Set(r.files), ['base/app.yaml'])).toBe(true);
  });
});

describe('RepoTree', () => {
  it('gives a directory a new generation whenever anything below it changes, and leaves siblings alone', () => {
    const tree = new RepoTree();
    tree.set('base/a/deploy.yaml', 'b1');
    tree.set('base/b/deploy.yaml', 'b2');
    tree.set('docs/readme.md', 'd1');
    const at = () => Object.fromEntries(['', 'base', 'base/a', 'base/b', 'docs', 'nowhere'].map((d) => [d, tree.generation(d)]));
    const before = at();
    expect(before.nowhere).toBe(0);
    tree.set('base/a/deploy.yaml', 'b1');
    expect(at()).toEqual(before);
    tree.set('base/a/deploy.yaml', 'b3');
    const after = at();
    for (const d of ['', 'base', 'base/a']) expect(after[d]).not.toBe(before[d]);
    for (const d of ['base/b', 'docs', 'nowhere']) expect(after[d]).toBe(before[d]);
    tree.delete('docs/readme.md');
    expect(tree.generation('docs')).not.toBe(after.docs);
    expect(tree.generation('base')).toBe(after.base);
    tree.set('base/c/kustomization.yaml', 'k1');
    expect(tree.generation('base/c')).toBeGreaterThan(0);
    expect(tree.generation('base')).not.toBe(after.base);
  });


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
      // A base that only lists app directories is rebuilt part by part: an app whose objects keep their
      // identities, one whose object is renamed, one that duplicates another's object, one that goes away.
      app('c', '2', 'warn'),
      { 'base/c/deploy.yaml': app('c', '2', 'warn')['base/c/deploy.yaml']!.replace('name: c}', 'name: c2}') },
      { 'base/c/deploy.yaml': app('c', '2', 'warn')['base/c/deploy.yaml']!.replace('name: c}', 'name: a}') },
      app('c', '3', 'warn'),
      app('a', '3', 'debug'),
      { 'base/c/kustomization.yaml': null, 'base/c/deploy.yaml': null },
      app('c', '4', 'info'),
    ];
    // Twice: over fresh in-memory trees (reuse must hold on content, not on Buffer identity), and over
    // one RepoTree moved from step to step, whose directory generations let reuse skip re-reading files.
    const initial = files;
    for (const variant of ['memory', 'repo-tree'] as const) {
      files = initial;
      const cache = createKustomizeCache();
      const tree = new RepoTree();
      const blobs = new Map<string, Buffer>();
      const put = (p: string, c: string) => {
        const id = createHash('sha1').update(c).digest('hex');
        blobs.set(id, Buffer.from(c));
        tree.set(p, id);
      };
      for (const [p, c] of Object.entries(files)) put(p, c);
      const treeFs: KustomizeFs = {
        read: (p) => blobs.get(tree.blob(p) ?? '') ?? null,
        list: (d) => tree.list(d),
        isDir: (p) => tree.isDir(p),
        generation: (d) => tree.generation(d),
      };
      for (const step of steps) {
        const next: Record<string, string> = { ...files };
        for (const [p, c] of Object.entries(step)) {
          if (c === null) {
            delete next[p];
            tree.delete(p);
          } else {
            next[p] = c;
            put(p, c);
          }
        }
        files = next;
        for (const env of ['dev', 'prod']) {
          const cached = renderKustomization(`overlays/${env}`, variant === 'memory' ? createMemoryFs(files) : treeFs, { cache });
          const fresh = renderKustomization(`overlays/${env}`, createMemoryFs(files));
          expect(cached).toEqual(fresh);
        }
      }
    }
  });
});
