import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Request, Response, NextFunction } from 'express';
import { createHash } from 'node:crypto';
import { readCookie, SESSION_COOKIE } from '../auth/principal';
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
 * Fixed one-minute windows, in memory (one replica's view; behind several
 * replicas each counts alone), one per client IP and one per credential (the
 * Bearer token or session cookie, keyed by its hash — so one token cannot
 * spread its load over many addresses, and one busy user behind a shared
 * address does not starve the others). `perMinute: 0` turns a limit off.
 * Refusals are 429 problem+json with Retry-After (seconds to the window's end).
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  /** Requests allowed per IP per minute; 0 = unlimited. Mutable so a bench can lift it. */
  perMinute: number;
  /** Requests allowed per token or session per minute; 0 = unlimited. */
  perTokenPerMinute: number;
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  /** Clock (replaceable in tests). */
  now: () => number = Date.now;

  constructor(@Inject(CONFIG) config: DriftlineConfig) {
    this.perMinute = config.server.rateLimit?.perMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
    this.perTokenPerMinute = config.server.rateLimit?.perTokenPerMinute ?? this.perMinute;
    this.sweeper = setInterval(() => this.sweep(), WINDOW_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Count one request from `key`; null when allowed, else the seconds to wait. */
  take(key: string, limit = this.perMinute): number | null {
    if (limit <= 0) return null;
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= limit) return Math.max(1, Math.ceil((w.start + WINDOW_MS - now) / 1000));
    w.count++;
    return null;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(k);
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (EXEMPT.test(req.path)) return next();
    const credential = credentialKey(req);
    const ipWait = this.take(`ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`);
    const tokenWait = credential && ipWait === null ? this.take(credential, this.perTokenPerMinute) : null;
    const wait = ipWait ?? tokenWait;
    if (wait === null) return next();
    const who = ipWait !== null ? `from this address (limit ${this.perMinute})` : `with this token (limit ${this.perTokenPerMinute})`;
    const problem = {
      type: 'https://driftline.dev/problems/rate_limited',
      title: 'Too Many Requests',
      status: 429,
      detail: `too many requests a minute ${who}; retry in ${wait} s`,
      code: 'rate_limited',
      instance: req.originalUrl ?? req.url,
      retryAfter: wait,
    };
    res.status(429).setHeader('Retry-After', String(wait));
    res.type('application/problem+json').send(JSON.stringify(problem));
  };
}

/** The request's credential as a rate-limit key (a hash: the limiter never holds a token). */
function credentialKey(req: Request): string | null {
  const value = req.headers.authorization || readCookie(req, SESSION_COOKIE);
  return value ? `cred:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}` : null;
}
