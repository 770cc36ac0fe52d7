import { describe, expect, it } from 'vitest';
import { applyPatch } from 'fast-json-patch';
import { diffObjectSets, jsonPatch, summarizeChanges, unifiedYamlDiff, yamlDiffHunks } from '../../../api/src/core/diff';
import type { FieldChange } from '../../../api/src/core/drift';

describe('unifiedYamlDiff', () => {
  const a = { kind: 'ConfigMap', metadata: { name: 'x' }, data: { b: '2', a: '1' } };
  const b = { data: { a: '1', b: '3' }, metadata: { name: 'x' }, kind: 'ConfigMap' };

  it('diffs stable YAML with sorted keys and the given labels', () => {
    expect(unifiedYamlDiff(a, b, { labelA: 'git@3e1f0b2', labelB: 'live', context: 1 })).toBe(
      ['--- git@3e1f0b2', '+++ live', '@@ -2,3 +2,3 @@', "   a: '1'", "-  b: '2'", "+  b: '3'", ' kind: ConfigMap', ''].join('\n'),
    );
  });

  it('is empty when only key order differs, and shows creations in full', () => {
    expect(unifiedYamlDiff(a, { ...a, data: { a: '1', b: '2' } })).toBe('');
    const created = unifiedYamlDiff(null, { a: 1 }, { labelA: 'before', labelB: 'after' });
    expect(created).toContain('--- before\n+++ after\n');
    expect(created).toContain('+a: 1');
  });

  it('gives hunks for a side-by-side view', () => {
    const hunks = yamlDiffHunks(a, b, { context: 0 });
    expect(hunks).toHaveLength(1);
    expect(hunks[0]!.lines).toEqual(["-  b: '2'", "+  b: '3'"]);
    expect(yamlDiffHunks(a, a)).toEqual([]);
  });
});

describe('jsonPatch', () => {
  it('produces RFC 6902 operations that turn a into b', () => {
    const a = { spec: { replicas: 3, template: { containers: [{ name: 'web', image: 'web:1' }] } }, metadata: { labels: { x: '1' } } };
    const b = { spec: { replicas: 5, template: { containers: [{ name: 'web', image: 'web:2' }] } }, metadata: { labels: {} } };
    const ops = jsonPatch(a, b);
    // fast-json-patch walks keys from the last one (array removals stay valid); inputs are key-sorted first, so the order is stable
    expect(ops).toEqual([
      { op: 'replace', path: '/spec/template/containers/0/image', value: 'web:2' },
      { op: 'replace', path: '/spec/replicas', value: 5 },
      { op: 'remove', path: '/metadata/labels/x' },
    ]);
    expect(jsonPatch({ metadata: a.metadata, spec: a.spec }, b)).toEqual(ops);
    expect(applyPatch(structuredClone(a), ops).newDocument).toEqual(b);
  });

  it('replaces the whole document when a side is not an object', () => {
    expect(jsonPatch(null, { a: 1 })).toEqual([{ op: 'replace', path: '', value: { a: 1 } }]);
    expect(jsonPatch({ a: 1 }, { a: 1 })).toEqual([]);
    expect(jsonPatch(null, null)).toEqual([]);
  });
});

describe('diffObjectSets', () => {
  const v = (hash: string, body: unknown = { h: hash }) => ({ hash, body });
  const before = new Map([
    ['apps/Deployment/shop/web', v('h1')],
    ['/ConfigMap/shop/cfg', v('h2')],
    ['/Service/shop/old', v('h3')],
  ]);
  const after = new Map([
    ['/ConfigMap/shop/cfg', v('h2')],
    ['apps/Deployment/shop/web', v('h9', { h: 'h9' })],
    ['/Secret/shop/new', v('h4')],
  ]);

  it('splits created, changed and deleted by hash, sorted, with counts', () => {
    const d = diffObjectSets(before, after);
    expect(d.created.map((x) => x.key)).toEqual(['/Secret/shop/new']);
    expect(d.deleted.map((x) => x.key)).toEqual(['/Service/shop/old']);
    expect(d.changed).toEqual([
      { key: 'apps/Deployment/shop/web', identity: { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' }, beforeHash: 'h1', afterHash: 'h9', before: { h: 'h1' }, after: { h: 'h9' } },
    ]);
    expect(d.counts).toEqual({ created: 1, changed: 1, deleted: 1, unchanged: 1, before: 3, after: 3 });
  });

  it('adds patches on request and accepts keys that are not identities', () => {
    const d = diffObjectSets(new Map([['x', v('1', { a: 1 })]]), new Map([['x', v('2', { a: 2 })]]), { patches: true });
    expect(d.changed[0]).toMatchObject({ key: 'x', patch: [{ op: 'replace', path: '/a', value: 2 }] });
    expect(d.changed[0]!.identity).toBeUndefined();
  });
});

describe('summarizeChanges', () => {
  const changes: FieldChange[] = [
    { pointer: '/spec/replicas', path: 'spec.replicas', op: 'changed', desired: 3, live: 5, manager: 'kubectl-scale', reason: 'value' },
    { pointer: '/spec/template/spec/containers/0/env/1', path: 'spec.template.spec.containers[web].env[DEBUG]', op: 'added', live: { name: 'DEBUG' }, manager: 'kubectl-edit', reason: 'hand-added' },
    { pointer: '/metadata/labels/team', path: 'metadata.labels.team', op: 'added', live: 'growth', manager: 'kustomize-controller', reason: 'applier-removed' },
    { pointer: '/data/LOG_LEVEL', path: 'data.LOG_LEVEL', op: 'removed', desired: 'info', reason: 'value' },
    { pointer: '/data/ENABLED', path: '', op: 'changed', desired: 'false', live: 'true', reason: 'value' },
  ];

  it('reads like the drift issue asks', () => {
    expect(summarizeChanges(changes.slice(0, 2))).toBe('spec.replicas 3→5 (kubectl-scale); +spec.template.spec.containers[web].env[DEBUG] (kubectl-edit)');
    expect(summarizeChanges(changes)).toBe(
      'spec.replicas 3→5 (kubectl-scale); +spec.template.spec.containers[web].env[DEBUG] (kubectl-edit); ' +
        '+metadata.labels.team (removed from Git, applied by kustomize-controller); -data.LOG_LEVEL; data.ENABLED "false"→"true"',
    );
  });

  it('caps the list', () => {
    expect(summarizeChanges(changes, { max: 2 })).toMatch(/; …and 3 more$/);
    expect(summarizeChanges([])).toBe('');
  });
});
