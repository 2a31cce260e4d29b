/**
 * What the test run talks to, decided once by the global setup and handed to the workers through
 * the environment: the PostgreSQL server holding the migrated template, and Redis when there is one.
 */
export interface TestEnvironment {
  postgres: { host: string; port: number; user: string; password: string };
  template: string;
  runId: string;
  redis?: { host: string; port: number };
  /** Set when no Redis was reachable outside CI: the tests that need one say so and are skipped. */
  redisMissingReason?: string;
  embeddedDataDir?: string;
}

const VARIABLE = 'CHATBOT_TEST_ENVIRONMENT';

export function publishTestEnvironment(environment: TestEnvironment): void {
  process.env[VARIABLE] = JSON.stringify(environment);
}

export function testEnvironment(): TestEnvironment {
  const value = process.env[VARIABLE];
  if (!value) throw new Error('the e2e global setup did not run');
  return JSON.parse(value) as TestEnvironment;
}
