import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { CacheStore } from '../cache/cache-store';
import { CACHE_STORE } from '../cache/session-cache.service';
import { withTimeout } from '../common/with-timeout';

const PROBE_TIMEOUT_MS = 500;

/**
 * Redis is a cache: when it fails the service still answers from PostgreSQL, so it is reported
 * `degraded` (HTTP 200), never `down`. A shared Redis outage must not take every replica out.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    if (this.store.kind === 'memory') return indicator.up({ store: 'memory' });
    const started = performance.now();
    try {
      await withTimeout(this.store.ping(), PROBE_TIMEOUT_MS);
      return indicator.up({ store: 'redis', latency_ms: Math.round(performance.now() - started) });
    } catch {
      return indicator.degraded({
        store: 'redis',
        message: 'Redis is not answering: serving without the cache',
      });
    }
  }
}
