import type { LoggerService } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/app-config';
import { serializeError } from './error-serializer';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Routes whose query string is a credential (`?ticket=` of an event stream): never logged. */
const SECRET_QUERY_ROUTES = /^\/api\/v1\/conversations\/[^/?]*\/events\/?(?=\?|$)/;

/** The URL as logged: without the query string of a route that takes a credential in it. */
export function loggedUrl(url: string): string {
  const match = SECRET_QUERY_ROUTES.exec(url);
  return match && url.length > match[0].length ? `${match[0]}?[redacted]` : url;
}

/** Fastify's request serializer, with `loggedUrl`. */
function serializeRequest(request: {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: request.method,
    url: loggedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/**
 * The process's one logger (pino), shared by Fastify's request log and Nest's own lines: JSON
 * lines, or for a developer's terminal the same lines made readable by pino-pretty. Request lines
 * carry method, URL and status only: no header, no body, and no query of an event stream (its
 * ticket). The paths below are redacted anyway, in case a future line adds headers.
 */
export function createRootLogger(
  level: LogLevel,
  format: 'json' | 'pretty' = 'json',
  // Commands print their results on stdout: their log lines go to stderr.
  fd: 1 | 2 = 1,
): Logger {
  const options = {
    level,
    base: { service: 'model-chatbot-nestjs' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError, req: serializeRequest },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["idempotency-key"]',
        '*.password',
      ],
      censor: '[redacted]',
    },
  };
  // Synchronous on purpose: a line written just before a crash must reach the terminal.
  return format === 'pretty'
    ? pino(options, pretty({ colorize: true, sync: true, ignore: 'pid,hostname,service' }))
    : pino(options, pino.destination({ fd, sync: true }));
}

/** The caller's `X-Request-Id` when it is a sane one, else a new UUID. */
export function requestId(request: IncomingMessage): string {
  const offered = request.headers['x-request-id'];
  return typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
}

/** Nest's logger interface on the root pino logger, keeping Nest's context as a field. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }

  error(message: unknown, stack?: string, context?: string): void {
    this.logger.error({ context, stack }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context }, String(message));
  }
}
