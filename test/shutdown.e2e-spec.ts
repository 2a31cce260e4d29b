import { startAppProcess, waitForStatus, type AppProcess } from './support/app-process';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';
import { signToken, TEST_JWT_SECRET } from './support/tokens';

const DRAIN_MS = 1500;
const PASSWORD = 'not-a-real-password-0xC0FFEE';
const MESSAGE_TEXT = '비밀 메시지 본문 must never be logged';

/**
 * The app runs in its own process, as in production; this test process plays the load balancer:
 * it sends a stream of requests (fetch keeps connections alive) and stops routing new requests to
 * the app once its readiness fails, as Kubernetes does.
 */
describe('SIGTERM under a stream of requests', () => {
  let db: TestDatabase;
  let app: AppProcess;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const { postgres } = testEnvironment();
    token = await signToken(901, { scope: 'messages:write:assistant' });
    app = await startAppProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'trace',
      POSTGRES_HOST: postgres.host,
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_PASSWORD: PASSWORD,
      POSTGRES_DB: db.name,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      RATE_LIMIT_PER_MINUTE: '1000000',
    });
    await waitForStatus(app, '/health/ready', 200, 30_000);
  });

  afterAll(async () => {
    app.child.kill('SIGKILL');
    await db.drop();
  });

  it('fails readiness at once, keeps liveness, loses no request, exits 0 within the drain plus 2 s, and logs no secret', async () => {
    const base = `http://127.0.0.1:${app.port}`;
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const created = (await (
      await fetch(`${base}/api/v1/conversations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ initial_message: MESSAGE_TEXT }),
      })
    ).json()) as { id: string };

    let routing = true;
    const results = { ok: 0, failed: [] as string[] };
    const worker = async (index: number): Promise<void> => {
      while (routing) {
        try {
          const response = await fetch(`${base}/api/v1/conversations/${created.id}/messages`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              role: 'assistant',
              content: `${MESSAGE_TEXT} ${index}`,
              agent_used: 'regulation_agent',
            }),
          });
          if (response.status === 201) results.ok += 1;
          else results.failed.push(`status ${response.status}`);
          await response.arrayBuffer();
        } catch (error) {
          results.failed.push(String(error));
        }
      }
    };
    const workers = Array.from({ length: 4 }, (_, i) => worker(i));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const signalledAt = Date.now();
    app.child.kill('SIGTERM');
    // The load balancer's view: readiness fails at once, liveness does not.
    let readyStatus = 200;
    while (readyStatus === 200 && Date.now() - signalledAt < 1_000) {
      readyStatus = (await fetch(`${base}/health/ready`)).status;
    }
    const noticedAfter = Date.now() - signalledAt;
    expect(readyStatus).toBe(503);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    routing = false;
    await Promise.all(workers);

    const code = await app.exited;
    const exitedAfter = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect(exitedAfter).toBeLessThan(DRAIN_MS + 2_000);
    expect(noticedAfter).toBeLessThan(500);
    expect(results.failed).toEqual([]);
    expect(results.ok).toBeGreaterThan(10);

    const stored = await db.client.query(
      'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
      [created.id],
    );
    expect(stored.rows[0].n).toBe(results.ok + 1);

    const log = app.output();
    expect(log).toContain('"msg":"request completed"');
    expect(log).toMatch(/"request_id":"[0-9a-f-]{36}"/);
    expect(log).toContain('SIGTERM received');
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[1]);
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(MESSAGE_TEXT);
    expect(log).not.toContain('비밀');
    console.log(
      `shutdown timeline: readiness 503 after ${noticedAfter} ms, exit 0 after ${exitedAfter} ms (drain ${DRAIN_MS} ms); ${results.ok} requests answered 201, 0 failed`,
    );
  }, 60_000);
});
