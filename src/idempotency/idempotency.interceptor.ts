import {
  BadRequestException,
  HttpStatus,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { from, lastValueFrom, map, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { LIMITS } from '../common/limits';
import { IdempotencyService } from './idempotency.service';

const VISIBLE_ASCII = new RegExp(`^[\\x21-\\x7e]{1,${LIMITS.idempotencyKeyLength}}$`);

/**
 * Makes an `@Idempotent()` route safe to retry: with an `Idempotency-Key` header, the handler runs
 * inside the transaction that claims the key and stores the answer; a retry gets the stored
 * answer and status with `Idempotent-Replayed: true`, and the handler does not run.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = idempotencyKeyOf(request.headers['idempotency-key']);
    if (key === undefined) return next.handle();
    const statusCode =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const run = this.idempotency.run(
      {
        userId: request.user.id,
        key,
        method: request.method,
        // With or without its trailing slash, a path is the same route and the same request.
        path: request.url.replace(/\/+(?=\?|$)/, ''),
        body: request.body,
        statusCode,
      },
      () => lastValueFrom(next.handle()),
    );
    return from(run).pipe(
      map((result) => {
        if (result.replayed) {
          const reply = context.switchToHttp().getResponse<FastifyReply>();
          void reply.status(result.statusCode).header('Idempotent-Replayed', 'true');
        }
        return result.body;
      }),
    );
  }
}

/** The header's key, or undefined when absent: 1..255 visible ASCII characters. */
function idempotencyKeyOf(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !VISIBLE_ASCII.test(value)) {
    throw new BadRequestException(
      `Idempotency-Key must be 1 to ${LIMITS.idempotencyKeyLength} visible ASCII characters`,
    );
  }
  return value;
}
