import { describe, expect, it } from 'vitest';
import { eventDetailRoute, mergeNewest, windowSlice, type TimelineEvent } from './events';

const ev = (key: string, at: string, extra: Partial<TimelineEvent> = {}): TimelineEvent => ({
  key, at, lane: 'live', objectId: 1, group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web', change: 'configured', actor: 'kubectl-edit', ...extra,
});

describe('timeline events', () => {
  const events = [ev('l5', '2026-06-01T12:05:00Z'), ev('l4', '2026-06-01T12:04:00Z'), ev('l3', '2026-06-01T12:03:00Z'), ev('l2', '2026-06-01T12:02:00Z'), ev('l1', '2026-06-01T12:01:00Z')];

  it('finds the events inside a window by binary search over newest-first events', () => {
    expect(windowSlice(events, Date.parse('2026-06-01T12:02:00Z'), Date.parse('2026-06-01T12:04:00Z'))).toEqual([1, 4]);
    expect(windowSlice(events, Date.parse('2026-06-01T13:00:00Z'), Date.parse('2026-06-01T14:00:00Z'))).toEqual([0, 0]);
    expect(windowSlice([], 0, 1)).toEqual([0, 0]);
  });

  it('merges streamed events once, newest first', () => {
    const merged = mergeNewest(events, [ev('l6', '2026-06-01T12:06:00Z'), ev('l5', '2026-06-01T12:05:00Z')]);
    expect(merged.map((e) => e.key)).toEqual(['l6', 'l5', 'l4', 'l3', 'l2', 'l1']);
    expect(mergeNewest(events, [ev('l5', '2026-06-01T12:05:00Z')])).toBe(events);
  });

  it('links each lane to the page that explains it', () => {
    expect(eventDetailRoute('prod', ev('l9', '2026-06-01T12:00:00Z', { revisionId: 9, objectId: 4 }))).toEqual({ path: '/environments/prod/changes/live/9', query: { object: '4', at: '2026-06-01T12:00:00Z' } });
    expect(eventDetailRoute('prod', ev('g1', '2026-06-01T12:00:00Z', { lane: 'git', commit: { sha: 'abc', subject: 's', pullRequest: null, authorEmail: 'a@x' } })).path).toBe('/commits/abc');
    expect(eventDetailRoute('prod', ev('o1', '2026-06-01T12:00:00Z', { lane: 'drift', objectId: 7 }))).toEqual({ path: '/objects/7', query: { environment: 'prod' } });
  });
});
