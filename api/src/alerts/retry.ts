import type { SendResult } from './sender';

/** What to do after an attempt: done, try again later, or give up now. */
export type AttemptVerdict = 'sent' | 'retry' | 'permanent';

/**
 * 2xx is sent. No response, 408, 425, 429 and 5xx are worth retrying. Any other
 * 4xx (a deleted webhook's 404, a payload a provider rejects with 400) will not
 * get better by waiting, so the delivery goes dead at once.
 */
export function verdictOf(r: Pick<SendResult, 'ok' | 'statusCode'>): AttemptVerdict {
  if (r.ok) return 'sent';
  const s = r.statusCode;
  if (s === null || s >= 500 || s === 408 || s === 425 || s === 429) return 'retry';
  return 'permanent';
}

/**
 * Delay before the next attempt after `failedAttempts` failures: exponential
 * (base · 2^(n−1), at most max) with equal jitter (half fixed, half random), and
 * never shorter than the receiver's Retry-After.
 */
export function retryDelayMs(failedAttempts: number, o: { baseMs: number; maxMs: number; random: () => number }, retryAfterMs: number | null): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, failedAttempts - 1));
  const jittered = Math.round(exp / 2 + (o.random() * exp) / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}
