import {
  Catch,
  HttpException,
  HttpStatus,
  Inject,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { poolTimeouts } from '../database/data-source-options';
import { mapDatabaseError } from '../database/database-errors';
import { RetryLaterException } from './retry-later.exception';

/**
 * The one place errors become answers, in NestJS's `{statusCode, error, message}` shape: HTTP
 * exceptions as thrown, database faults as 503/409/400 with fixed messages, anything else as a
 * bare 500. Details go to the log, never to the caller.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly retryAfterSeconds: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { connectionTimeoutMs } = poolTimeouts(config.postgres.statementTimeoutMs);
    this.retryAfterSeconds = String(Math.max(1, Math.ceil(connectionTimeoutMs / 1000)));
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // The request's own logger: its lines carry the request id.
    const log = host.switchToHttp().getRequest<FastifyRequest>().log;
    if (exception instanceof HttpException) {
      if (exception instanceof RetryLaterException) {
        void reply.header('Retry-After', String(exception.retryAfterSeconds));
      }
      const body = exception.getResponse();
      void reply
        .status(exception.getStatus())
        .send(typeof body === 'string' ? errorBody(exception.getStatus(), body) : body);
      return;
    }
    const mapped = mapDatabaseError(exception);
    if (mapped) {
      log.warn({ code: mapped.code, status: mapped.status }, 'database error');
      if (mapped.transient) void reply.header('Retry-After', this.retryAfterSeconds);
      void reply.status(mapped.status).send(errorBody(mapped.status, mapped.message));
      return;
    }
    const status = fastifyStatus(exception);
    if (status) {
      void reply.status(status).send(errorBody(status, (exception as Error).message));
      return;
    }
    log.error({ err: exception }, 'unexpected error');
    void reply
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .send(errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'internal server error'));
  }
}

function errorBody(
  statusCode: number,
  message: string,
): { statusCode: number; error: string; message: string } {
  const error = (HttpStatus[statusCode] ?? 'Error')
    .split('_')
    .map((word) => word.charAt(0) + word.slice(1).toLowerCase())
    .join(' ');
  return { statusCode, error, message };
}

/** Fastify's own 4xx errors (body too large, malformed JSON, bad content type) keep their status. */
function fastifyStatus(exception: unknown): number | null {
  const { statusCode, code } = (exception ?? {}) as { statusCode?: unknown; code?: unknown };
  return typeof code === 'string' &&
    code.startsWith('FST_') &&
    typeof statusCode === 'number' &&
    statusCode < 500
    ? statusCode
    : null;
}
