import { describe, expect, it } from 'vitest';
import {
  AnnouncementView,
  buildMessage,
  buildSection,
  describeTrigger,
  diffLines,
  DriftIntervalView,
  driftPageLink,
  pastGrace,
  planEnvironment,
  ruleFilter,
} from '../../../api/src/alerts/plan';
import { compileRules, nextRun, tickAtOrBefore } from '../../../api/src/alerts/rules';
import { readMessage } from '../../../api/src/alerts/message';

const T = (min: number) => new Date(Date.UTC(2026, 5, 1, 10, min));

function interval(id: number, o: Partial<DriftIntervalView> = {}): DriftIntervalView {
  return {
    intervalId: id,
    objectId: id,
    type: 'modified',
    openedAt: T(0),
    closedAt: null,
    openedBy: { source: 'live', revision: '1', manager: 'kubectl-edit', operation: 'Update' },
    closedBy: null,
    summary: 'image changed',
    changes: [{ path: 'spec.replicas', op: 'changed', reason: 'value', desired: 2, live: 5, manager: 'kubectl-scale' }],
    group: 'apps',
    kind: 'Deployment',
    namespace: 'shop',
    name: `app-${id}`,
    ...o,
  };
}

const announced = (i: DriftIntervalView, first: Date, last = first): AnnouncementView => ({ ...i, firstAnnouncedAt: first, lastAnnouncedAt: last });

describe('planEnvironment', () => {
  const rule = { reminder: 60 * 60_000, notifyResolved: true };

  it('announces what is new, and nothing when nothing changed', () => {
    const a = interval(1);
    expect(planEnvironment('prod', [a], [], rule, T(10))).toMatchObject({ kind: 'drift', new: [a], persisting: [], resolved: [] });
    expect(planEnvironment('prod', [a], [announced(a, T(10))], rule, T(20))).toMatchObject({ kind: null, new: [], persisting: [{ intervalId: 1 }] });
  });

  it('reminds once the reminder interval has passed since the drift was last shown, never without one', () => {
    const a = interval(1);
    const shown = [announced(a, T(0), T(10))];
    expect(planEnvironment('prod', [a], shown, rule, new Date(T(10).getTime() + 59 * 60_000)).kind).toBeNull();
    expect(planEnvironment('prod', [a], shown, rule, new Date(T(10).getTime() + 60 * 60_000)).kind).toBe('reminder');
    expect(planEnvironment('prod', [a], shown, { notifyResolved: true }, T(59) /* any time */).kind).toBeNull();
  });

  it('resolves announced intervals that are no longer eligible, and says so only when asked', () => {
    const a = interval(1);
    const shown = [announced(a, T(0))];
    expect(planEnvironment('prod', [], shown, rule, T(30))).toMatchObject({ kind: 'resolved', resolved: [{ intervalId: 1 }] });
    expect(planEnvironment('prod', [], shown, { ...rule, notifyResolved: false }, T(30))).toMatchObject({ kind: null, resolved: [{ intervalId: 1 }] });
  });

  it('matches announcements by interval identity (object, type, opened at), not row id: a rebuilt interval is not new', () => {
    const a = interval(1);
    const rebuilt = { ...a, intervalId: 999 };
    expect(planEnvironment('prod', [rebuilt], [announced(a, T(0))], rule, T(5))).toMatchObject({ kind: null, new: [] });
    // The same object drifting again later is a new interval: new.
    const again = interval(1, { intervalId: 2, openedAt: T(40) });
    expect(planEnvironment('prod', [again], [announced(a, T(0))], rule, T(45))).toMatchObject({ kind: 'drift', new: [{ intervalId: 2 }], resolved: [{ intervalId: 1 }] });
  });

  it('new drift takes precedence; the message carries persisting and resolved items too', () => {
    const [a, b, c] = [interval(1), interval(2, { kind: 'ConfigMap', group: '' }), interval(3)];
    const p = planEnvironment('prod', [a, b], [announced(b, T(0)), announced(c, T(0))], rule, T(5));
    expect(p.kind).toBe('drift');
    const section = buildSection(p, driftPageLink('https://d.example.com/', 'prod'), true);
    expect(section.counts).toEqual({ new: { total: 1, byKind: { Deployment: 1 } }, persisting: { total: 1, byKind: { ConfigMap: 1 } }, resolved: { total: 1, byKind: { Deployment: 1 } } });
    expect(section.items.map((i) => [i.state, i.name])).toEqual([
      ['new', 'app-1'],
      ['persisting', 'app-2'],
      ['resolved', 'app-3'],
    ]);
    expect(section.link).toBe('https://d.example.com/environments/prod/drift');
    const m = buildMessage({ id: 'x', kind: 'drift', rule: 'r', tick: T(5), generatedAt: T(5), sections: [section] });
    expect(m.title).toBe('Drift in prod: 1 new, 1 persisting, 1 resolved');
    expect(readMessage(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('keeps at most 50 items in a stored message and counts the rest', () => {
    const many = Array.from({ length: 73 }, (_, i) => interval(i + 1));
    const s = buildSection(planEnvironment('prod', many, [], rule, T(5)), null, true);
    expect(s.items).toHaveLength(50);
    expect(s.omitted).toBe(23);
    expect(s.counts.new.total).toBe(73);
  });
});

describe('rule filters and grace', () => {
  it('filters by kind (or group/Kind), namespace glob and drift type; by default only what counts as drift', () => {
    const f = ruleFilter({ kinds: ['deployment', 'networking.k8s.io/Ingress'], namespaces: ['shop*'], driftTypes: [] });
    expect(f(interval(1))).toBe(true);
    expect(f(interval(1, { namespace: 'kube-system' }))).toBe(false);
    expect(f(interval(1, { kind: 'Ingress', group: 'networking.k8s.io' }))).toBe(true);
    expect(f(interval(1, { kind: 'Ingress', group: 'extensions' }))).toBe(false);
    expect(f(interval(1, { type: 'unmanaged' }))).toBe(false);
    expect(ruleFilter({ kinds: [], namespaces: [], driftTypes: ['unmanaged'] })(interval(1, { type: 'unmanaged' }))).toBe(true);
    expect(ruleFilter({ kinds: [], namespaces: [], driftTypes: [] })(interval(1, { namespace: '' }))).toBe(true);
  });

  it('an interval is eligible once it is as old as the grace period', () => {
    expect(pastGrace(interval(1, { openedAt: T(0) }), T(4), 5 * 60_000)).toBe(false);
    expect(pastGrace(interval(1, { openedAt: T(0) }), T(5), 5 * 60_000)).toBe(true);
  });
});

describe('what a message says about an object', () => {
  it('short diff lines: changed, added by hand, removed; values cut', () => {
    expect(
      diffLines([
        { path: 'spec.replicas', op: 'changed', reason: 'value', desired: 2, live: 5, manager: 'kubectl-scale' },
        { path: 'spec.template.spec.containers[web].env[DEBUG]', op: 'added', reason: 'hand-added', live: { name: 'DEBUG', value: '1' }, manager: 'kubectl-edit' },
        { path: 'metadata.labels.team', op: 'removed', reason: 'applier-removed', desired: 'sre' },
        { path: 'data.big', op: 'changed', reason: 'value', desired: 'a'.repeat(100), live: 'b' },
        { path: 'data.more', op: 'changed', reason: 'value', desired: 1, live: 2 },
      ]),
    ).toEqual([
      'spec.replicas: 2 → 5 (by kubectl-scale)',
      '+ spec.template.spec.containers[web].env[DEBUG]: {"name":"DEBUG","value":"1"} (by kubectl-edit)',
      '- metadata.labels.team: was sre',
      `data.big: ${'a'.repeat(59)}… → b`,
      'and 1 more field',
    ]);
  });

  it('who or what caused it', () => {
    expect(describeTrigger({ source: 'live', revision: '9', manager: 'kubectl-edit', operation: 'Update' })).toBe('kubectl-edit (Update)');
    expect(describeTrigger({ source: 'live', revision: '9', manager: null, operation: null })).toBe('an unknown field manager');
    expect(describeTrigger({ source: 'git', commit: '0123456789abcdef', author: 'Jane Doe' })).toBe('commit 01234567 by Jane Doe');
    expect(describeTrigger({ source: 'evaluation' })).toBe('a drift evaluation');
    expect(describeTrigger(null)).toBeNull();
  });
});

describe('schedules', () => {
  const rule = { schedule: '*/15 * * * *', timezone: 'Europe/Berlin' };
  it('names the tick a job belongs to and the next run', () => {
    expect(tickAtOrBefore(rule, new Date('2026-06-01T10:15:00.000Z')).toISOString()).toBe('2026-06-01T10:15:00.000Z');
    expect(tickAtOrBefore(rule, new Date('2026-06-01T10:29:59.999Z')).toISOString()).toBe('2026-06-01T10:15:00.000Z');
    expect(nextRun(rule, new Date('2026-06-01T10:15:00.000Z')).toISOString()).toBe('2026-06-01T10:30:00.000Z');
    // 09:00 in Berlin (summer time) is 07:00 UTC.
    expect(nextRun({ schedule: '0 9 * * *', timezone: 'Europe/Berlin' }, new Date('2026-06-01T10:00:00Z')).toISOString()).toBe('2026-06-02T07:00:00.000Z');
  });

  it('refuses a bad schedule or time zone, naming the key', () => {
    const base = { name: 'r', environments: ['prod'], timezone: 'UTC', grace: 0, notifyResolved: true, digest: false, kinds: [], namespaces: [], driftTypes: [], channels: ['c'], maxAttempts: 3 };
    const channels = [{ name: 'c', type: 'slack' as const, url: 'https://hooks.example.com/x' }];
    expect(() => compileRules({ alerts: [{ ...base, schedule: 'every day' }], channels })).toThrow(/alerts\[0\]\.schedule/);
    expect(() => compileRules({ alerts: [{ ...base, schedule: '* * * * *', timezone: 'Mars/Olympus' }], channels })).toThrow(/alerts\[0\]\.timezone/);
    expect(compileRules({ alerts: [{ ...base, schedule: '* * * * *' }], channels })[0]!.channels).toEqual(channels);
  });
});
