import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app.factory';
import type { AppConfig } from '../../src/config/app-config';
import { buildConfig } from '../../src/config/load-config';
import { endpointOf } from '../../src/database/data-source-options';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testEnvironment } from './test-environment';
import { TEST_JWT_SECRET } from './tokens';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  db: TestDatabase;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * Boots the real AppModule on a database of its own, against the run's PostgreSQL, with the
 * given environment variables on top of the test defaults.
 */
export async function startTestApp(
  overrides: Record<string, string> = {},
  db?: TestDatabase,
): Promise<TestApp> {
  const environment = testEnvironment();
  const database = db ?? (await createTestDatabase());
  const config = buildConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    POSTGRES_HOST: environment.postgres.host,
    POSTGRES_PORT: String(environment.postgres.port),
    POSTGRES_USER: environment.postgres.user,
    POSTGRES_PASSWORD: environment.postgres.password,
    POSTGRES_DB: database.name,
    DB_MIGRATIONS_RUN: 'false',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    REDIS_KEY_PREFIX: `chatbot-test-${environment.runId}`,
    // Suites send hundreds of requests per user per minute; the limiter has its own tests.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  });
  const app = await createApp(config, endpointOf(config.postgres));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    http: request(app.getHttpServer()),
    db: database,
    config,
    async close(): Promise<void> {
      await app.close();
      if (!db) await database.drop();
    },
  };
}
