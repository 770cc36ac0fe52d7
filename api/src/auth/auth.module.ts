import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController, TokensController } from './auth.controller';
import { Authenticator, AuthGuard } from './auth.guard';
import { OidcController } from './oidc.controller';
import { OidcService } from './oidc.service';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';

/** Authentication (tokens, sessions, optional OIDC sign-in) and the global role guard. */
@Module({
  controllers: [AuthController, TokensController, OidcController],
  providers: [TokensService, SessionsService, OidcService, Authenticator, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokensService, SessionsService, Authenticator],
})
export class AuthModule {}
