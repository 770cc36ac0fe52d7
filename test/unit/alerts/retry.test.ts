import { describe, expect, it } from 'vitest';
import { retryDelayMs, verdictOf } from '../../../api/src/alerts/retry';
import { maskUrl, parseRetryAfter } from '../../../api/src/alerts/sender';

describe('retry policy', () => {
  it('sends on 2xx, retries what may get better, gives up on other 4xx', () => {
    expect(verdictOf({ ok: true, statusCode: 204 })).toBe('sent');
    for (const s of [null, 500, 502, 503, 504, 408, 425, 429]) expect(verdictOf({ ok: false, statusCode: s }), String(s)).toBe('retry');
    for (const s of [400, 401, 403, 404, 410, 413]) expect(verdictOf({ ok: false, statusCode: s }), String(s)).toBe('permanent');
  });

  it('backs off exponentially with equal jitter, capped, never under Retry-After', () => {
    const o = (r: number) => ({ baseMs: 1000, maxMs: 60_000, random: () => r });
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, o(0), null))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, o(0.999999), null))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(20, o(1), null)).toBe(60_000);
    expect(retryDelayMs(1, o(0.5), 30_000)).toBe(30_000);
    expect(retryDelayMs(5, o(0.5), 10)).toBe(12_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-06-01T10:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 01 Jun 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 01 Jun 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('masks a webhook URL to scheme and host', () => {
    expect(maskUrl('https://hooks.slack.com/services/T000/B000/XXXX')).toBe('https://hooks.slack.com/…');
    expect(maskUrl('https://user:pw@example.com:8443/hook?token=1')).toBe('https://example.com:8443/…');
    expect(maskUrl('not a url')).toBe('(invalid URL)');
  });
});
