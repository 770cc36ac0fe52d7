import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { CONFIG, RUNTIME } from '../config/config.tokens';
import type { RuntimeInfo } from '../runtime-info';
import type { DriftlineConfig } from '../config/schema';
import { Principal, Role, SESSION_COOKIE } from './principal';
import { TokensService, TOKEN_STATUS_TTL_MS } from './tokens.service';

const CACHE_MAX = 10_000;
const sha256 = (v: string) => createHash('sha256').update(v).digest();

interface Cached {
  principal: Principal;
  checkedAt: number;
}

type Row = { id: string; kind: 'token' | 'oidc'; token_id: string | null; subject: string | null; name: string; role: Role; expires_at: Date; revoked_at: Date | null };

/**
 * Browser sessions: a 256-bit random cookie (HttpOnly, SameSite=Strict, Secure
 * on https) standing for a principal until it expires, is signed out, or the
 * token it came from is revoked. Only the cookie's sha256 is stored.
 */
@Injectable()
export class SessionsService implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new Map<string, Cached>();
  private pruner: NodeJS.Timeout | null = null;
  now: () => number = Date.now;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
    private readonly tokens: TokensService,
  ) {}

  onModuleInit(): void {
    if (!this.runtime.workers) return;
    this.pruner = setInterval(() => void this.prune().catch(() => undefined), 3_600_000);
    this.pruner.unref();
  }

  onModuleDestroy(): void {
    if (this.pruner) clearInterval(this.pruner);
  }

  /** Store a session for `principal` and set its cookie on the response. */
  async issue(res: Response, req: Request, principal: Omit<Principal, 'via' | 'sessionId' | 'expiresAt'> & { expiresAt?: Date | null }): Promise<{ expiresAt: Date }> {
    const ttlEnd = this.now() + this.config.auth.sessionTtl;
    const expiresAt = new Date(principal.expiresAt ? Math.min(principal.expiresAt.getTime(), ttlEnd) : ttlEnd);
    const value = randomBytes(32).toString('base64url');
    await this.ds.query(
      `INSERT INTO auth_sessions (hash, kind, token_id, subject, name, role, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [sha256(value), principal.kind, principal.tokenId ?? null, principal.subject ?? null, principal.name, principal.role, expiresAt],
    );
    res.cookie(SESSION_COOKIE, value, { ...this.cookieOptions(req), expires: expiresAt });
    return { expiresAt };
  }

  /** The principal behind a session cookie value, or null when unknown, expired, signed out or its token revoked. */
  async resolve(value: string): Promise<Principal | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(value)) return null;
    const key = sha256(value).toString('hex');
    const now = this.now();
    const hit = this.cache.get(key);
    let principal: Principal | null = hit && now - hit.checkedAt < TOKEN_STATUS_TTL_MS ? hit.principal : null;
    if (!principal) {
      const rows: Row[] = await this.ds.query(`SELECT id, kind, token_id, subject, name, role, expires_at, revoked_at FROM auth_sessions WHERE hash = $1`, [Buffer.from(key, 'hex')]);
      const r = rows[0];
      if (!r || r.revoked_at) {
        this.cache.delete(key);
        return null;
      }
      principal = {
        kind: r.kind,
        name: r.name,
        role: r.role,
        via: 'session',
        sessionId: String(r.id),
        tokenId: r.token_id ? String(r.token_id) : undefined,
        subject: r.subject ?? undefined,
        expiresAt: r.expires_at,
      };
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(key, { principal, checkedAt: now });
    }
    if (principal.expiresAt && principal.expiresAt.getTime() <= now) return null;
    if (principal.tokenId && !(await this.tokens.isActive(principal.tokenId))) return null;
    return principal;
  }

  /** Sign out: the session stops working at once here, and within 5 s on other replicas. */
  async revoke(res: Response, req: Request, principal: Principal | undefined): Promise<void> {
    if (principal?.sessionId) await this.ds.query(`UPDATE auth_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [principal.sessionId]);
    for (const [k, v] of this.cache) if (v.principal.sessionId === principal?.sessionId) this.cache.delete(k);
    res.clearCookie(SESSION_COOKIE, this.cookieOptions(req));
  }

  /** Drop sessions that ended more than a day ago (they are no use to anyone). */
  async prune(): Promise<number> {
    const [, affected]: [unknown[], number] = await this.ds.query(`DELETE FROM auth_sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'`);
    return affected;
  }

  /** The session cookie's attributes, the same when it is set and when it is cleared (else the browser keeps it). */
  private cookieOptions(req: Request) {
    return { httpOnly: true, sameSite: 'strict' as const, secure: req.secure || (this.config.server.baseUrl ?? '').startsWith('https:'), path: '/' };
  }
}
