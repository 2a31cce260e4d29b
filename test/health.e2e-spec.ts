import { ApiClient } from './support/api-client';
import { freePort } from './support/app-process';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const USER = 701;
const LEAKS = /127\.0\.0\.1|localhost|ECONNREFUSED|password|postgres@|role "|at \w+ \(/i;

describe('health routes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('/health/live answers 200 without checking anything', async () => {
    const response = await t.http.get('/health/live');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('/health/ready and /health answer 200 with the database up', async () => {
    for (const path of ['/health/ready', '/health']) {
      const response = await t.http.get(path);
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('ok');
      expect(response.body.details.database.status).toBe('up');
      expect(response.body.details.lifecycle.status).toBe('up');
    }
  });

  it('/health/database details latency, version, pool, tables, indexes and extensions, and no host or user', async () => {
    const response = await t.http.get('/health/database');
    expect(response.status).toBe(200);
    const database = response.body.details.database;
    expect(database).toMatchObject({
      status: 'up',
      server_version: expect.stringMatching(/^\d+\.\d+/),
      latency_ms: expect.any(Number),
      pool: { total: expect.any(Number), idle: expect.any(Number), waiting: 0, max: 30 },
      tables: { conversations: true, messages: true, idempotency_keys: true },
      extensions: { btree_gin: true },
    });
    expect(Object.values(database.indexes)).toEqual(expect.arrayContaining([true]));
    expect(Object.values(database.indexes).every(Boolean)).toBe(true);
    expect(JSON.stringify(response.body)).not.toMatch(LEAKS);
  });

  it('/health/database reports a missing index as down', async () => {
    await t.db.client.query('DROP INDEX idx_messages_agent_used');
    try {
      const response = await t.http.get('/health/database');
      expect(response.status).toBe(503);
      expect(response.body.details.database.message).toBe(
        'schema incomplete: missing index idx_messages_agent_used',
      );
    } finally {
      await t.db.client.query('CREATE INDEX idx_messages_agent_used ON messages (agent_used)');
    }
  });
});

describe('with PostgreSQL unreachable', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    const { postgres } = testEnvironment();
    proxy = await TcpProxy.start({ host: postgres.host, port: postgres.port });
    t = await startTestApp({
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(proxy.port),
      POSTGRES_STATEMENT_TIMEOUT_MS: '1000',
    });
    api = await ApiClient.forUsers(t.http, [USER]);
  });

  afterAll(async () => {
    await proxy.cut();
    await t.close();
  });

  it('fails readiness with 503 within the probe timeout while liveness stays 200, and API calls get a fast 503', async () => {
    const conversation = await api.createConversation(USER);
    await proxy.cut();

    let started = performance.now();
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(ready.body.details.database).toEqual({
      status: 'down',
      message: 'PostgreSQL is not answering',
    });
    expect(JSON.stringify(ready.body)).not.toMatch(LEAKS);
    expect((await t.http.get('/health/live')).status).toBe(200);

    started = performance.now();
    const read = await t.http
      .get(`/api/v1/conversations/${conversation.id}/messages`)
      .set(api.auth(USER));
    expect(read.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(read.headers['retry-after']).toBe('1');
    expect(read.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the database is unavailable or too slow right now; retry shortly',
    });

    await proxy.open();
    const deadline = Date.now() + 15_000;
    let status = 503;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await t.http.get('/health/ready')).status;
    }
    expect(status).toBe(200);
  }, 30_000);
});

describe('with Redis unreachable', () => {
  it('stays ready (200) and reports Redis degraded', async () => {
    const t = await startTestApp({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(await freePort()) });
    try {
      const response = await t.http.get('/health/ready');
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('degraded');
      expect(response.body.details.redis).toEqual({
        status: 'degraded',
        store: 'redis',
        message: 'Redis is not answering: serving without the cache',
      });
      expect(response.body.details.database.status).toBe('up');
    } finally {
      await t.close();
    }
  });
});
