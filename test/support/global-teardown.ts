import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Client } from 'pg';
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
  const server = (globalThis as { embeddedServer?: ChildProcess }).embeddedServer;
  if (server) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.stdin?.end();
    await exited;
  }
  if (environment.embeddedDataDir)
    await rm(environment.embeddedDataDir, { recursive: true, force: true });
}
