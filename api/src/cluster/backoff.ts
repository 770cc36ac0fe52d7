/**
 * Exponential backoff with full jitter around the nominal delay (±50%), capped,
 * honouring a server's Retry-After when it asks for longer.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next try. */
  next(retryAfterMs?: number): number {
    const nominal = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const jittered = Math.round(nominal * (0.5 + this.random()));
    const capped = Math.min(jittered, this.maxMs);
    return retryAfterMs !== undefined ? Math.max(capped, retryAfterMs) : capped;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** A sleep that ends early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
