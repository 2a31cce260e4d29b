import KeyvRedis from '@keyv/redis';
import { Logger } from '@nestjs/common';
import { createCache, type Cache } from 'cache-manager';
import { createKeyv as createMemoryKeyv } from 'cacheable';
import { Keyv } from 'keyv';
import type { RedisConfig } from '../config/app-config';
import { deserializeRecord, serializeRecord } from './cached-answer';
import {
  createRedisClient,
  REDIS_CONNECT_TIMEOUT_MS,
  type RedisConnection,
} from '../redis/redis-client';

/** Bounds every Redis call: a dead or slow Redis costs a request this much at most. */
export const CACHE_OPERATION_TIMEOUT_MS = 150;
const MEMORY_ENTRIES = 10_000;

export interface CacheStore {
  cache: Cache;
  /** Whether a call can succeed now; always true for the in-memory store. */
  isReady(): boolean;
  /** Round trip to Redis, every master of a cluster (health checks); resolves at once for memory. */
  ping(): Promise<void>;
  close(): Promise<void>;
  kind: 'redis' | 'memory';
  /** The Redis connection itself, for the shared counters and positions; absent in memory mode. */
  redis?: RedisConnection;
}

/**
 * The cache-manager cache on Redis (`@keyv/redis`), set up to fail open: commands are refused at
 * once while disconnected (no offline queue), connecting and reconnecting are bounded, errors are
 * reported rather than thrown, and closing never waits for a dead server. With no Redis
 * configured, an LRU-bounded in-process store.
 */
export async function openCacheStore(
  redis: RedisConfig | undefined,
  logger: Logger,
): Promise<CacheStore> {
  if (!redis) {
    const cache = createCache({ stores: [createMemoryKeyv({ lruSize: MEMORY_ENTRIES })] });
    return {
      cache,
      kind: 'memory',
      isReady: () => true,
      ping: async () => undefined,
      close: async () => undefined,
    };
  }
  const connection = createRedisClient(redis, { reconnect: true });
  reportConnectionChanges(connection, logger);
  // Boot does not wait for Redis: the app serves from PostgreSQL until it connects.
  await Promise.race([
    connection.connect().catch(() => undefined),
    delay(REDIS_CONNECT_TIMEOUT_MS),
  ]);
  // @keyv/redis speaks each mode's client; it is only called while the connection is ready
  // (SessionCache checks first), so it never tries to connect one itself.
  const store = new KeyvRedis(connection.commands, {
    throwOnConnectError: false,
    throwOnErrors: false,
    connectionTimeout: CACHE_OPERATION_TIMEOUT_MS,
  });
  // Keys are complete as cache-keys.ts builds them (prefix, user, version): Keyv adds no
  // namespace of its own (an explicit `undefined` stops its default "keyv::").
  const cache = createCache({
    stores: [
      new Keyv({
        store,
        namespace: undefined,
        useKeyPrefix: false,
        // Answers are stored as their text and tag, not as JSON again (cached-answer.ts); Keyv's
        // default parser, which revives Buffers and BigInts, took a fifth of a cached read's CPU.
        serialize: serializeRecord,
        deserialize: deserializeRecord,
      }),
    ],
  });
  return {
    cache,
    kind: 'redis',
    redis: connection,
    isReady: () => connection.isReady(),
    ping: async () => {
      if (!connection.isReady()) throw new Error('Redis is not connected');
      await connection.ping();
    },
    close: async () => connection.destroy(),
  };
}

function reportConnectionChanges(connection: RedisConnection, logger: Logger): void {
  let connected = false;
  connection.onConnectionChange((now) => {
    if (now && !connected) logger.log('Redis connected');
    // One line per outage, not one per reconnect attempt; the error text may name the host.
    if (!now && connected)
      logger.warn('Redis connection lost: serving from PostgreSQL until it returns');
    connected = now;
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
