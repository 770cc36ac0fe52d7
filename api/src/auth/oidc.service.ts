import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  allowInsecureRequests,
  AuthorizationResponseError,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  calculatePKCECodeChallenge,
  ClientError,
  ClientSecretBasic,
  Configuration,
  discovery,
  fetchUserInfo,
  None,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  ResponseBodyError,
} from 'openid-client';
import { DomainError } from '../common/errors';
import { CONFIG, INSTALL_KEY, LOGGER } from '../config/config.tokens';
import type { DriftlineConfig } from '../config/schema';
import { claimValues, displayName, roleFor, safeReturnTo } from './oidc-claims';
import { openPending, OidcPending, sealPending, stateKey } from './oidc-state';
import { readCookie } from './principal';
import { SessionsService } from './sessions.service';

export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
/** Holds the pending sign-in between the redirect to the issuer and the callback; sent to the OIDC routes only. */
export const OIDC_STATE_COOKIE = 'driftline_oidc';
const COOKIE_PATH = '/api/v1/auth/oidc';
/** How long a person has to sign in at the issuer. */
const PENDING_TTL_MS = 10 * 60_000;
/** Issuer metadata is discovered once and kept this long (keys rotate through the JWKS, which is fetched on demand). */
const DISCOVERY_TTL_MS = 60 * 60_000;
const ISSUER_TIMEOUT_S = 10;

type OidcSettings = NonNullable<DriftlineConfig['auth']['oidc']>;

/**
 * OIDC sign-in (authorization code flow with PKCE S256, state and nonce) with
 * openid-client. The pending sign-in travels in an encrypted, short-lived
 * HttpOnly cookie, so any replica can finish it. A successful sign-in becomes
 * an ordinary Driftline session whose role comes from a claim.
 */
@Injectable()
export class OidcService {
  private discovered: { at: number; config: Promise<Configuration> } | null = null;
  private warnedPlainHttp = false;
  private readonly key: Buffer;

  constructor(
    @Inject(CONFIG) private readonly config: DriftlineConfig,
    @Inject(INSTALL_KEY) installKey: Buffer,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly sessions: SessionsService,
  ) {
    this.key = stateKey(installKey);
  }

  /** Send the browser to the issuer's authorization endpoint. */
  async begin(req: Request, res: Response, returnTo: unknown): Promise<void> {
    const o = this.settings();
    const issuer = await this.issuer();
    const pending: OidcPending = {
      state: randomState(),
      nonce: randomNonce(),
      codeVerifier: randomPKCECodeVerifier(),
      redirectUri: this.redirectUri(req, o),
      returnTo: safeReturnTo(returnTo),
      expiresAt: Date.now() + PENDING_TTL_MS,
    };
    const url = buildAuthorizationUrl(issuer, {
      redirect_uri: pending.redirectUri,
      scope: o.scopes.join(' '),
      code_challenge: await calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    // Lax, not Strict: the callback arrives as a top-level navigation from the issuer's site.
    res.cookie(OIDC_STATE_COOKIE, sealPending(this.key, pending), { ...this.cookieOptions(req, pending.redirectUri), maxAge: PENDING_TTL_MS });
    res.redirect(302, url.href);
  }

  /** The issuer sent the browser back: check it, make a session, return to where the person was. */
  async complete(req: Request, res: Response): Promise<void> {
    const o = this.settings();
    const pending = openPending(this.key, readCookie(req, OIDC_STATE_COOKIE));
    res.clearCookie(OIDC_STATE_COOKIE, this.cookieOptions(req, pending?.redirectUri));
    if (!pending) throw new DomainError('auth.oidc_state_invalid', 'this sign-in expired or was started in another browser; start it again', 400);
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    if (query.get('state') !== pending.state) {
      throw new DomainError('auth.oidc_state_mismatch', 'the answer from the identity provider does not belong to the sign-in this browser started; start it again', 400);
    }
    const issuer = await this.issuer();
    const current = new URL(pending.redirectUri);
    current.search = query.toString();
    const tokens = await authorizationCodeGrant(issuer, current, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    }).catch((e: unknown) => Promise.reject(this.failure(e)));
    const idClaims = tokens.claims();
    if (!idClaims) throw new DomainError('auth.oidc_invalid_token', 'the identity provider sent no ID token', 401);
    let claims: Record<string, unknown> = { ...idClaims };
    let values = claimValues(claims, o.roleClaim);
    if (values === undefined && issuer.serverMetadata().userinfo_endpoint && tokens.access_token) {
      const info = await fetchUserInfo(issuer, tokens.access_token, idClaims.sub).catch((e: unknown) => Promise.reject(this.failure(e)));
      claims = { ...info, ...idClaims };
      values = claimValues(info, o.roleClaim);
    }
    const name = displayName(claims, o.nameClaim);
    const role = roleFor(values ?? [], o.roles);
    if (!role) {
      this.log.warn({ subject: idClaims.sub, name, roleClaim: o.roleClaim, claimFound: values !== undefined }, 'OIDC sign-in refused: no role matches');
      throw new DomainError(
        'auth.oidc_no_role',
        `${name} signed in at the identity provider, but no value of the "${o.roleClaim}" claim grants a Driftline role; an admin can add one to auth.oidc.roles`,
        403,
      );
    }
    await this.sessions.issue(res, req, { kind: 'oidc', name, role, subject: idClaims.sub });
    this.log.info({ subject: idClaims.sub, name, role }, 'OIDC sign-in');
    res.redirect(302, pending.returnTo);
  }

  private settings(): OidcSettings {
    const o = this.config.auth.oidc;
    if (!o) throw new DomainError('auth.oidc_off', 'OIDC sign-in is not configured here (auth.oidc in driftline.yaml); sign in with a token', 404);
    return o;
  }

  /** The issuer's metadata (discovered, cached); a 502 naming the issuer when it cannot be reached. */
  private issuer(): Promise<Configuration> {
    const now = Date.now();
    if (this.discovered && now - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered.config;
    const o = this.settings();
    const url = new URL(o.issuer);
    if (url.protocol === 'http:' && !this.warnedPlainHttp) {
      this.warnedPlainHttp = true;
      this.log.warn({ issuer: o.issuer }, 'the OIDC issuer is plain http: codes and tokens cross the network unencrypted');
    }
    const entry = {
      at: now,
      config: discovery(url, o.clientId, o.clientSecret ? { client_secret: o.clientSecret } : undefined, o.clientSecret ? ClientSecretBasic(o.clientSecret) : None(), {
        timeout: ISSUER_TIMEOUT_S,
        execute: url.protocol === 'http:' ? [allowInsecureRequests] : [],
      }),
    };
    this.discovered = entry;
    entry.config.catch((e: unknown) => {
      if (this.discovered === entry) this.discovered = null;
      this.log.warn({ err: e, issuer: o.issuer }, 'OIDC discovery failed');
    });
    return entry.config.catch((e: unknown) => {
      throw new DomainError('auth.oidc_unreachable', `the identity provider ${o.issuer} could not be used (${reason(e)}); try again later or sign in with a token`, 502);
    });
  }

  /** Map openid-client's errors to what a person can act on. */
  private failure(e: unknown): Error {
    if (e instanceof DomainError) return e;
    if (e instanceof AuthorizationResponseError) {
      return new DomainError('auth.oidc_denied', `the identity provider refused the sign-in: ${e.error}${e.error_description ? ` (${e.error_description})` : ''}`, 401);
    }
    if (e instanceof ResponseBodyError) {
      return new DomainError('auth.oidc_failed', `the identity provider refused the sign-in code: ${e.error}${e.error_description ? ` (${e.error_description})` : ''}; start again`, 401);
    }
    if (isNetworkError(e)) return new DomainError('auth.oidc_unreachable', `the identity provider could not be reached (${reason(e)}); try again later`, 502);
    if (e instanceof ClientError) {
      this.log.warn({ err: e, code: e.code }, 'OIDC response failed validation');
      return new DomainError('auth.oidc_invalid_token', `the identity provider's answer failed validation (${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''})`, 401);
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  private redirectUri(req: Request, o: OidcSettings): string {
    if (o.redirectUrl) return o.redirectUrl;
    const base = this.config.server.baseUrl ?? `${req.protocol}://${req.get('host')}`;
    return base.replace(/\/+$/, '') + OIDC_CALLBACK_PATH;
  }

  private cookieOptions(req: Request, redirectUri?: string) {
    const secure = req.secure || (redirectUri ?? this.config.server.baseUrl ?? '').startsWith('https:');
    return { httpOnly: true, sameSite: 'lax' as const, secure, path: COOKIE_PATH };
  }
}

function isNetworkError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  return e instanceof TypeError && e.message === 'fetch failed';
}

function reason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: string; message?: string } | undefined;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${ISSUER_TIMEOUT_S}s`;
  if (cause?.code) return cause.code;
  return cause?.message ?? e.message;
}
