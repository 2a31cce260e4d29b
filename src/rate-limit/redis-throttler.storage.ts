import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type { Counter } from 'prom-client';
import { CACHE_OPERATION_TIMEOUT_MS, type CacheStore } from '../cache/cache-store';
import { withTimeout } from '../common/with-timeout';

/**
 * Fixed-window request counters in Redis, shared by every replica: one INCR (with the window's
 * expiry set on the first hit) per request. When Redis fails, the limiter fails open: the request
 * passes, and `rate_limit_fail_open_total` says so.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly store: CacheStore,
    private readonly keyPrefix: string,
    private readonly failOpen: Counter,
  ) {}

  async increment(key: string, ttlMs: number, limit: number): Promise<ThrottlerStorageRecord> {
    const counted = await this.count(`${this.keyPrefix}:${key}`, ttlMs);
    if (!counted) {
      this.failOpen.inc();
      return {
        totalHits: 0,
        timeToExpire: Math.ceil(ttlMs / 1000),
        isBlocked: false,
        timeToBlockExpire: 0,
      };
    }
    const secondsLeft = Math.max(1, Math.ceil(counted.ttlMs / 1000));
    const isBlocked = counted.hits > limit;
    return {
      totalHits: counted.hits,
      timeToExpire: secondsLeft,
      isBlocked,
      timeToBlockExpire: isBlocked ? secondsLeft : 0,
    };
  }

  private async count(key: string, ttlMs: number): Promise<{ hits: number; ttlMs: number } | null> {
    const redis = this.store.redis;
    if (!redis || !this.store.isReady()) return null;
    try {
      // One key, so one slot: the MULTI works on a cluster as on a single server.
      const replies = await withTimeout(
        redis.commands.multi().incr(key).pExpire(key, ttlMs, 'NX').pTTL(key).exec(),
        CACHE_OPERATION_TIMEOUT_MS,
      );
      return { hits: Number(replies[0]), ttlMs: Number(replies[2]) };
    } catch {
      return null;
    }
  }
}
