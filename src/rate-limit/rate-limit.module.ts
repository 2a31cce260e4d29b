import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { CacheStore } from '../cache/cache-store';
import { CACHE_STORE } from '../cache/session-cache.service';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { METRICS } from '../metrics/metric-names';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { UserThrottlerGuard } from './user-throttler.guard';

const WINDOW_MS = 60_000;

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, CACHE_STORE, getToken(METRICS.rateLimitFailOpen)],
      useFactory: (config: AppConfig, store: CacheStore, failOpen: Counter) => ({
        throttlers: [{ name: 'default', ttl: WINDOW_MS, limit: config.rateLimitPerMinute }],
        errorMessage: 'rate limit exceeded: retry after the Retry-After seconds',
        // Without Redis each process counts alone (development); with it, replicas share counts.
        storage: store.redis
          ? new RedisThrottlerStorage(store, config.cache.keyPrefix, failOpen)
          : undefined,
      }),
    }),
  ],
  providers: [UserThrottlerGuard],
  exports: [ThrottlerModule, UserThrottlerGuard],
})
export class RateLimitModule {}
