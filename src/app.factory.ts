import { BadRequestException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LogController, type RawServerDefault } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { jsonShapeProblem } from './common/json-shape';
import { KnownQueryInterceptor } from './common/known-query.interceptor';
import { LIMITS } from './common/limits';
import { secureHeaders } from './common/secure-headers';
import { StrictValidationPipe } from './common/strict-validation.pipe';
import type { DatabaseEndpoint } from './database/embedded-postgres';
import { ShutdownState } from './health/shutdown-state';
import { createRootLogger, PinoNestLogger, requestId } from './logging/logger';

const QUIET_ROUTES = ['/health', '/metrics'];

/** Builds the configured application (not listening yet): shared by `main.ts` and the tests. */
export async function createApp(
  config: AppConfig,
  database: DatabaseEndpoint,
): Promise<NestFastifyApplication> {
  const logger = createRootLogger(config.logLevel, config.logFormat);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    genReqId: requestId,
    logController: new LogController({
      requestIdLogLabel: 'request_id',
      // Probes and scrapes every few seconds would drown the request log.
      disableRequestLogging: (request) =>
        QUIET_ROUTES.some((route) => request.url.startsWith(route)),
    }),
    bodyLimit: LIMITS.bodyBytes,
    // The predecessor's gateway calls `/api/v1/conversations/`: every route answers with or
    // without one trailing slash.
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: true,
    // Closing the server drops idle keep-alive sockets at once and lets busy ones finish.
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, database),
    adapter,
    // Boot errors reach the caller (main.ts explains them) instead of exiting the process here.
    // Body parsers are this factory's own (acceptJsonOnly): no form or text bodies.
    { logger: new PinoNestLogger(logger), abortOnError: false, bodyParser: false },
  );
  echoRequestId(app);
  acceptJsonOnly(app);
  lingerAfterOversizedBodies(app);
  sendSecureHeaders(app);
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'Idempotency-Key',
        'X-Request-Id',
        'If-None-Match',
        'Last-Event-ID',
      ],
      exposedHeaders: ['X-Cache', 'X-Request-Id', 'Idempotent-Replayed', 'Retry-After', 'ETag'],
      maxAge: 600,
    });
  }
  closeConnectionsWhileDraining(app);
  app.useGlobalPipes(
    new StrictValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      // Query strings are converted field by field (@ToInteger), never implicitly.
      transformOptions: { enableImplicitConversion: false },
    }),
  );
  app.useGlobalInterceptors(new KnownQueryInterceptor());
  setUpOpenApi(app);
  return app;
}

function setUpOpenApi(app: NestFastifyApplication): void {
  const document = new DocumentBuilder()
    .setTitle('model-chatbot-nestjs')
    .setDescription(
      "Conversation history of the customs-consulting chatbot. Every /api/v1 route needs a bearer JWT whose `sub` is the user; another user's conversation answers exactly like an unknown one (404).",
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, document), {
    jsonDocumentUrl: 'docs-json',
  });
}

/**
 * JSON is the only body this API takes (any other content type: 415). It is parsed as Fastify
 * does (prototype-poisoning checks included) once its shape is known to be cheap to validate:
 * the validation layer walks bodies recursively, and its cost grows faster than their size.
 */
function acceptJsonOnly(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  app.useBodyParser<RawServerDefault>(
    'application/json',
    { bodyLimit: LIMITS.bodyBytes },
    (request, body, done) => {
      const text = body.toString('utf8');
      const problem = jsonShapeProblem(text, LIMITS.json);
      if (problem) {
        done(new BadRequestException(problem), undefined);
        return;
      }
      parse(request, text, done);
    },
  );
}

/**
 * A body over the limit is answered 413 once the client has finished sending it (read and
 * discarded, up to a bound), then the connection closes: closing at once, as Fastify does, makes
 * a client still writing see EPIPE instead of the answer. nginx's lingering close does the same.
 */
function lingerAfterOversizedBodies(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode === 413) await discardRest(request.raw, LIMITS.linger);
      return payload;
    });
}

function discardRest(
  stream: NodeJS.ReadableStream & { readableEnded?: boolean },
  bound: { bytes: number; ms: number },
): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const stop = (): void => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      stream.removeListener('end', stop);
      stream.removeListener('error', stop);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > bound.bytes) stop();
    };
    const timer = setTimeout(stop, bound.ms);
    stream.on('data', onData);
    stream.once('end', stop);
    stream.once('error', stop);
    stream.resume();
  });
}

/** helmet's headers on every answer. */
function sendSecureHeaders(app: NestFastifyApplication): void {
  const headers = secureHeaders({
    // Swagger UI at /docs runs inline scripts and styles; everything else is JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, reply, done) => {
      void reply.headers(headers);
      done();
    });
}

/** Every answer names its request, so a caller can quote it and an operator find its log lines. */
function echoRequestId(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      void reply.header('X-Request-Id', request.id);
    });
}

/** After SIGTERM, each answer asks its client to reconnect, so keep-alive traffic moves to other replicas. */
function closeConnectionsWhileDraining(app: NestFastifyApplication): void {
  const shutdown = app.get(ShutdownState);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (_request, reply) => {
      if (shutdown.draining) void reply.header('Connection', 'close');
    });
}
