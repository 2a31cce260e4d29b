import { BadRequestException, ValidationPipe } from '@nestjs/common';
import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { LogController, type RawServerDefault } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { nestsDeeperThan } from './common/json-depth';
import { LIMITS } from './common/limits';
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
    { logger: new PinoNestLogger(logger), abortOnError: false },
  );
  echoRequestId(app);
  limitJsonDepth(app);
  await app.register(helmet, {
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
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['X-Cache', 'X-Request-Id', 'Idempotent-Replayed', 'Retry-After'],
      maxAge: 600,
    });
  }
  closeConnectionsWhileDraining(app);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      // Query strings are converted field by field (@ToInteger), never implicitly.
      transformOptions: { enableImplicitConversion: false },
    }),
  );
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
 * Parses JSON bodies as Fastify does (prototype-poisoning checks included) after refusing deep
 * nesting: the validation layer walks bodies recursively, and a deep document would exhaust
 * its stack.
 */
function limitJsonDepth(app: NestFastifyApplication): void {
  const parse = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>(
    'application/json',
    { bodyLimit: LIMITS.bodyBytes },
    (request, body, done) => {
      const text = body.toString('utf8');
      if (nestsDeeperThan(text, LIMITS.jsonDepth)) {
        done(
          new BadRequestException(
            `body nests objects or arrays deeper than ${LIMITS.jsonDepth} levels`,
          ),
          undefined,
        );
        return;
      }
      parse(request, text, done);
    },
  );
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
