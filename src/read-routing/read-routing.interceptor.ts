import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ClsService } from 'nestjs-cls';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { READ_TARGET } from '../database/transactions';
import { READS_ONLY } from './reads-only.decorator';
import { ReadRouter } from './read-router';

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Read-your-writes on read replicas, for the user a request runs as. A read (GET, or a route
 * marked `@ReadsOnly()`) learns once where it reads (`Transactions.tx` outside a transaction) and
 * runs again on the primary if the replica fails under it; a write records its WAL position once
 * it has succeeded, before it answers.
 *
 * List it on every controller behind `JwtAuthGuard`, after `UserCacheInterceptor`:
 * `@UseInterceptors(UserCacheInterceptor, ReadRoutingInterceptor)`. Inside the cache interceptor,
 * a write's position is recorded before the user's cache version changes, and a read is routed
 * after its cache lookup: a read that sees the new version also sees the write's position, so it
 * can never cache a replica's older answer under the new version. Without POSTGRES_READ_HOSTS it
 * does nothing.
 */
@Injectable()
export class ReadRoutingInterceptor implements NestInterceptor {
  constructor(
    private readonly router: ReadRouter,
    private readonly cls: ClsService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.router.enabled || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const userId = request.user.id;
    const reads =
      READ_METHODS.has(request.method) ||
      this.reflector.get<boolean>(READS_ONLY, context.getHandler()) === true;
    if (!reads) {
      return next
        .handle()
        .pipe(mergeMap((body) => from(this.router.recordWrite(userId).then(() => body))));
    }
    return new Observable((subscriber) => {
      let inner: { unsubscribe(): void } | undefined;
      this.cls.run({ ifNested: 'inherit' }, () => {
        // Both made here, so that the handler runs in this context whichever is subscribed.
        const firstTry = next.handle();
        const onPrimary = next.handle();
        this.router.routeRead(userId).then(
          (route) => {
            this.cls.set(READ_TARGET, route);
            inner = firstTry
              .pipe(
                catchError((error: unknown) =>
                  route.fallBack(error) ? onPrimary : throwError(() => error),
                ),
              )
              .subscribe(subscriber);
          },
          (error: unknown) => subscriber.error(error),
        );
      });
      return () => inner?.unsubscribe();
    });
  }
}
