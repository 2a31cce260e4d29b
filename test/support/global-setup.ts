import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildConfig } from '../../src/config/load-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import type { DatabaseEndpoint } from '../../src/database/embedded-postgres';
import { redisAnswers } from './redis-server';
import { publishTestEnvironment, type TestEnvironment } from './test-environment';

const SERVER = {
  host: process.env.TEST_POSTGRES_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_POSTGRES_PORT ?? 5432),
  user: process.env.TEST_POSTGRES_USER ?? 'postgres',
  password: process.env.TEST_POSTGRES_PASSWORD ?? '',
};
const REDIS = {
  host: process.env.TEST_REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_REDIS_PORT ?? 6379),
};
const IN_CI = process.env.CI === 'true';

/**
 * Finds PostgreSQL (the local server, else outside CI an embedded one), migrates one template
 * database for the run, and checks for Redis. In CI both services are required: nothing is skipped.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let postgres = SERVER;
  let embeddedDataDir: string | undefined;
  if (!(await canConnect(SERVER))) {
    if (IN_CI)
      throw new Error(`CI=true but PostgreSQL is not reachable at ${SERVER.host}:${SERVER.port}`);
    embeddedDataDir = join(tmpdir(), `chatbot-test-pg-${runId}`);
    console.log(
      `\nPostgreSQL not reachable at ${SERVER.host}:${SERVER.port}: using an embedded one`,
    );
    const endpoint = await startEmbeddedServer(embeddedDataDir);
    postgres = {
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      password: endpoint.password,
    };
  }
  const template = `chatbot_test_${runId}_template`;
  await createMigratedTemplate(postgres, template);
  const redisUp = await redisAnswers(REDIS.host, REDIS.port);
  if (!redisUp && IN_CI)
    throw new Error(`CI=true but Redis is not reachable at ${REDIS.host}:${REDIS.port}`);
  const environment: TestEnvironment = {
    postgres,
    template,
    runId,
    redis: redisUp ? REDIS : undefined,
    redisMissingReason: redisUp ? undefined : `Redis not reachable at ${REDIS.host}:${REDIS.port}`,
    embeddedDataDir,
  };
  if (!redisUp)
    console.log(`\n${environment.redisMissingReason}: the tests that need Redis are skipped`);
  publishTestEnvironment(environment);
}

/** Starts test/support/embedded-server.ts; the teardown stops it by closing its stdin. */
function startEmbeddedServer(dataDir: string): Promise<DatabaseEndpoint> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, 'embedded-server.ts'), dataDir],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  (globalThis as { embeddedServer?: typeof child }).embeddedServer = child;
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (line: Buffer) =>
      resolve(JSON.parse(line.toString()) as DatabaseEndpoint),
    );
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited with ${code}`)));
  });
}

async function canConnect(server: typeof SERVER): Promise<boolean> {
  const client = new Client({ ...server, database: 'postgres', connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createMigratedTemplate(server: typeof SERVER, template: string): Promise<void> {
  const admin = new Client({ ...server, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const config = buildConfig({
    POSTGRES_HOST: server.host,
    POSTGRES_PORT: String(server.port),
    POSTGRES_USER: server.user,
    POSTGRES_PASSWORD: server.password,
    POSTGRES_DB: template,
  });
  const dataSource = new DataSource(buildDataSourceOptions(config.postgres));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
}
