import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Request, Response, NextFunction } from 'express';
import { CONFIG } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;
const WINDOW_MS = 60_000;
/** Probes and the scraper must never be refused. */
const EXEMPT = /^\/(healthz|readyz|metrics)(\/|$)/;

interface Window {
  start: number;
  count: number;
}

/**
 * Per-client-IP fixed one-minute window, in memory (one replica's view; behind
 * several replicas each counts alone). `server.rateLimit.perMinute: 0` turns it off.
 * Refusals are 429 problem+json with Retry-After (seconds to the window's end).
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  /** Requests allowed per IP per minute; 0 = unlimited. Mutable so a bench can lift it. */
  perMinute: number;
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  /** Clock (replaceable in tests). */
  now: () => number = Date.now;

  constructor(@Inject(CONFIG) config: DriftlineConfig) {
    this.perMinute = config.server.rateLimit?.perMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
    this.sweeper = setInterval(() => this.sweep(), WINDOW_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Count one request from `key`; null when allowed, else the seconds to wait. */
  take(key: string): number | null {
    if (this.perMinute <= 0) return null;
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.perMinute) return Math.max(1, Math.ceil((w.start + WINDOW_MS - now) / 1000));
    w.count++;
    return null;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(k);
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (EXEMPT.test(req.path)) return next();
    const wait = this.take(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (wait === null) return next();
    const problem = {
      type: 'https://driftline.dev/problems/rate_limited',
      title: 'Too Many Requests',
      status: 429,
      detail: `more than ${this.perMinute} requests a minute from this address; retry in ${wait} s`,
      code: 'rate_limited',
      instance: req.originalUrl ?? req.url,
      retryAfter: wait,
    };
    res.status(429).setHeader('Retry-After', String(wait));
    res.type('application/problem+json').send(JSON.stringify(problem));
  };
}
