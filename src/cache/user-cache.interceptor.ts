import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { from, map, mergeMap, of, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import {
  CACHE_STORABLE,
  CACHED_READ,
  INVALIDATES_CACHE,
  type InvalidatesCacheOptions,
  type ReadKey,
} from './cached-read.decorator';
import { cachedAnswer, type CachedAnswer } from './cached-answer';
import { matchesIfNoneMatch } from './entity-tag';
import { SessionCache } from './session-cache.service';

/**
 * Serves `@CachedRead` routes from the caller's own cache entries and fills them on a miss;
 * after a successful `@InvalidatesCache` route (its transaction committed), drops the caller's
 * entries. Runs after the auth guard, so the user is always known; errors are never cached.
 * Every answer of a cached read is sent as JSON text with a strong `ETag` (a digest of that
 * text), and `If-None-Match` holding it is answered 304 without a body: on a hit without touching
 * PostgreSQL, as the tag is computed from the cached text.
 */
@Injectable()
export class UserCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: SessionCache,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const handler = context.getHandler();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const invalidates = this.reflector.get<InvalidatesCacheOptions | undefined>(
      INVALIDATES_CACHE,
      handler,
    );
    if (invalidates && !invalidates.unless?.(request)) {
      return next
        .handle()
        .pipe(
          mergeMap((body) => from(this.cache.invalidateUser(request.user.id).then(() => body))),
        );
    }
    const readKey = this.reflector.get<ReadKey | undefined>(CACHED_READ, handler);
    if (!readKey) return next.handle();
    const read = readKey(request);
    if (!read) {
      void reply.header('X-Cache', 'MISS');
      return next
        .handle()
        .pipe(map((body) => answer(request, reply, cachedAnswer(JSON.stringify(body)))));
    }
    // Answers are cached as the JSON text sent, with its tag, so a hit is written out without
    // parsing, serializing or hashing anything.
    const lookup = await this.cache.lookup(request.user.id, read);
    if (lookup.hit) {
      void reply.header('X-Cache', 'HIT');
      return of(answer(request, reply, lookup.value));
    }
    void reply.header('X-Cache', 'MISS');
    const storable =
      this.reflector.get<((body: unknown) => boolean) | undefined>(CACHE_STORABLE, handler) ??
      (() => true);
    return next.handle().pipe(
      mergeMap(async (body) => {
        const computed = cachedAnswer(JSON.stringify(body));
        if (storable(body)) await lookup.fill(computed);
        return answer(request, reply, computed);
      }),
    );
  }
}

/** The text to send, tagged; empty with 304 when the client already holds that tag. */
function answer(
  request: AuthenticatedRequest,
  reply: FastifyReply,
  { tag, text }: CachedAnswer,
): string {
  void reply.header('ETag', tag);
  if (matchesIfNoneMatch(request.headers['if-none-match'], tag)) {
    void reply.status(304);
    return '';
  }
  void reply.header('Content-Type', 'application/json; charset=utf-8');
  return text;
}
