import { Module } from '@nestjs/common';
import { JwtAuthGuard } from './jwt-auth.guard';
import { StatsReaderGuard } from './stats-reader.guard';
import { TokenVerifier } from './token-verifier';

@Module({
  providers: [TokenVerifier, JwtAuthGuard, StatsReaderGuard],
  exports: [TokenVerifier, JwtAuthGuard, StatsReaderGuard],
})
export class AuthModule {}
