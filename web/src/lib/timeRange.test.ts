import { describe, expect, it } from 'vitest';
import { around, includesNow, pinRange, rangeToQuery, resolveRange, within, zoomOut } from './timeRange';

const now = Date.parse('2026-06-01T12:00:00Z');

describe('time range presets and URLs', () => {
  it('reads a preset as a window ending now', () => {
    expect(resolveRange({ preset: '15m' }, now)).toEqual({ from: '2026-06-01T11:45:00.000Z', to: '2026-06-01T12:00:00.000Z', preset: '15m' });
    expect(resolveRange({ preset: '7d' }, now).from).toBe('2026-05-25T12:00:00.000Z');
  });

  it('falls back to the default preset on a missing or unknown preset', () => {
    expect(resolveRange({}, now).preset).toBe('24h');
    expect(resolveRange({ preset: '5y' }, now, '1h')).toMatchObject({ preset: '1h', from: '2026-06-01T11:00:00.000Z' });
  });

  it('lets absolute from/to win over a preset, so a pasted incident link shows the same window', () => {
    const r = resolveRange({ preset: '1h', from: '2026-05-30T14:00:00Z', to: '2026-05-30T14:10:00+00:00' }, now);
    expect(r).toEqual({ from: '2026-05-30T14:00:00.000Z', to: '2026-05-30T14:10:00.000Z', preset: null });
    expect(rangeToQuery(r)).toEqual({ from: '2026-05-30T14:00:00.000Z', to: '2026-05-30T14:10:00.000Z' });
  });

  it('ignores a reversed or broken absolute window', () => {
    expect(resolveRange({ from: '2026-05-30T14:10:00Z', to: '2026-05-30T14:00:00Z' }, now).preset).toBe('24h');
    expect(resolveRange({ from: 'noon', to: '2026-05-30T14:00:00Z' }, now).preset).toBe('24h');
    expect(resolveRange({ from: ['2026-05-30T14:00:00Z'], to: ['2026-05-30T14:10:00Z'] }, now).preset).toBeNull();
  });

  it('keeps presets relative in the URL and pins them on request', () => {
    const r = resolveRange({ preset: '1h' }, now);
    expect(rangeToQuery(r)).toEqual({ preset: '1h' });
    expect(rangeToQuery(pinRange(r))).toEqual({ from: '2026-06-01T11:00:00.000Z', to: '2026-06-01T12:00:00.000Z' });
  });

  it('knows whether a window includes now (live updates)', () => {
    expect(includesNow(resolveRange({ preset: '15m' }, now), now + 3_600_000)).toBe(true);
    expect(includesNow({ from: '2026-06-01T11:00:00Z', to: '2026-06-01T11:59:30Z', preset: null }, now)).toBe(true);
    expect(includesNow({ from: '2026-05-30T14:00:00Z', to: '2026-05-30T14:10:00Z', preset: null }, now)).toBe(false);
  });

  it('builds windows around an instant, zooms out and tests containment', () => {
    const r = around('2026-05-30T14:05:00Z', 10 * 60_000);
    expect(r).toEqual({ from: '2026-05-30T14:00:00.000Z', to: '2026-05-30T14:10:00.000Z', preset: null });
    expect(zoomOut(r)).toMatchObject({ from: '2026-05-30T13:55:00.000Z', to: '2026-05-30T14:15:00.000Z' });
    expect(within(r, zoomOut(r))).toBe(true);
    expect(within(zoomOut(r), r)).toBe(false);
  });
});
