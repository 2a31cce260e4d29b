import { createClient, type RedisClientType } from '@redis/client';
import fastify from 'fastify';
import { Pool } from 'pg';
import { registerAppendMessage } from './append-message';
import { registerConversationList } from './list-conversations';
import { registerMessagePage } from './message-page';
import type { PeerContext } from './peer-context';
import { RateLimit } from './rate-limit';
import { TokenCheck } from './token-check';

/**
 * The peer of the HTTP benchmark: the benchmarked routes hand-written on bare Fastify, pg and
 * jose, doing the work the service does for them and no more, in a process of its own so that
 * its resident set size can be read beside the service's. Started by start-peer.ts.
 */
async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (value === undefined) throw new Error(`${name} is not set`);
    return value;
  };
  const pool = new Pool({
    host: env('POSTGRES_HOST'),
    port: Number(env('POSTGRES_PORT')),
    user: env('POSTGRES_USER'),
    password: env('POSTGRES_PASSWORD'),
    database: env('POSTGRES_DB'),
    max: Number(env('POSTGRES_POOL_MAX')),
  });
  // The default client type, as the service's (redis/redis-client.ts): RESP2, no modules.
  const redis = createClient({ url: env('REDIS_URL') }) as RedisClientType;
  await redis.connect();
  const keyPrefix = env('PEER_KEY_PREFIX');
  const context: PeerContext = {
    pool,
    redis,
    tokens: new TokenCheck(env('AUTH_JWT_SECRET')),
    rateLimit: new RateLimit(redis, keyPrefix, Number(env('RATE_LIMIT_PER_MINUTE'))),
    keyPrefix,
    cacheTtlMs: Number(env('CACHE_TTL_SECONDS')) * 1000,
  };

  const app = fastify({ logger: false });
  app.get('/health/ready', async () => ({ status: 'ok' }));
  registerAppendMessage(app, context);
  registerMessagePage(app, context);
  registerConversationList(app, context);
  await app.listen({ host: '127.0.0.1', port: Number(env('PORT')) });

  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      await pool.end();
      redis.destroy();
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
