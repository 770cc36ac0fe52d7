import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, ScryptOptions } from 'node:crypto';
import { DomainError } from '../common/errors';
import { isRole, Role } from './principal';

/** scrypt cost: ~50 ms and 16 MiB per check on a small core; the result is cached per process. */
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };
/** How long a token's role/expiry/revocation is trusted from memory before the database is asked again. */
export const TOKEN_STATUS_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
const TOKEN_RE = /^dl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

function scrypt(secret: string, salt: Buffer, o: { N: number; r: number; p: number; keylen: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 64 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(secret, salt, o.keylen, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash, so they can be raised later. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** The first characters of the token (`dl_<prefix>`), enough to recognise it, useless to use it. */
  prefix: string;
}

export interface CreatedToken extends TokenInfo {
  /** The whole token: shown once, never stored. */
  token: string;
}

interface Status {
  id: string;
  name: string;
  role: Role;
  expiresAt: Date | null;
  revokedAt: Date | null;
  checkedAt: number;
}

type Row = { id: string; name: string; role: string; prefix: string; created_by: string; created_at: Date; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null };
const toInfo = (r: Row): TokenInfo => ({
  id: String(r.id),
  name: r.name,
  role: r.role as Role,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
  prefix: `dl_${r.prefix}`,
});

/**
 * API tokens: `dl_<12 hex prefix>_<43 chars of 256-bit secret>`. Only a scrypt
 * hash of the whole token is stored; the prefix finds the row. A token that
 * verified once is remembered by its sha256 (in memory only), so each request
 * does not pay scrypt; its status (revoked, expired, role) is re-read at most
 * every 5 s, so a revocation reaches every replica within that.
 */
@Injectable()
export class TokensService {
  private readonly verified = new Map<string, string>(); // sha256(token) → token id
  private readonly status = new Map<string, Status>(); // token id → status
  private readonly lastUsedWritten = new Map<string, number>();
  now: () => number = Date.now;

  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async create(o: { name: string; role: string; expiresInMs?: number | null; createdBy: string }): Promise<CreatedToken> {
    const name = o.name.trim();
    if (!name || name.length > 100 || /[\u0000-\u001f]/.test(name)) throw new DomainError('token.bad_name', 'name: expected 1 to 100 printable characters', 400);
    if (!isRole(o.role)) throw new DomainError('token.bad_role', `role: expected viewer, auditor or admin, got "${o.role}"`, 400);
    if (o.expiresInMs != null && !(o.expiresInMs > 0)) throw new DomainError('token.bad_expiry', 'expires: expected a positive duration like 90d', 400);
    const prefix = randomBytes(6).toString('hex');
    const token = `dl_${prefix}_${randomBytes(32).toString('base64url')}`;
    const hash = await hashSecret(token);
    const expiresAt = o.expiresInMs ? new Date(this.now() + o.expiresInMs) : null;
    try {
      const rows: Row[] = await this.ds.query(
        `INSERT INTO api_tokens (name, role, prefix, hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [name, o.role, prefix, hash, o.createdBy, expiresAt],
      );
      return { ...toInfo(rows[0]!), token };
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new DomainError('token.name_taken', `an active token named "${name}" exists; revoke it first or pick another name`, 409);
      throw e;
    }
  }

  async list(o: { all?: boolean } = {}): Promise<TokenInfo[]> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM api_tokens ${o.all ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`);
    return rows.map(toInfo);
  }

  /** Revoke by id or by the name of an active token. Its sessions end with it. */
  async revoke(idOrName: string): Promise<TokenInfo> {
    const byId = /^\d{1,18}$/.test(idOrName);
    // TypeORM answers UPDATE … RETURNING with [rows, affected].
    const [rows]: [Row[], number] = await this.ds.query(
      `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE ${byId ? 'id = $1::bigint' : 'name = $1 AND revoked_at IS NULL'} RETURNING *`,
      [idOrName],
    );
    if (!rows.length) throw new DomainError('token.not_found', `no active token with id or name "${idOrName}"`, 404);
    const info = toInfo(rows[0]!);
    await this.ds.query(`UPDATE auth_sessions SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL`, [info.id]);
    this.status.delete(info.id);
    return info;
  }

  /** The token's identity when it is valid now; null when unknown, wrong, revoked or expired. */
  async verify(token: string): Promise<Status | null> {
    const m = TOKEN_RE.exec(token);
    if (!m) return null;
    const digest = createHash('sha256').update(token).digest('hex');
    let id = this.verified.get(digest);
    if (!id) {
      const rows: { id: string; hash: string }[] = await this.ds.query(`SELECT id, hash FROM api_tokens WHERE prefix = $1`, [m[1]]);
      if (!rows.length || !(await verifySecret(token, rows[0]!.hash))) return null;
      id = String(rows[0]!.id);
      if (this.verified.size >= CACHE_MAX) this.verified.clear();
      this.verified.set(digest, id);
    }
    const s = await this.statusOf(id);
    if (!this.usable(s)) return null;
    this.touch(id);
    return s;
  }

  /** Whether a token (by id) may still be used: sessions issued for it end when it does. */
  async isActive(id: string): Promise<boolean> {
    return this.usable(await this.statusOf(id));
  }

  private usable(s: Status | null): s is Status {
    return !!s && !s.revokedAt && !(s.expiresAt && s.expiresAt.getTime() <= this.now());
  }

  private async statusOf(id: string): Promise<Status | null> {
    const cached = this.status.get(id);
    if (cached && this.now() - cached.checkedAt < TOKEN_STATUS_TTL_MS) return cached;
    const rows: Row[] = await this.ds.query(`SELECT id, name, role, expires_at, revoked_at FROM api_tokens WHERE id = $1`, [id]);
    if (!rows.length) return null;
    const r = rows[0]!;
    const s: Status = { id: String(r.id), name: r.name, role: r.role as Role, expiresAt: r.expires_at, revokedAt: r.revoked_at, checkedAt: this.now() };
    if (this.status.size >= CACHE_MAX) this.status.clear();
    this.status.set(id, s);
    return s;
  }

  /** last_used_at, written at most once a minute per token and never in the request's way. */
  private touch(id: string): void {
    const now = this.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < 60_000) return;
    this.lastUsedWritten.set(id, now);
    this.ds.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [id]).catch(() => this.lastUsedWritten.delete(id));
  }
}
