import { ValidationPipe, type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import type { AppConfig, LogLevel } from './config/app-config';
import { LIMITS } from './common/limits';
import type { DatabaseEndpoint } from './database/embedded-postgres';

/** Builds the configured application (not listening yet): shared by `main.ts` and the tests. */
export async function createApp(
  config: AppConfig,
  database: DatabaseEndpoint,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: LIMITS.bodyBytes, trustProxy: true });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, database),
    adapter,
    {
      logger: nestLogLevels(config.logLevel),
      bufferLogs: false,
    },
  );
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

const LEVELS: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function nestLogLevels(level: LogLevel): NestLogLevel[] {
  const nestLevel: NestLogLevel = level === 'info' ? 'log' : level === 'trace' ? 'verbose' : level;
  return LEVELS.slice(0, LEVELS.indexOf(nestLevel) + 1);
}
