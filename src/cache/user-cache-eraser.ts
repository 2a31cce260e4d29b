import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { cacheKeys } from './cache-keys';
import type { CacheStore } from './cache-store';
import { CACHE_STORE, SessionCache } from './session-cache.service';

/**
 * Deletes everything Redis keeps for a user (an erasure): found with SCAN MATCH on the user's
 * key prefix (on every master of a cluster), never KEYS, and unlinked batch by batch. In memory mode (one process, nothing
 * shared) the user's version is replaced, which makes every entry unreachable until it is evicted.
 */
@Injectable()
export class UserCacheEraser {
  private readonly prefix: string;

  constructor(
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly cache: SessionCache,
  ) {
    this.prefix = config.cache.keyPrefix;
  }

  /** How many keys it deleted. Redis unreachable: 503, so that the caller sends it again. */
  async erase(userId: number): Promise<number> {
    const client = this.store.redis;
    if (!client) {
      await this.cache.invalidateUser(userId);
      return 0;
    }
    let erased = 0;
    try {
      if (!this.store.isReady()) throw new Error('Redis is not connected');
      // One user's keys share a slot (cache-keys.ts): each batch unlinks on one node.
      for await (const keys of client.scan(cacheKeys.everythingOf(this.prefix, userId))) {
        if (keys.length > 0) erased += await client.commands.unlink(keys);
      }
    } catch {
      throw new ServiceUnavailableException(
        "the user's data was erased from PostgreSQL but Redis could not be cleared: send the erasure again",
      );
    }
    return erased;
  }
}
