import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomBytes } from 'node:crypto';
import type { Counter } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { withTimeout } from '../common/with-timeout';
import { APP_CONFIG } from '../config/config.module';
import { METRICS } from '../metrics/metric-names';
import { CacheFence } from './cache-fence';
import type { CachedAnswer, StoredAnswer } from './cached-answer';
import { cacheKeys, INITIAL_VERSION } from './cache-keys';
import { CACHE_OPERATION_TIMEOUT_MS, type CacheStore } from './cache-store';
import { CircuitBreaker } from './circuit-breaker';

export const CACHE_STORE = Symbol('CACHE_STORE');

export type CacheLookup<T> =
  { hit: true; value: T } | { hit: false; fill(value: T): Promise<void> };

const FAILED = Symbol('failed');
type Outcome<T> = T | typeof FAILED;

/**
 * Per-user cache of the reads a chat frontend repeats. Each entry records the user's version it
 * was read under and is served only while that is still the user's version; a write replaces the
 * version, so every cached answer of that user goes stale in one operation, on every replica. A
 * reader that raced the write stored its answer with the old version, which no read accepts.
 * Every operation is bounded, and a breaker stops calling a failing Redis for a few seconds: the
 * cache can only ever make a request faster. When this replica cannot replace a version, the
 * `CacheFence` tells the other replicas through PostgreSQL before the write answers, so that
 * none serves the old entries.
 */
@Injectable()
export class SessionCache implements OnModuleDestroy {
  private readonly breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 5_000 });
  private readonly ttlMs: number;
  private readonly prefix: string;

  constructor(
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    private readonly fence: CacheFence,
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectMetric(METRICS.cacheHits) private readonly hits: Counter,
    @InjectMetric(METRICS.cacheMisses) private readonly misses: Counter,
    @InjectMetric(METRICS.cacheErrors) private readonly errors: Counter<'operation'>,
  ) {
    this.ttlMs = config.cache.ttlSeconds * 1000;
    this.prefix = config.cache.keyPrefix;
    if (store.kind === 'redis') {
      fence.attach({
        // Through the breaker, so that this probe is also what closes it once Redis is back.
        reachable: async () => (await this.guarded('get', () => store.ping())) !== FAILED,
        bump: async (userId) => (await this.replaceVersion(userId)) !== FAILED,
      });
    }
  }

  async lookup(userId: number, read: string): Promise<CacheLookup<CachedAnswer>> {
    // A write this replica has not seen reach Redis: the entries may be older than it.
    if (!this.fence.mayServe(userId)) return this.miss(async () => undefined);
    // The version and the entry in one round trip (one MGET: one slot, the user's): the entry is
    // served only if it was read under the version the user has now.
    const key = cacheKeys.entry(this.prefix, userId, read);
    const found = await this.guarded('get', () =>
      this.store.cache.mget<string | StoredAnswer>([cacheKeys.version(this.prefix, userId), key]),
    );
    if (found === FAILED) return this.miss(async () => undefined);
    const [current, entry] = found;
    const version = typeof current === 'string' ? current : INITIAL_VERSION;
    if (typeof entry === 'object' && entry !== null && entry.version === version) {
      this.hits.inc();
      return { hit: true, value: { tag: entry.tag, text: entry.text } };
    }
    return this.miss(async (answer: CachedAnswer) => {
      const stored: StoredAnswer = { ...answer, version };
      await this.guarded('set', () => this.store.cache.set(key, stored, this.ttlMs));
    });
  }

  /**
   * Makes every cached answer of the user unreachable on every replica; call after the write has
   * committed, and answer the write after it resolves.
   */
  async invalidateUser(userId: number): Promise<void> {
    if ((await this.replaceVersion(userId)) === FAILED) {
      await this.fence.recordLostInvalidation(userId);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }

  private miss<T>(fill: (value: T) => Promise<void>): CacheLookup<T> {
    this.misses.inc();
    return { hit: false, fill };
  }

  private replaceVersion(userId: number): Promise<Outcome<unknown>> {
    // The version outlives the entries written under it, so an expired version can never
    // resurrect entries older than the last write.
    return this.guarded('set', () =>
      this.store.cache.set(
        cacheKeys.version(this.prefix, userId),
        randomBytes(8).toString('hex'),
        this.ttlMs * 2,
      ),
    );
  }

  private async guarded<T>(operation: 'get' | 'set', call: () => Promise<T>): Promise<Outcome<T>> {
    if (!this.breaker.allows()) return FAILED;
    if (!this.store.isReady()) return this.failed(operation);
    try {
      const outcome = await withTimeout(call(), CACHE_OPERATION_TIMEOUT_MS);
      this.breaker.succeeded();
      return outcome;
    } catch {
      return this.failed(operation);
    }
  }

  private failed(operation: 'get' | 'set'): typeof FAILED {
    this.errors.inc({ operation });
    this.breaker.failed();
    return FAILED;
  }
}
