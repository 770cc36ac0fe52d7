import { describe, expect, it } from 'vitest';
import { redactObject } from '../../../api/src/core/redact';
import {
  attributeManager,
  normalizeLiveObject,
  type ManagedFieldsEntry,
} from '../../../api/src/core/normalize-live';

const applied = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { replicas: 2 },
};

/** A Deployment as the API server returns it after Flux applied it and someone ran `kubectl edit`. */
function liveDeployment(managedFields: ManagedFieldsEntry[] = realisticManagedFields()) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: '6f1c1d0e-2a43-4b7e-9d51-0c1f3f1d2e4a',
      resourceVersion: '482913',
      generation: 7,
      creationTimestamp: '2026-03-01T09:00:00Z',
      selfLink: '/apis/apps/v1/namespaces/shop/deployments/web',
      labels: { app: 'web', 'kustomize.toolkit.fluxcd.io/name': 'apps' },
      annotations: {
        'deployment.kubernetes.io/revision': '5',
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) + '\n',
      },
      managedFields,
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
    status: { replicas: 3, readyReplicas: 3, observedGeneration: 7 },
  };
}

function realisticManagedFields(): ManagedFieldsEntry[] {
  return [
    {
      manager: 'kustomize-controller',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2026-03-02T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {}, 'f:kustomize.toolkit.fluxcd.io/name': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
        },
      },
    },
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-03-02T10:05:01Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } } },
    },
    {
      manager: 'kubectl-edit',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-03-02T10:05:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    },
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-03-02T10:05:30Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:readyReplicas': {}, 'f:replicas': {}, 'f:observedGeneration': {} } },
      subresource: 'status',
    },
  ];
}

describe('normalizeLiveObject', () => {
  it('strips what the server maintains and returns it separately', () => {
    const live = liveDeployment();
    const n = normalizeLiveObject(live);
    expect(n.body).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', 'kustomize.toolkit.fluxcd.io/name': 'apps' } },
      spec: live.spec,
    });
    expect(n.uid).toBe('6f1c1d0e-2a43-4b7e-9d51-0c1f3f1d2e4a');
    expect(n.resourceVersion).toBe('482913');
    expect(n.generation).toBe(7);
    expect(n.lastApplied).toEqual(applied);
    expect(n.managedFields).toHaveLength(4);
  });

  it('does not modify the object it was given', () => {
    const live = liveDeployment();
    const before = JSON.stringify(live);
    normalizeLiveObject(live);
    expect(JSON.stringify(live)).toBe(before);
  });

  it('keeps other annotations and labels, drops maps left empty', () => {
    const live = liveDeployment();
    (live.metadata.annotations as Record<string, string>)['example.com/owner'] = 'team-shop';
    live.metadata.labels = {} as typeof live.metadata.labels;
    const n = normalizeLiveObject(live);
    expect((n.body.metadata as Record<string, unknown>).annotations).toEqual({ 'example.com/owner': 'team-shop' });
    expect(n.body.metadata).not.toHaveProperty('labels');
  });

  it('two snapshots that differ only in server bookkeeping normalize to the same body', () => {
    const a = liveDeployment();
    const b = liveDeployment();
    b.metadata.resourceVersion = '999999';
    b.metadata.generation = 8;
    b.metadata.annotations['deployment.kubernetes.io/revision'] = '6';
    b.status.readyReplicas = 1;
    expect(normalizeLiveObject(b).body).toEqual(normalizeLiveObject(a).body);
  });

  it('redacting the raw Secret first leaves no plaintext in the body or in lastApplied', () => {
    const applied = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'MARKER-live-pw' } };
    const raw = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'db',
        uid: 'u1',
        resourceVersion: '1',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) },
      },
      data: { password: Buffer.from('MARKER-live-pw').toString('base64') },
    };
    const n = normalizeLiveObject(redactObject(raw, { key: 'k' }));
    expect(JSON.stringify(n)).not.toContain('MARKER-live-pw');
    expect(JSON.stringify(n)).not.toContain(Buffer.from('MARKER-live-pw').toString('base64'));
    expect((n.lastApplied as { data: { password: string } }).data.password).toBe((n.body.data as { password: string }).password);
  });

  it('ignores a last-applied annotation that is not JSON', () => {
    const live = liveDeployment();
    live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = '{broken';
    const n = normalizeLiveObject(live);
    expect(n.lastApplied).toBeUndefined();
    expect(n.body.metadata).not.toHaveProperty('annotations');
  });
});

describe('attributeManager', () => {
  it('names the human who edited the spec, not the controller that bumped the revision or status afterwards', () => {
    expect(attributeManager(realisticManagedFields())).toEqual({
      manager: 'kubectl-edit',
      operation: 'Update',
      time: '2026-03-02T10:05:00Z',
    });
  });

  it('names the GitOps applier when nobody else touched the object', () => {
    const fields = realisticManagedFields().filter((e) => e.manager !== 'kubectl-edit');
    expect(attributeManager(fields)).toEqual({ manager: 'kustomize-controller', operation: 'Apply', time: '2026-03-02T10:00:00Z' });
  });

  it('ignores status-only entries, also from servers that predate the subresource field', () => {
    const statusOnly: ManagedFieldsEntry[] = [
      { manager: 'kube-controller-manager', operation: 'Update', time: '2026-03-02T10:00:00Z', fieldsV1: { 'f:status': { 'f:replicas': {} } } },
      { manager: 'kube-controller-manager', operation: 'Update', time: '2026-03-02T11:00:00Z', subresource: 'status', fieldsV1: { 'f:spec': {} } },
    ];
    expect(attributeManager(statusOnly)).toBeNull();
    expect(attributeManager([])).toBeNull();
    expect(attributeManager(undefined)).toBeNull();
  });

  it('breaks a tie on time by order: the later entry wins', () => {
    const tie: ManagedFieldsEntry[] = [
      { manager: 'kustomize-controller', operation: 'Apply', time: '2026-03-02T10:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'kubectl-patch', operation: 'Update', time: '2026-03-02T10:00:00Z', fieldsV1: { 'f:spec': { 'f:paused': {} } } },
    ];
    expect(attributeManager(tie)?.manager).toBe('kubectl-patch');
  });

  it('counts a change to any other annotation, even next to the revision annotation', () => {
    const annotate: ManagedFieldsEntry[] = [
      ...realisticManagedFields(),
      {
        manager: 'kubectl-annotate',
        operation: 'Update',
        time: '2026-03-02T12:00:00Z',
        fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {}, 'f:example.com/owner': {} } } },
      },
    ];
    expect(attributeManager(annotate)?.manager).toBe('kubectl-annotate');
  });
});
