import { describe, expect, it } from 'vitest';
import { fieldsV1ToPointers, OwnershipIndex, type ManagedFieldsEntry, type PathStep } from '../../../api/src/core/drift';

const body = {
  metadata: { labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' }, finalizers: ['a.example.com/x', 'b'] },
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          {
            name: 'sidecar',
            image: 'envoy',
            ports: [{ containerPort: 9901, protocol: 'TCP' }],
          },
          {
            name: 'web',
            image: 'web:1',
            args: ['--a', '--b'],
            env: [
              { name: 'A', value: '1' },
              { name: 'DEBUG', value: 'true' },
            ],
            ports: [
              { containerPort: 8080, protocol: 'TCP', name: 'http' },
              { containerPort: 8080, protocol: 'UDP', name: 'quic' },
            ],
          },
        ],
      },
    },
  },
};

const fieldsV1 = {
  'f:metadata': {
    'f:labels': { '.': {}, 'f:app': {}, 'f:app.kubernetes.io/part-of': {} },
    'f:finalizers': { '.': {}, 'v:"a.example.com/x"': {} },
  },
  'f:spec': {
    'f:replicas': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': {
            '.': {},
            'f:args': {},
            'f:env': { 'k:{"name":"DEBUG"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
            // keys in another order than the API server writes them: must still resolve
            'f:ports': { 'k:{"protocol":"UDP","containerPort":8080}': { '.': {}, 'f:name': {} } },
          },
          'k:{"name":"gone"}': { '.': {}, 'f:image': {} },
        },
      },
    },
  },
};

describe('fieldsV1ToPointers', () => {
  it('maps f:, k:, v: and . entries onto JSON pointers in the body', () => {
    expect(fieldsV1ToPointers(fieldsV1, body).sort()).toEqual(
      [
        '/metadata/labels',
        '/metadata/labels/app',
        '/metadata/labels/app.kubernetes.io~1part-of',
        '/metadata/finalizers',
        '/metadata/finalizers/0',
        '/spec/replicas',
        '/spec/template/spec/containers/1',
        '/spec/template/spec/containers/1/args',
        '/spec/template/spec/containers/1/env/1',
        '/spec/template/spec/containers/1/env/1/name',
        '/spec/template/spec/containers/1/env/1/value',
        '/spec/template/spec/containers/1/ports/1',
        '/spec/template/spec/containers/1/ports/1/name',
      ].sort(),
    );
  });

  it('leaves out list items the body no longer has, and tolerates junk', () => {
    expect(fieldsV1ToPointers({ 'f:spec': { 'f:x': { 'k:{"name":"nope"}': {} } } }, body)).toEqual([]);
    expect(fieldsV1ToPointers({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{bad json': {} } } } } }, body)).toEqual([]);
    expect(fieldsV1ToPointers(null, body)).toEqual([]);
    expect(fieldsV1ToPointers({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'i:0': { 'f:image': {} } } } } } }, body)).toEqual([
      '/spec/template/spec/containers/0/image',
    ]);
  });
});

describe('OwnershipIndex', () => {
  const entries: ManagedFieldsEntry[] = [
    { manager: 'kustomize-controller', operation: 'Apply', fieldsV1 },
    {
      manager: 'kubectl-edit',
      operation: 'Update',
      fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } } },
    },
    { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
  ];
  const idx = new OwnershipIndex(entries);
  const web = { live: body.spec.template.spec.containers[1], li: 1, list: 'keyed' as const, keys: ['name'] };
  const path = (...steps: PathStep[]): PathStep[] => ['spec', 'template', 'spec', 'containers', ...steps];
  const managers = (ids: number[]): string[] => ids.map((i) => entries[i]!.manager!).sort();

  it('finds the owner of a field inside a keyed item', () => {
    expect(managers(idx.ownersAt(path(web, 'image')))).toEqual(['kubectl-edit']);
    expect(managers(idx.ownersAt(path(web)))).toEqual(['kustomize-controller']);
  });

  it('gives an atomic owner for everything under it', () => {
    const arg = { live: '--b', li: 1, list: undefined, keys: undefined };
    expect(managers(idx.ownersAt(path(web, 'args', arg)))).toEqual(['kustomize-controller']);
  });

  it('matches multi-field keys whatever their order, and set values', () => {
    const quic = { live: body.spec.template.spec.containers[1]!.ports[1], li: 1, list: 'keyed' as const, keys: ['containerPort', 'protocol'] };
    expect(managers(idx.ownersAt(path(web, 'ports', quic, 'name')))).toEqual(['kustomize-controller']);
    const fin = { live: 'a.example.com/x', li: 0, list: 'mergeSet' as const, keys: undefined };
    expect(managers(idx.ownersAt(['metadata', 'finalizers', fin]))).toEqual(['kustomize-controller']);
    const other = { live: 'b', li: 1, list: 'mergeSet' as const, keys: undefined };
    expect(idx.ownersAt(['metadata', 'finalizers', other])).toEqual([]);
  });

  it('collects owners below a path, and skips status-subresource entries', () => {
    expect(managers(idx.ownersUnder(path(web)))).toEqual(['kubectl-edit', 'kustomize-controller']);
    expect(managers(idx.ownersAt(['spec', 'replicas']))).toEqual(['kustomize-controller']);
  });
});
