import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What the browser carries between the redirect to the issuer and the callback. */
export interface OidcPending {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The redirect_uri sent to the issuer (the token request must repeat it). */
  redirectUri: string;
  returnTo: string;
  /** Epoch ms after which the callback is refused. */
  expiresAt: number;
}

const VERSION = 'v1';

/** A key for sealing sign-in state, derived from the install key (so it never doubles as the secret-hashing key). */
export function stateKey(installKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', installKey, Buffer.alloc(0), 'driftline oidc sign-in state v1', 32));
}

/**
 * Seal the pending sign-in into a cookie value with AES-256-GCM: the browser
 * cannot read the PKCE verifier or nonce, and any change makes it unreadable.
 */
export function sealPending(key: Buffer, pending: OidcPending): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(VERSION));
  const body = Buffer.concat([cipher.update(JSON.stringify(pending), 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** The pending sign-in in a cookie value, or null when it is missing, altered, from another key, or expired. */
export function openPending(key: Buffer, value: string | null, now = Date.now()): OidcPending | null {
  if (!value) return null;
  const [version, iv, body, tag] = value.split('.');
  if (version !== VERSION || !iv || !body || !tag) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(VERSION));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const p = JSON.parse(Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')) as OidcPending;
    if (typeof p.expiresAt !== 'number' || p.expiresAt <= now) return null;
    return p;
  } catch {
    return null;
  }
}
