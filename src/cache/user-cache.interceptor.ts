import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { from, mergeMap, of, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { CACHED_READ, INVALIDATES_CACHE, type ReadKey } from './cached-read.decorator';
import { SessionCache } from './session-cache.service';

/**
 * Serves `@CachedRead` routes from the caller's own cache entries and fills them on a miss;
 * after a successful `@InvalidatesCache` route (its transaction committed), drops the caller's
 * entries. Runs after the auth guard, so the user is always known; errors are never cached.
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
    if (this.reflector.get<boolean>(INVALIDATES_CACHE, handler)) {
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
      return next.handle();
    }
    // Answers are cached as the JSON text sent, so a hit is written out without parsing or
    // serializing anything.
    const lookup = await this.cache.lookup<unknown>(request.user.id, read);
    if (lookup.hit) {
      void reply.header('X-Cache', 'HIT');
      // An entry written by an older release during a rolling deploy may still be an object.
      if (typeof lookup.value === 'string')
        void reply.header('Content-Type', 'application/json; charset=utf-8');
      return of(lookup.value);
    }
    void reply.header('X-Cache', 'MISS');
    return next
      .handle()
      .pipe(mergeMap((body) => from(lookup.fill(JSON.stringify(body)).then(() => body))));
  }
}
