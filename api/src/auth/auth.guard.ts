import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ProblemFilter } from '../common/problem.filter';
import { LOGGER } from '../config/config.tokens';
import { Reflector } from '@nestjs/core';
import type { Request, Response, NextFunction } from 'express';
import { DomainError } from '../common/errors';
import { AuthedRequest, bearerOf, Principal, readCookie, Role, roleRank, SESSION_COOKIE } from './principal';
import { PUBLIC_KEY, ROLE_KEY } from './roles';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';

export const authRequired = () =>
  new DomainError('auth.required', 'sign in first: send "Authorization: Bearer <token>" (an admin creates tokens with `driftline token create`), or sign in in the web app', 401);
export const invalidToken = () => new DomainError('auth.invalid_token', 'the token is unknown, revoked or expired', 401);

/** The least role a request needs when its route says nothing: reads need viewer, writes admin. */
export const defaultRole = (method: string): Role => (method === 'GET' || method === 'HEAD' ? 'viewer' : 'admin');

/**
 * Who is asking: the Bearer token when one is sent (a bad one is refused, never
 * ignored in favour of a cookie), else the session cookie. Memoised on the request.
 */
@Injectable()
export class Authenticator {
  private readonly problems: ProblemFilter;

  constructor(
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.problems = new ProblemFilter(logger);
  }

  async authenticate(req: Request): Promise<Principal | null> {
    const r = req as AuthedRequest;
    if (r.principal) return r.principal;
    const bearer = bearerOf(req);
    if (bearer !== null) {
      const s = await this.tokens.verify(bearer);
      if (!s) throw invalidToken();
      return (r.principal = { kind: 'token', name: s.name, role: s.role, via: 'token', tokenId: s.id, expiresAt: s.expiresAt });
    }
    if (req.headers.authorization) throw new DomainError('auth.unsupported_scheme', 'only "Authorization: Bearer <token>" is understood', 401);
    const cookie = readCookie(req, SESSION_COOKIE);
    if (cookie) {
      const p = await this.sessions.resolve(cookie);
      if (p) return (r.principal = p);
    }
    return null;
  }

  /** Express middleware for what Nest's guards do not see (the OpenAPI document and its UI). */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const refuse = (e: unknown) => {
      if (!(e instanceof DomainError)) return next(e);
      res.setHeader('WWW-Authenticate', 'Bearer realm="driftline"');
      this.problems.send(e, req, res);
    };
    this.authenticate(req).then((p) => (p ? next() : refuse(authRequired())), refuse);
  };
}

/**
 * Global guard: every route needs a signed-in principal with at least the
 * route's role (@MinRole, else viewer for reads and admin for writes), except
 * @Public ones. 401 when nobody is signed in, 403 when the role is too small.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: Authenticator,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    let principal: Principal | null;
    try {
      principal = await this.auth.authenticate(req);
    } catch (e) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="driftline", error="invalid_token"');
      throw e;
    }
    if (!principal) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="driftline"');
      throw authRequired();
    }
    const need = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, targets) ?? defaultRole(req.method);
    if (roleRank(principal.role) < roleRank(need)) {
      throw new DomainError('auth.forbidden', `this needs the ${need} role; ${principal.name} is ${principal.role === 'admin' ? 'an' : 'a'} ${principal.role}`, 403, { required: need, role: principal.role });
    }
    return true;
  }
}
