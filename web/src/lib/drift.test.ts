import { describe, expect, it } from 'vitest';
import { describeTrigger, triggerRoute } from './drift';

describe('drift triggers', () => {
  it('names what began a drift', () => {
    expect(describeTrigger({ source: 'live', manager: 'kubectl-edit', operation: 'Update', revision: '339' })).toBe('kubectl-edit (live change, Update)');
    expect(describeTrigger({ source: 'git', commit: '0123456789abcdef', author: 'Ada' })).toBe('commit 0123456 by Ada');
    expect(describeTrigger(null)).toBe('unknown');
  });

  it('links a live trigger to its live change and a Git trigger to its commit', () => {
    expect(triggerRoute('prod', 44, { source: 'live', revision: '339' }, '2026-06-01T12:00:00Z')).toEqual({ path: '/environments/prod/changes/live/339', query: { object: '44', at: '2026-06-01T12:00:00Z' } });
    expect(triggerRoute('prod', 44, { source: 'git', commit: 'abc' }, null)).toEqual({ path: '/commits/abc', query: { environment: 'prod', object: '44' } });
    expect(triggerRoute('prod', 44, { source: 'evaluation' }, null)).toBeNull();
  });
});
