import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Inject, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError } from '../common/errors';
import { ProblemFilter } from '../common/problem.filter';
import { LOGGER } from '../config/config.tokens';
import { Public } from './roles';
import { OidcService } from './oidc.service';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * These routes are browser navigations: a failed sign-in shows a small page
 * with the reason and a way back to the sign-in page instead of raw JSON.
 * API clients (no text/html in Accept) still get problem+json.
 */
@Catch()
export class OidcErrorPage implements ExceptionFilter {
  private readonly problems: ProblemFilter;
  constructor(@Inject(LOGGER) log: Logger) {
    this.problems = new ProblemFilter(log);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (!(exception instanceof DomainError) || res.headersSent || !(req.headers.accept ?? '').includes('text/html')) return this.problems.catch(exception, host);
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in failed · Driftline</title>
<style>body{font-family:system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f7f8fa;color:#18202b}
main{max-width:32rem;margin:1rem;padding:1.5rem;background:#fff;border:1px solid #dde2e8;border-radius:10px}h1{font-size:1.3rem;margin:0 0 .75rem}
code{color:#5b6675;font-size:.85rem}a{color:#2563eb}</style></head>
<body><main><h1>Sign-in failed</h1><p>${escapeHtml(exception.message)}</p><p><code>${escapeHtml(exception.code)}</code></p><p><a href="/sign-in">Back to sign-in</a></p></main></body></html>`;
    res.status(exception.status).type('html').setHeader('Cache-Control', 'no-store').send(html);
  }
}

@ApiTags('auth')
@Controller('api/v1/auth/oidc')
@UseFilters(OidcErrorPage)
export class OidcController {
  constructor(private readonly oidc: OidcService) {}

  @Public()
  @Get('login')
  @ApiOperation({ summary: 'Start OIDC sign-in: redirects to the identity provider (authorization code flow with PKCE). A browser navigation, not an API call.' })
  @ApiQuery({ name: 'returnTo', required: false, description: 'a path on this server to open after sign-in (anything else becomes /)' })
  @ApiFoundResponse({ description: 'to the identity provider' })
  async login(@Req() req: Request, @Res() res: Response, @Query('returnTo') returnTo?: string): Promise<void> {
    await this.oidc.begin(req, res, returnTo);
  }

  @Public()
  @Get('callback')
  @ApiOperation({ summary: 'Where the identity provider sends the browser back: checks state, nonce and the ID token, maps the role claim, sets the session cookie' })
  @ApiFoundResponse({ description: 'signed in; to the returnTo path' })
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.oidc.complete(req, res);
  }
}
