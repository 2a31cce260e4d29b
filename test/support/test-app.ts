import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app.factory';
import type { AppConfig } from '../../src/config/app-config';
import { buildConfig } from '../../src/config/load-config';
import { endpointOf, poolTimeouts } from '../../src/database/data-source-options';
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

let pooler: { host: string; port: number } | undefined;

/**
 * From now on in this test file, the apps of startTestApp reach the run's PostgreSQL through this
 * transaction-pooling PgBouncer (`POSTGRES_POOLER=pgbouncer`); undefined: directly again. The
 * database handle's own client (`db.client`) always stays direct.
 */
export function connectTestAppsThrough(
  pgbouncer: { host: string; port: number } | undefined,
): void {
  pooler = pgbouncer;
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
    ...(pooler ? await pooledEnvironment(pooler, database, overrides) : {}),
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

/**
 * What an app behind PgBouncer needs: the pooler's address, `POSTGRES_POOLER`, and the server
 * applying the timeouts itself as database defaults (README, "PgBouncer"). Its cache keys get a
 * prefix of their own: the same suites may run directly at the same time, with the same users.
 */
async function pooledEnvironment(
  pgbouncer: { host: string; port: number },
  database: TestDatabase,
  overrides: Record<string, string>,
): Promise<Record<string, string>> {
  const timeouts = poolTimeouts(buildConfig(overrides).postgres.statementTimeoutMs);
  const name = database.client.escapeIdentifier(database.name);
  await database.client.query(
    `ALTER DATABASE ${name} SET statement_timeout = ${timeouts.statementTimeoutMs};
     ALTER DATABASE ${name} SET lock_timeout = ${timeouts.lockTimeoutMs};
     ALTER DATABASE ${name} SET idle_in_transaction_session_timeout = ${timeouts.idleInTransactionTimeoutMs}`,
  );
  return {
    POSTGRES_HOST: pgbouncer.host,
    POSTGRES_PORT: String(pgbouncer.port),
    POSTGRES_POOLER: 'pgbouncer',
    REDIS_KEY_PREFIX: `chatbot-test-${testEnvironment().runId}-pooled`,
  };
}
