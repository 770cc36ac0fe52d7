import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ZodPipe } from '../common/zod';
import { CONFIG } from '../config/config.tokens';
import { DriftlineConfig, durationText } from '../config/schema';
import { AuthedRequest, Principal, ROLES } from './principal';
import { MinRole, Public } from './roles';
import { invalidToken } from './auth.guard';
import { SessionsService } from './sessions.service';
import { TokenInfo, TokensService } from './tokens.service';
import { AuthConfigDto, CreatedTokenDto, CreateTokenBodyDto, SignedInDto, SignInBodyDto, TokenDto } from './auth.dto';

const signInBody = z.strictObject({ token: z.string().min(1).max(200) });
const createBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  expires: z.string().max(20).pipe(durationText).optional(),
});
const listQuery = z.strictObject({ all: z.enum(['true', 'false']).optional() });

export const principalDto = (p: Principal): SignedInDto => ({ name: p.name, role: p.role, via: p.via, kind: p.kind, expiresAt: p.expiresAt?.toISOString() ?? null });
const tokenDto = (t: TokenInfo): TokenDto => ({
  ...t,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
  ) {}

  @Public()
  @Get('config')
  @ApiOperation({ summary: 'How one may sign in here (always with a token; with OIDC when configured). Needs no credential.' })
  @ApiOkResponse({ type: AuthConfigDto })
  authConfig(): AuthConfigDto {
    return { oidc: this.config.auth.oidc ? { loginUrl: '/api/v1/auth/oidc/login' } : null };
  }

  @Public()
  @Post('session')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign in with an API token: sets an HttpOnly, SameSite=Strict session cookie (the browser never keeps the token)' })
  @ApiBody({ type: SignInBodyDto })
  @ApiNoContentResponse({ description: 'signed in; the cookie is set' })
  async signIn(@Body(new ZodPipe(signInBody)) body: z.output<typeof signInBody>, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const s = await this.tokens.verify(body.token);
    if (!s) throw invalidToken();
    await this.sessions.issue(res, req, { kind: 'token', name: s.name, role: s.role, tokenId: s.id, expiresAt: s.expiresAt });
  }

  @Delete('session')
  @MinRole('viewer')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: ends the session and clears its cookie' })
  @ApiNoContentResponse()
  async signOut(@Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.revoke(res, req, req.principal);
  }

  @Get('me')
  @ApiOperation({ summary: 'Who is signed in, with which role, until when' })
  @ApiOkResponse({ type: SignedInDto })
  me(@Req() req: AuthedRequest): SignedInDto {
    return principalDto(req.principal!);
  }
}

@ApiTags('auth')
@Controller('api/v1/tokens')
@MinRole('admin')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @ApiOperation({ summary: 'API tokens (active ones; all=true adds revoked ones). Admin only. Never shows a token itself.' })
  @ApiQuery({ name: 'all', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: [TokenDto] })
  async list(@Query(new ZodPipe(listQuery)) q: z.output<typeof listQuery>): Promise<TokenDto[]> {
    return (await this.tokens.list({ all: q.all === 'true' })).map(tokenDto);
  }

  @Post()
  @ApiOperation({ summary: 'Create an API token; the answer holds the token, shown this once. Admin only.' })
  @ApiBody({ type: CreateTokenBodyDto })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  async create(@Body(new ZodPipe(createBody)) body: z.output<typeof createBody>, @Req() req: AuthedRequest): Promise<CreatedTokenDto> {
    const t = await this.tokens.create({ name: body.name, role: body.role, expiresInMs: body.expires ?? null, createdBy: `api:${req.principal!.name}` });
    return { ...tokenDto(t), token: t.token };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a token (by id or active name); its browser sessions end too. Admin only.' })
  @ApiOkResponse({ type: TokenDto })
  async revoke(@Param('id', new ZodPipe(z.string().min(1).max(100))) id: string): Promise<TokenDto> {
    return tokenDto(await this.tokens.revoke(id));
  }
}
