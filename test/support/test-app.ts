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

export interface RunningApp {
  app: NestFastifyApplication;
  http: TestAgent;
  config: AppConfig;
  close(): Promise<void>;
}

export interface TestApp extends RunningApp {
  db: TestDatabase;
}

/** Boots the real AppModule in this process with exactly this environment, on top of test defaults. */
export async function startAppOn(env: Record<string, string>): Promise<RunningApp> {
  const environment = testEnvironment();
  const config = buildConfig({
    NODE_ENV: 'test',
    // CI runs the suite at info level and scans the whole log for leaks (.ci/run).
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    DB_MIGRATIONS_RUN: 'false',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    REDIS_KEY_PREFIX: `chatbot-test-${environment.runId}`,
    // Suites send hundreds of requests per user per minute; the limiter has its own tests.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  const app = await createApp(config, endpointOf(config.postgres));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, http: request(app.getHttpServer()), config, close: () => app.close() };
}

/**
 * Boots the real AppModule on a database of its own (cloned from the migrated template), against
 * the run's PostgreSQL, with the given environment variables on top of the test defaults.
 */
export async function startTestApp(
  overrides: Record<string, string> = {},
  db?: TestDatabase,
): Promise<TestApp> {
  const { postgres } = testEnvironment();
  const database = db ?? (await createTestDatabase());
  const running = await startAppOn({
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    POSTGRES_DB: database.name,
    ...overrides,
  });
  return {
    ...running,
    db: database,
    async close(): Promise<void> {
      await running.close();
      if (!db) await database.drop();
    },
  };
}
