import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { cacheKeys } from '../cache/cache-keys';
import { CACHE_OPERATION_TIMEOUT_MS, type CacheStore } from '../cache/cache-store';
import { CircuitBreaker } from '../cache/circuit-breaker';
import { CACHE_STORE } from '../cache/session-cache.service';
import { withIoTimeout } from '../common/with-timeout';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { fromStoredLsn, parseLsn, toStoredLsn, UNKNOWN_POSITION } from './lsn';
import { ANSWER_VALID_MS } from './read-replicas';

/**
 * Keeps the greater of the stored and the given position (16 hex digits compare as text), and
 * the key for the whole lifetime from now: an older write answering last must not shorten it.
 */
const KEEP_GREATER = `
local stored = redis.call('GET', KEYS[1])
if not stored or stored < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

const FAILED = Symbol('failed');
/** Process memory is the fallback for Redis: bounded, expired entries swept past this size. */
const REMEMBERED_SWEEP_AT = 10_000;

/**
 * Where each user's last write ended in the primary's WAL, for read-your-writes: in Redis, so that
 * every replica of the service knows it (`<prefix>:{u:<id>}:wal`, in the user's slot), and in this
 * process's memory in case Redis fails. A position is kept for POSTGRES_READ_MAX_LAG_MS plus two
 * poll validities: by then every replica still read from has replayed it.
 */
@Injectable()
export class WritePositions {
  private readonly breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 5_000 });
  private readonly remembered = new Map<number, { position: bigint; until: number }>();
  private readonly prefix: string;
  readonly lifetimeMs: number;

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.cache.keyPrefix;
    this.lifetimeMs = config.postgres.readMaxLagMs + 2 * ANSWER_VALID_MS;
  }

  /**
   * Call once a write of the user has committed, before anything tells the user so. A position
   * that cannot be read counts as newer than any replica.
   */
  async record(userId: number): Promise<void> {
    const position = await this.currentPosition();
    this.remember(userId, position);
    const redis = this.store.redis;
    if (!redis) return;
    await this.guarded(() =>
      redis.commands.eval(KEEP_GREATER, {
        keys: [cacheKeys.writePosition(this.prefix, userId)],
        arguments: [toStoredLsn(position), String(this.lifetimeMs)],
      }),
    );
  }

  /**
   * The newest write of the user still remembered: null when none, `UNKNOWN_POSITION` when Redis
   * cannot say (the user's reads then stay on the primary). When this process's memory already
   * holds a write past `newestReplay`, Redis is not asked: no replica could serve the user anyway.
   */
  async lastWrite(userId: number, newestReplay: bigint): Promise<bigint | null> {
    const local = this.recalled(userId);
    if (local !== null && local > newestReplay) return local;
    const redis = this.store.redis;
    // Without Redis (development) there is one process, and its memory is the whole truth.
    if (!redis) return local;
    const stored = await this.guarded(() =>
      redis.commands.get(cacheKeys.writePosition(this.prefix, userId)),
    );
    if (stored === FAILED) return UNKNOWN_POSITION;
    const shared = stored === null ? null : (fromStoredLsn(String(stored)) ?? UNKNOWN_POSITION);
    if (local === null) return shared;
    return shared === null || local > shared ? local : shared;
  }

  private async currentPosition(): Promise<bigint> {
    try {
      // Flushed: every setting but "off" flushes a commit before it returns, and a replica gets
      // only flushed WAL. With "off", the insert position, which is past the commit in any case.
      const [{ position }] = await this.primary.query(
        `SELECT (CASE WHEN current_setting('synchronous_commit') = 'off'
                      THEN pg_current_wal_insert_lsn() ELSE pg_current_wal_flush_lsn() END)::text
                  AS position`,
      );
      return parseLsn(position);
    } catch {
      return UNKNOWN_POSITION;
    }
  }

  private remember(userId: number, position: bigint): void {
    const now = Date.now();
    if (this.remembered.size >= REMEMBERED_SWEEP_AT) {
      for (const [id, entry] of this.remembered) if (entry.until <= now) this.remembered.delete(id);
    }
    const known = this.recalled(userId);
    this.remembered.set(userId, {
      position: known !== null && known > position ? known : position,
      until: now + this.lifetimeMs,
    });
  }

  private recalled(userId: number): bigint | null {
    const entry = this.remembered.get(userId);
    if (!entry) return null;
    if (entry.until > Date.now()) return entry.position;
    this.remembered.delete(userId);
    return null;
  }

  private async guarded<T>(call: () => Promise<T>): Promise<T | typeof FAILED> {
    if (!this.breaker.allows() || !this.store.isReady()) return FAILED;
    try {
      // Giving up sends the read to the primary, the worst place for it when the cause is load:
      // an answer already received while the event loop was busy still counts.
      const outcome = await withIoTimeout(call(), CACHE_OPERATION_TIMEOUT_MS);
      this.breaker.succeeded();
      return outcome;
    } catch {
      this.breaker.failed();
      return FAILED;
    }
  }
}
