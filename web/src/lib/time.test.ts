import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, formatUtc, fromLocalInput, toLocalInput } from './time';

describe('time formatting', () => {
  it('writes durations in at most two units', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12 m');
    expect(formatDuration((2 * 60 + 14) * 60_000)).toBe('2 h 14 m');
    expect(formatDuration(3 * 3_600_000)).toBe('3 h');
    expect(formatDuration((3 * 24 + 4) * 3_600_000 + 59_000)).toBe('3 d 4 h');
  });

  it('says how long ago, or just now', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(formatRelative('2026-06-01T09:46:00Z', now)).toBe('2 h 14 m ago');
    expect(formatRelative('2026-06-01T11:59:55Z', now)).toBe('just now');
    expect(formatRelative('2026-06-01T12:05:00Z', now)).toBe('in 5 m');
  });

  it('gives the exact UTC instant for hover titles', () => {
    expect(formatUtc('2026-06-01T09:46:03.120Z')).toBe('2026-06-01 09:46:03.120 UTC');
  });

  it('round-trips datetime-local values in the browser zone', () => {
    const iso = '2026-06-01T09:46:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('yesterday')).toBeNull();
  });
});
