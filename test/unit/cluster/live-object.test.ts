import { describe, expect, it } from 'vitest';
import { changesFor, metaDocumentJson, observeLiveObject } from '../../../api/src/cluster/live-object';
import type { ApiResource } from '../../../api/src/cluster/discovery';

const KEY = Buffer.alloc(32, 1);
const secrets: ApiResource = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, verbs: ['list', 'watch'] };
const deployments: ApiResource = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: ['list', 'watch'] };

const managedFields = [
  { manager: 'kustomize-controller', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-11-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
  { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: '2026-11-02T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} }, subresource: 'status' },
  { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'apps/v1', time: '2026-11-01T11:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': {} } } },
];

describe('observing a live object', () => {
  it('a list item without apiVersion/kind is typed from the resource, so a Secret is redacted (and its last-applied too)', () => {
    const raw = {
      metadata: {
        name: 'db',
        namespace: 'prod',
        uid: 'u1',
        resourceVersion: '42',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Secret', stringData: { password: 'hunter2' } }) },
      },
      data: { password: Buffer.from('hunter2').toString('base64') },
    };
    const o = observeLiveObject(raw, secrets, { key: KEY })!;
    expect(o.identity).toEqual({ group: '', kind: 'Secret', namespace: 'prod', name: 'db' });
    expect(o.bodyJson).not.toContain('hunter2');
    expect(o.bodyJson).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(JSON.parse(o.bodyJson).data.password).toMatch(/^hmac-sha256:/);
    expect(JSON.stringify(o.lastApplied)).not.toContain('hunter2');
    expect(metaDocumentJson(o)).not.toContain('hunter2');
    expect(o).toMatchObject({ uid: 'u1', resourceVersion: '42' });
  });

  it('attributes the latest non-status manager; the body is normalized', () => {
    const raw = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7', generation: 3, managedFields },
      spec: { replicas: 2 },
      status: { replicas: 2 },
    };
    const o = observeLiveObject(raw, deployments, { key: KEY })!;
    expect(o).toMatchObject({ manager: 'kubectl-edit', operation: 'Update' });
    expect(o.changedAt!.toISOString()).toBe('2026-11-01T11:00:00.000Z');
    expect(JSON.parse(o.bodyJson)).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2 } });
    expect(JSON.parse(metaDocumentJson(o))).toMatchObject({ v: 1, lastApplied: null, managedFields: expect.any(Array) });
    // Status and bookkeeping do not move the hash.
    const again = observeLiveObject({ ...raw, metadata: { ...raw.metadata, resourceVersion: '8' }, status: { replicas: 3 } }, deployments, { key: KEY })!;
    expect(again.documentHash).toBe(o.documentHash);
    expect(observeLiveObject({ metadata: {} }, deployments, { key: KEY })).toBeNull();
  });

  it('decides created, configured, nothing, or deleted+created on a new uid', () => {
    expect(changesFor(undefined, { uid: 'a', documentHash: 'h1' })).toEqual(['created']);
    expect(changesFor({ uid: 'a', resourceVersion: '1', documentHash: 'h1' }, { uid: 'a', documentHash: 'h1' })).toEqual([]);
    expect(changesFor({ uid: 'a', resourceVersion: '1', documentHash: 'h1' }, { uid: 'a', documentHash: 'h2' })).toEqual(['configured']);
    expect(changesFor({ uid: 'a', resourceVersion: '1', documentHash: 'h1' }, { uid: 'b', documentHash: 'h1' })).toEqual(['deleted', 'created']);
  });
});
