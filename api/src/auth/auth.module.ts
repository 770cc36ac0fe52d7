import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController, TokensController } from './auth.controller';
import { Authenticator, AuthGuard } from './auth.guard';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';

/** Authentication (tokens, sessions) and the global role guard. */
@Module({
  controllers: [AuthController, TokensController],
  providers: [TokensService, SessionsService, Authenticator, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokensService, SessionsService, Authenticator],
})
export class AuthModule {}
