import { startAppProcess, waitForStatus, type AppProcess } from './support/app-process';
import { EventStreamClient } from './support/event-stream-client';
import { TestRedisServer } from './support/redis-server';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';
import { signToken, TEST_JWT_SECRET } from './support/tokens';

const DRAIN_MS = 2_000;
const USER = 2001;

/** The app in a process of its own, at info level, on Redis, as in production. */
describe('event streams of an app process', () => {
  let redis: TestRedisServer;
  let db: TestDatabase;
  let app: AppProcess;
  let base: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    db = await createTestDatabase();
    const { postgres } = testEnvironment();
    app = await startAppProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      POSTGRES_HOST: postgres.host,
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_PASSWORD: postgres.password,
      POSTGRES_DB: db.name,
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      RATE_LIMIT_PER_MINUTE: '1000000',
    });
    await waitForStatus(app, '/health/ready', 200, 30_000);
    base = `http://127.0.0.1:${app.port}`;
    const token = await signToken(USER, { scope: 'messages:write:assistant' });
    headers = { Authorization: `Bearer ${token}` };
  });

  afterAll(async () => {
    app.child.kill('SIGKILL');
    await db.drop();
    await redis.kill();
  });

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response.status === 204 ? null : response.json();
  }

  async function ticketFor(conversationId: string): Promise<string> {
    return (await call('POST', `/api/v1/conversations/${conversationId}/events/ticket`)).ticket;
  }

  it('never writes a ticket into a log line, used or refused', async () => {
    const conversation = await call('POST', '/api/v1/conversations', { title: 'tickets' });
    const ticket = await ticketFor(conversation.id);
    const path = `/api/v1/conversations/${conversation.id}/events`;
    const stream = await EventStreamClient.open(`${base}${path}?ticket=${ticket}`);
    expect(stream.status).toBe(200);
    await call('PATCH', `/api/v1/conversations/${conversation.id}`, { title: 'renamed' });
    await stream.waitForType('conversation.updated');
    stream.close();
    const reused = await EventStreamClient.open(`${base}${path}/?ticket=${ticket}`);
    expect(reused.status).toBe(401);
    await reused.text();
    await new Promise((resolve) => setTimeout(resolve, 300));

    const log = app.output();
    expect(log).not.toContain(ticket);
    expect(log).not.toContain(ticket.split('.')[1]);
    const lines = log.split('\n').filter((line) => line.includes(`/${conversation.id}/events`));
    const incoming = lines.filter((line) => line.includes('"msg":"incoming request"'));
    expect(incoming.map((line) => JSON.parse(line).req.url)).toEqual([
      `${path}/ticket`,
      `${path}?[redacted]`,
      `${path}/?[redacted]`,
    ]);
  });

  it('at SIGTERM fails readiness first, then ends the open streams, and exits within the drain', async () => {
    const conversation = await call('POST', '/api/v1/conversations', { title: 'shutdown' });
    const path = `/api/v1/conversations/${conversation.id}/events`;
    const streams = [
      await EventStreamClient.open(`${base}${path}`, { Authorization: headers.Authorization }),
      await EventStreamClient.open(`${base}${path}?ticket=${await ticketFor(conversation.id)}`),
    ];
    expect(streams.map((stream) => stream.status)).toEqual([200, 200]);
    const ended = streams.map((stream) => stream.ended.then(() => performance.now()));

    const signalled = performance.now();
    app.child.kill('SIGTERM');
    let readyStatus = 200;
    while (readyStatus === 200 && performance.now() - signalled < 1_000) {
      readyStatus = (await fetch(`${base}/health/ready`)).status;
    }
    const notReadyAfter = performance.now() - signalled;
    expect(readyStatus).toBe(503);

    const endedAfter = (await Promise.all(ended)).map((at) => at - signalled);
    const code = await app.exited;
    const exitedAfter = performance.now() - signalled;
    expect(code).toBe(0);
    for (const after of endedAfter) {
      expect(after).toBeGreaterThan(notReadyAfter);
      expect(after).toBeLessThan(DRAIN_MS);
    }
    // Ended, not reset: a client resumes on another replica with its Last-Event-ID.
    for (const stream of streams) expect(stream.events.map((event) => event.type)).toEqual([]);
    expect(exitedAfter).toBeLessThan(DRAIN_MS + 2_000);
    expect(app.output()).not.toMatch(/shutdown exceeded its deadline/);
    console.log(
      `shutdown with open streams: readiness 503 after ${Math.round(notReadyAfter)} ms, streams ended after ${endedAfter.map(Math.round).join(' and ')} ms, exit 0 after ${Math.round(exitedAfter)} ms (drain ${DRAIN_MS} ms)`,
    );
  }, 30_000);
});
