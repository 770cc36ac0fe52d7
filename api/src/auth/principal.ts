import type { Request } from 'express';

export const ROLES = ['viewer', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** viewer < auditor < admin: each role may do everything the ones before it may. */
export const roleRank = (r: Role): number => ROLES.indexOf(r);
export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/** Who is making a request: a token (sent as Bearer, or behind a session cookie) or an OIDC sign-in. */
export interface Principal {
  kind: 'token' | 'oidc';
  name: string;
  role: Role;
  /** How this request authenticated. */
  via: 'token' | 'session';
  tokenId?: string;
  subject?: string;
  sessionId?: string;
  /** When this credential stops working (null: never). */
  expiresAt: Date | null;
}

export type AuthedRequest = Request & { principal?: Principal };

export const SESSION_COOKIE = 'driftline_session';

/** The value of one cookie from the Cookie header (no dependency needed for reading one name). */
export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(raw);
    } catch {
      return null;
    }
  }
  return null;
}

/** The bearer credential of a request, if any. */
export function bearerOf(req: Request): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}
