import { createClient, type RedisClientType } from '@keyv/redis';
import type { RedisConfig } from '../config/app-config';

/** How long connecting may take before a client reports Redis unreachable. */
export const REDIS_CONNECT_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * The one way this service builds a Redis client. It fails fast rather than queueing: commands are
 * refused at once while disconnected (no offline queue) and connecting is bounded. A long-lived
 * client reconnects with a capped backoff; a one-shot check (`reconnect: false`) gives up at once.
 */
export function createRedisClient(
  redis: RedisConfig,
  { reconnect }: { reconnect: boolean },
): RedisClientType {
  return createClient({
    socket: {
      host: redis.host,
      port: redis.port,
      // rediss: the certificate is checked against the system CAs and the host name.
      ...(redis.tls ? { tls: true as const, servername: redis.host } : {}),
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      reconnectStrategy: reconnect
        ? (retries: number) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS)
        : false,
    },
    database: redis.db,
    password: redis.password || undefined,
    disableOfflineQueue: true,
  }) as RedisClientType;
}
