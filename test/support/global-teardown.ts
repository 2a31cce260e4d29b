import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Client } from 'pg';
import { createRedisClient } from '../../src/redis/redis-client';
import { deleteKeysMatching } from './redis-keys';
import { testEnvironment } from './test-environment';

/** Drops every database this run created (the template and any clone a crashed file left). */
export default async function globalTeardown(): Promise<void> {
  const environment = testEnvironment();
  const admin = new Client({ ...environment.postgres, database: 'postgres' });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE $1`,
    [`chatbot_test_${environment.runId}_%`],
  );
  for (const { datname } of rows) {
    await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  await admin.end();
  if (environment.redis)
    await deleteRunKeys(environment.redis, `chatbot-test-${environment.runId}`);
  const server = (globalThis as { embeddedServer?: ChildProcess }).embeddedServer;
  if (server) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.stdin?.end();
    await exited;
  }
  if (environment.embeddedDataDir)
    await rm(environment.embeddedDataDir, { recursive: true, force: true });
}

/** Removes the cache keys this run left in the shared Redis (SCAN, never KEYS). */
async function deleteRunKeys(redis: { host: string; port: number }, prefix: string): Promise<void> {
  const connection = createRedisClient(
    { mode: 'standalone', nodes: [redis], db: 0, password: '', tls: false },
    { reconnect: false },
  );
  await connection.connect();
  try {
    await deleteKeysMatching(connection, `${prefix}*`);
  } finally {
    connection.destroy();
  }
}
