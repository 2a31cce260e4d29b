import {
  BadRequestException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';

/**
 * Refuses query parameters a route does not read, on every route: one whose handler takes the
 * whole query has it validated by its DTO (unknown fields: 400 there); any other route takes no
 * query at all, or only the named parameters it reads. Runs after the guards, which consume the
 * predecessor's `user_id`.
 */
@Injectable()
export class KnownQueryInterceptor implements NestInterceptor {
  private readonly readsByHandler = new WeakMap<object, QueryReads>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const query = context.switchToHttp().getRequest<FastifyRequest>().query;
    const names = query && typeof query === 'object' ? Object.keys(query) : [];
    if (names.length > 0) {
      const reads = this.queryReads(context);
      const unknown = reads === 'all' ? [] : names.filter((name) => !reads.has(name));
      if (unknown.length > 0) {
        throw new BadRequestException(
          unknown
            .slice(0, 10)
            .map((name) => `query parameter ${name.slice(0, 64)} should not exist`),
        );
      }
    }
    return next.handle();
  }

  private queryReads(context: ExecutionContext): QueryReads {
    const handler = context.getHandler();
    let reads = this.readsByHandler.get(handler);
    if (!reads) {
      const args: Record<string, { data?: unknown }> =
        Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {};
      const queryArgs = Object.entries(args)
        .filter(([key]) => key.split(':')[0] === String(RouteParamtypes.QUERY))
        .map(([, arg]) => arg.data);
      reads = queryArgs.some((data) => data === undefined)
        ? 'all'
        : new Set(queryArgs.filter((data): data is string => typeof data === 'string'));
      this.readsByHandler.set(handler, reads);
    }
    return reads;
  }
}

/** The whole query (validated by a DTO), or the names of the parameters a handler reads. */
type QueryReads = 'all' | ReadonlySet<string>;
