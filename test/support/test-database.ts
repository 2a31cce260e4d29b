import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testEnvironment } from './test-environment';

export interface TestDatabase {
  name: string;
  /** A direct connection for assertions on what is really stored. */
  client: Client;
  drop(): Promise<void>;
}

/** A fresh database cloned from the run's migrated template: one per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { postgres, template, runId } = testEnvironment();
  const name = `chatbot_test_${runId}_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ ...postgres, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  await admin.end();
  const client = new Client({ ...postgres, database: name });
  await client.connect();
  return {
    name,
    client,
    async drop(): Promise<void> {
      await client.end();
      const dropper = new Client({ ...postgres, database: 'postgres' });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    },
  };
}
