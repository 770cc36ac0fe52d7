import { describe, expect, it } from 'vitest';
import { namespaceScope } from '../../../api/src/cluster/scope';
import { Backoff } from '../../../api/src/cluster/backoff';
import { parseRetryAfter, statusError, watchStatusError } from '../../../api/src/cluster/kube-client';
import { monthOfPartition, monthStart, nextMonth, partitionName } from '../../../api/src/cluster/partitions';

describe('namespace scope', () => {
  it('is the union of the namespace globs of the environments on the cluster; cluster-scoped objects always count', () => {
    const envs = [
      { cluster: 'prod', namespaces: ['shop-*'] },
      { cluster: 'prod', namespaces: ['payments'] },
      { cluster: 'staging', namespaces: ['*'] },
    ];
    const inScope = namespaceScope('prod', envs);
    expect(['shop-a', 'payments', 'default', '', 'shop'].map(inScope)).toEqual([true, true, false, true, false]);
    expect(namespaceScope('staging', envs)('anything')).toBe(true);
    expect(namespaceScope('lonely', envs)('anything')).toBe(true);
  });
});

describe('backoff', () => {
  it('doubles with jitter up to the cap, honours Retry-After, resets', () => {
    const b = new Backoff(100, 1000, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.next(5000)).toBe(5000);
    b.reset();
    expect(b.next()).toBe(100);
    const low = new Backoff(100, 1000, () => 0);
    expect(low.next()).toBe(50);
    const high = new Backoff(100, 1000, () => 0.999);
    expect(high.next()).toBe(150);
  });
});

describe('API server errors', () => {
  it('reads the Status reason and Retry-After', () => {
    const e = statusError('GET /api/v1/secrets', 403, JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'secrets is forbidden' }));
    expect(e).toMatchObject({ status: 403, reason: 'Forbidden', message: 'GET /api/v1/secrets: 403 secrets is forbidden' });
    expect(statusError('x', 429, 'not json', '2').retryAfterMs).toBe(2000);
    expect(statusError('x', 410, '{}').expired).toBe(true);
    expect(watchStatusError('/api/v1/configmaps', { code: 410, reason: 'Expired', message: 'too old' }).expired).toBe(true);
    expect(watchStatusError('/api/v1/configmaps', { code: 500, message: 'boom' })).toMatchObject({ status: 500, reason: 'InternalError', expired: false });
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000);
  });
});

describe('partition names', () => {
  it('one per UTC month', () => {
    const d = new Date('2026-12-31T23:59:59Z');
    expect(partitionName(monthStart(d))).toBe('live_revisions_y2026m12');
    expect(partitionName(nextMonth(d))).toBe('live_revisions_y2027m01');
    expect(monthOfPartition('live_revisions_y2027m01')!.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(monthOfPartition('live_revisions_default')).toBeNull();
  });
});
