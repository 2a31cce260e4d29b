import type { RedisClientType } from '@redis/client';
import type { FastifyReply } from 'fastify';
import { PeerError } from './peer-error';

export type RedisClient = RedisClientType;

const WINDOW_MS = 60_000;

/**
 * The service's per-user fixed window (rate-limit/redis-throttler.storage.ts): one MULTI of
 * INCR, PEXPIRE NX and PTTL per request, on the peer's own key, and the same three
 * `X-RateLimit-*` headers on the answer.
 */
export class RateLimit {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly perMinute: number,
  ) {}

  async admit(userId: number, reply: FastifyReply): Promise<void> {
    const key = `${this.keyPrefix}:u:${userId}:ratelimit:default`;
    const [hits, , ttlMs] = await this.redis
      .multi()
      .incr(key)
      .pExpire(key, WINDOW_MS, 'NX')
      .pTTL(key)
      .exec();
    const secondsLeft = Math.max(1, Math.ceil(Number(ttlMs) / 1000));
    void reply.header('x-ratelimit-limit', this.perMinute);
    void reply.header('x-ratelimit-remaining', Math.max(0, this.perMinute - Number(hits)));
    void reply.header('x-ratelimit-reset', secondsLeft);
    if (Number(hits) > this.perMinute) {
      void reply.header('retry-after', secondsLeft);
      throw new PeerError(429, 'rate limit exceeded: retry after the Retry-After seconds');
    }
  }
}
