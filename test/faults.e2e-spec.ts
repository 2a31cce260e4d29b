import { Client } from 'pg';
import { startAppProcess, waitForStatus, type AppProcess } from './support/app-process';
import { PostgresCluster } from './support/postgres-cluster';
import { TestRedisServer } from './support/redis-server';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';
import { ApiClient } from './support/api-client';
import { signToken, TEST_JWT_SECRET } from './support/tokens';

const USER = 1301;

interface Outcome {
  status: number;
  ms: number;
  body: string;
}

/** Sends `request` in `workers` loops until `running()` is false; records every outcome. */
async function load(
  workers: number,
  running: () => boolean,
  request: (worker: number) => Promise<Outcome>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (running()) outcomes.push(await request(worker));
    }),
  );
  return outcomes;
}

async function timed(call: () => Promise<Response>): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await call();
    return {
      status: response.status,
      ms: performance.now() - started,
      body: await response.text(),
    };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, body: String(error) };
  }
}

describe('PostgreSQL restarted under load', () => {
  let cluster: PostgresCluster;
  let app: AppProcess;
  let token: string;

  beforeAll(async () => {
    cluster = await PostgresCluster.create();
    await cluster.createMigratedDatabase('chatbot');
    token = await signToken(USER);
    app = await startAppProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(cluster.port),
      POSTGRES_DB: 'chatbot',
      POSTGRES_STATEMENT_TIMEOUT_MS: '2000',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_MINUTE: '1000000',
      SHUTDOWN_DRAIN_MS: '0',
    });
    await waitForStatus(app, '/health/ready', 200, 30_000);
  }, 60_000);

  afterAll(async () => {
    app.child.kill('SIGKILL');
    await cluster.destroy();
  });

  it('answers fast 503s while it is down, recovers within 15 s, and loses no acknowledged write', async () => {
    const base = `http://127.0.0.1:${app.port}`;
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const conversations: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${base}/api/v1/conversations`, {
        method: 'POST',
        headers,
        body: '{}',
      });
      conversations.push(((await response.json()) as { id: string }).id);
    }
    const acknowledged: string[] = [];
    let running = true;
    const outcomes = load(
      4,
      () => running,
      async (worker) => {
        const write = await timed(() =>
          fetch(`${base}/api/v1/conversations/${conversations[worker]}/messages`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ role: 'user', content: `w${worker}` }),
          }),
        );
        if (write.status === 201)
          acknowledged.push(
            ...(JSON.parse(write.body) as { messages: Array<{ id: string }> }).messages.map(
              (m) => m.id,
            ),
          );
        const read = await timed(() =>
          fetch(`${base}/api/v1/conversations/${conversations[worker]}/messages?limit=5`, {
            headers,
          }),
        );
        return write.status === 201 ? read : write;
      },
    );

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await cluster.stop();
    const downSince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const readiness = await timed(() => fetch(`${base}/health/ready`));
    const liveness = await timed(() => fetch(`${base}/health/live`));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await cluster.start();
    const upAt = Date.now();
    let recoveredAt = 0;
    while (!recoveredAt && Date.now() - upAt < 15_000) {
      const probe = await timed(() =>
        fetch(`${base}/api/v1/conversations/${conversations[0]}/messages?limit=1`, { headers }),
      );
      if (probe.status === 200) recoveredAt = Date.now();
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    running = false;
    const results = await outcomes;

    expect(readiness.status).toBe(503);
    expect(liveness.status).toBe(200);
    expect(recoveredAt).toBeGreaterThan(0);
    const unavailable = results.filter((outcome) => outcome.status === 503);
    const unexpected = results.filter((outcome) => ![200, 201, 503].includes(outcome.status));
    if (unexpected.length > 0)
      console.log(
        app
          .output()
          .split('\n')
          .filter((line) => line.includes('unexpected error'))
          .join('\n'),
      );
    expect(unexpected).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(Math.max(...unavailable.map((outcome) => outcome.ms))).toBeLessThan(3_000);
    for (const outcome of unavailable)
      expect(outcome.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|terminat|SQL/i);
    expect(app.child.exitCode).toBeNull();

    const db = new Client({ ...cluster.endpoint, database: 'chatbot' });
    await db.connect();
    try {
      const stored = await db.query('SELECT id FROM messages WHERE id = ANY($1)', [acknowledged]);
      expect(stored.rowCount).toBe(acknowledged.length);
      const drift = await db.query(
        `SELECT count(*)::int AS n FROM conversations c WHERE c.message_count <> (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)`,
      );
      expect(drift.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
    console.log(
      `PostgreSQL restart: ${results.length} calls, ${acknowledged.length} writes acknowledged and all stored, ${unavailable.length} fast 503s (slowest ${Math.round(Math.max(...unavailable.map((o) => o.ms)))} ms), 0 other errors; down ${upAt - downSince} ms, 2xx again ${recoveredAt - upAt} ms after it was back`,
    );
  }, 60_000);
});

describe('pool exhaustion and lock timeouts', () => {
  let t: TestApp;
  let api: ApiClient;
  let blocker: Client;

  beforeAll(async () => {
    // Pool of 2; statement timeout 6 s, so the lock timeout is 3 s and a pool wait at most 2 s.
    t = await startTestApp({
      POSTGRES_POOL_SIZE: '2',
      POSTGRES_MAX_OVERFLOW: '0',
      POSTGRES_STATEMENT_TIMEOUT_MS: '6000',
    });
    api = await ApiClient.forUsers(t.http, [USER]);
    const { postgres } = testEnvironment();
    blocker = new Client({ ...postgres, database: t.db.name });
    await blocker.connect();
  });

  afterAll(async () => {
    await blocker.end();
    await t.close();
  });

  it('fails the requests beyond the pool fast with 503 and Retry-After, then recovers', async () => {
    const conversation = await api.createConversation(USER);
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversation.id]);
    const started = performance.now();
    const requests = Array.from({ length: 6 }, () =>
      t.http
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(api.auth(USER))
        .send({ role: 'user', content: 'x' })
        .then((response) => ({ response, ms: performance.now() - started })),
    );
    const releaseAfter = new Promise((resolve) => setTimeout(resolve, 2_600)).then(() =>
      blocker.query('COMMIT'),
    );
    const answers = await Promise.all(requests);
    await releaseAfter;
    const refused = answers.filter(({ response }) => response.status === 503);
    const served = answers.filter(({ response }) => response.status === 201);
    expect(refused.length).toBe(4);
    expect(served.length).toBe(2);
    for (const { response, ms } of refused) {
      expect(response.headers['retry-after']).toBe('2');
      expect(ms).toBeLessThan(2_500);
    }
    const after = await t.http
      .get(`/api/v1/conversations/${conversation.id}/messages`)
      .set(api.auth(USER));
    expect(after.status).toBe(200);
    expect(after.body.total_count).toBe(2);
  }, 20_000);

  it('ends a request blocked by a held row lock at the lock timeout with 503, not 30 s later', async () => {
    const conversation = await api.createConversation(USER);
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversation.id]);
    try {
      const started = performance.now();
      const response = await t.http
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(api.auth(USER))
        .send({ role: 'user', content: 'x' });
      const elapsed = performance.now() - started;
      expect(response.status).toBe(503);
      expect(elapsed).toBeGreaterThan(2_900);
      expect(elapsed).toBeLessThan(4_000);
      const { rows } = await blocker.query(
        'SELECT message_count FROM conversations WHERE id = $1',
        [conversation.id],
      );
      expect(rows[0].message_count).toBe(0);
    } finally {
      await blocker.query('ROLLBACK');
    }
  }, 20_000);
});

describe('Redis killed mid-load', () => {
  let redis: TestRedisServer;
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    t = await startTestApp({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_KEY_PREFIX: 'midload',
    });
    await t.app.listen(0, '127.0.0.1');
    api = await ApiClient.forUsers(t.http, [USER]);
  });

  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('fails no request, bounds the added latency, and serves hits again once Redis returns', async () => {
    const base = await t.app.getUrl();
    const conversation = await api.createConversation(USER, { initial_message: 'warm me' });
    const headers = api.auth(USER);
    const read = () =>
      timed(() => fetch(`${base}/api/v1/conversations/${conversation.id}`, { headers }));
    let running = true;
    const outcomes = load(
      4,
      () => running,
      async (worker) =>
        worker === 0
          ? timed(() =>
              fetch(`${base}/api/v1/conversations/${conversation.id}/messages`, {
                method: 'POST',
                headers: { ...headers, 'Content-Type': 'application/json' },
                body: '{"role":"user","content":"x"}',
              }),
            )
          : read(),
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await redis.restart();
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    running = false;
    const results = await outcomes;
    expect(results.filter((outcome) => outcome.status !== 200 && outcome.status !== 201)).toEqual(
      [],
    );
    const slowest = Math.max(...results.map((outcome) => outcome.ms));
    expect(slowest).toBeLessThan(1_000);
    let cache = '';
    for (let i = 0; i < 3 && cache !== 'HIT'; i += 1) {
      const response = await fetch(`${base}/api/v1/conversations/${conversation.id}`, { headers });
      cache = String(response.headers.get('x-cache'));
    }
    expect(cache).toBe('HIT');
    console.log(
      `Redis killed mid-load: ${results.length} requests, 0 failed, slowest ${Math.round(slowest)} ms`,
    );
  }, 40_000);
});
