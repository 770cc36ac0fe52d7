import { VERSION } from '../version';
import type { RenderedRequest } from './channels';

/**
 * The one HTTP sender every channel shares: POST the rendered JSON body to the
 * webhook URL with a timeout, and report what happened without ever exposing
 * the URL (webhook URLs carry their credentials in the path).
 */

export interface SendResult {
  ok: boolean;
  /** HTTP status, or null when no response arrived (timeout, refused, reset…). */
  statusCode: number | null;
  latencyMs: number;
  /** What went wrong, URL-free; null on a 2xx. */
  error: string | null;
  /** The receiver's Retry-After, in ms, when it sent one. */
  retryAfterMs: number | null;
}

/** scheme://host/… — what may be shown or logged of a webhook URL. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

const MAX_RETRY_AFTER_MS = 3_600_000;

/** Retry-After as delay-seconds or an HTTP date, in ms from `nowMs` (capped at an hour). */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Math.round(Number(v) * 1000);
  else {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return null;
    ms = t - nowMs;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

function scrub(text: string, url: string): string {
  let out = text;
  for (const s of [url, url.split('?')[0]!]) if (s) out = out.split(s).join(maskUrl(url));
  return out;
}

function describeError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = err?.cause?.code ?? err?.cause?.message;
  return cause ? `${err.message}: ${cause}` : (err?.message ?? String(e));
}

/** POST a rendered message. Never throws; the result says what happened. */
export async function postJson(url: string, request: RenderedRequest, o: { timeoutMs: number; idempotencyKey: string }): Promise<SendResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(o.timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      body: request.body,
      headers: {
        ...request.headers,
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': `Driftline/${VERSION}`,
        'Idempotency-Key': o.idempotencyKey,
      },
      redirect: 'error',
      signal,
    });
    // Read the body within the same deadline (a receiver may send headers and then hang).
    const text = await res.text();
    const latencyMs = Math.round(performance.now() - started);
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    if (res.ok) return { ok: true, statusCode: res.status, latencyMs, error: null, retryAfterMs };
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    return { ok: false, statusCode: res.status, latencyMs, error: scrub(`HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`, url), retryAfterMs };
  } catch (e) {
    return { ok: false, statusCode: null, latencyMs: Math.round(performance.now() - started), error: scrub(describeError(e, o.timeoutMs), url), retryAfterMs: null };
  }
}
