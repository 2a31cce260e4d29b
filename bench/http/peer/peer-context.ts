import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import type { CachedAnswer } from '../../../src/cache/cached-answer';
import type { RateLimit, RedisClient } from './rate-limit';
import type { PeerUser, TokenCheck } from './token-check';

/** What every route of the peer works with, made once by server.ts. */
export interface PeerContext {
  pool: Pool;
  redis: RedisClient;
  tokens: TokenCheck;
  rateLimit: RateLimit;
  /** Before every Redis key of the peer, so that it never shares a key with the service. */
  keyPrefix: string;
  cacheTtlMs: number;
}

/** The service's guards in its order: the token, then the user's rate-limit round trip. */
export async function admit(
  context: PeerContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<PeerUser> {
  const user = await context.tokens.userOf(request.headers.authorization);
  await context.rateLimit.admit(user.id, reply);
  return user;
}

/**
 * A read's JSON text as the service's cache interceptor sends every answer of a cached route,
 * hit or miss: with its strong `ETag` and whether the cache answered.
 */
export function sendRead(
  reply: FastifyReply,
  { tag, text }: CachedAnswer,
  cache: 'HIT' | 'MISS',
): FastifyReply {
  return reply
    .header('x-cache', cache)
    .header('etag', tag)
    .header('content-type', 'application/json; charset=utf-8')
    .send(text);
}
