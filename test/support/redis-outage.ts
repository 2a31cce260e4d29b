import type TestAgent from 'supertest/lib/agent';
import { runCli, type CliResult } from './run-cli';
import { testEnvironment } from './test-environment';

export interface Outage {
  /** Every request's time, in milliseconds. */
  timings: number[];
  /** What each read after a write answered: status and message_count. */
  reads: Array<[number, number]>;
  /** Messages the conversation holds now. */
  messages: number;
}

/**
 * Appends to a conversation and reads it back, in turn, until `event` (a kill, a failover) has
 * settled and five times more; rethrows what `event` threw. Every append must answer 201.
 */
export async function writeAndReadThroughout(
  event: Promise<unknown>,
  http: TestAgent,
  auth: { Authorization: string },
  path: string,
  messagesBefore: number,
): Promise<Outage> {
  let settled = false;
  const finish = (): void => {
    settled = true;
  };
  void event.then(finish, finish);
  const outage: Outage = { timings: [], reads: [], messages: messagesBefore };
  for (let after = 0; !settled || after < 5; after += settled ? 1 : 0) {
    let started = performance.now();
    const write = await http
      .post(`${path}/messages`)
      .set(auth)
      .send({ role: 'user', content: `message ${outage.messages}` });
    outage.timings.push(performance.now() - started);
    if (write.status !== 201) throw new Error(`an append answered ${write.status}`);
    outage.messages += 1;
    started = performance.now();
    const read = await http.get(path).set(auth);
    outage.timings.push(performance.now() - started);
    outage.reads.push([read.status, read.body.message_count]);
  }
  await event;
  return outage;
}

/**
 * What one request may cost at most while Redis fails over (a Sentinel primary or a cluster
 * master gone): a write's Redis calls are each bounded (the rate limit, its write position and
 * the cache version 150 ms each, the event publish 500 ms: 950 ms in all), then PostgreSQL's
 * part, on a machine that runs the whole suite at once. A request held until the failover ends
 * would take longer.
 */
export const FAILOVER_REQUEST_BOUND_MS = 1500;

/**
 * Waits until the app's readiness says Redis answers (boot does not wait for it, and on a busy
 * machine a Sentinel or Cluster client may take longer than boot's one second to connect).
 */
export async function waitForRedis(http: TestAgent): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await http.get('/health/ready');
    if (response.body?.details?.redis?.status === 'up') return;
    if (Date.now() > deadline) throw new Error('the app never reached Redis');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads until the cache answers again (HIT), or 20 s have passed; the last answer. */
export async function readUntilHit(
  http: TestAgent,
  auth: { Authorization: string },
  path: string,
): Promise<{ cache: string; messageCount: number }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await http.get(path).set(auth);
    const cache = String(response.headers['x-cache']);
    if (cache === 'HIT' || Date.now() > deadline)
      return { cache, messageCount: response.body.message_count };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `db:setup --test` with this Redis environment, against the run's PostgreSQL. */
export function dbSetupTest(env: Record<string, string>, database: string): Promise<CliResult> {
  const { postgres } = testEnvironment();
  return runCli('db-setup.ts', ['--test'], {
    ...env,
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    POSTGRES_DB: database,
  });
}
