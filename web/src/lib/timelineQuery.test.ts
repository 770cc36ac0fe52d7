import { describe, expect, it } from 'vitest';
import { activeFilterCount, filtersToQuery, parseFilters } from './timelineQuery';

describe('timeline filters in the URL', () => {
  it('round-trips every filter', () => {
    const q = { kind: 'Deployment', namespace: 'shop-prod', name: 'checkout', author: 'ada', manager: 'kubectl-edit', change: 'configured', lanes: 'git,live' };
    expect(filtersToQuery(parseFilters(q))).toEqual(q);
    expect(activeFilterCount(parseFilters(q))).toBe(7);
  });

  it('leaves defaults out of the URL and drops values it does not know', () => {
    const f = parseFilters({ change: 'exploded', lanes: 'drift,bogus,git', kind: ['Service', 'Pod'], name: '  web  ' });
    expect(f).toMatchObject({ change: '', lanes: ['git', 'drift'], kind: 'Service', name: 'web' });
    expect(filtersToQuery(parseFilters({ lanes: 'live,git,drift' }))).toEqual({});
    expect(parseFilters({ lanes: 'nothing' }).lanes).toEqual(['git', 'live', 'drift']);
  });
});
