import { Module } from '@nestjs/common';
import { BearerAuthenticator } from './bearer-authenticator';
import { JwtAuthGuard } from './jwt-auth.guard';
import { StatsReaderGuard } from './stats-reader.guard';
import { TokenVerifier } from './token-verifier';

@Module({
  providers: [TokenVerifier, BearerAuthenticator, JwtAuthGuard, StatsReaderGuard],
  exports: [TokenVerifier, BearerAuthenticator, JwtAuthGuard, StatsReaderGuard],
})
export class AuthModule {}
