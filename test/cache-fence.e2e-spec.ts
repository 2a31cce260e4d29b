import { ApiClient } from './support/api-client';
import { metricValue } from './support/metrics';
import { TestRedisServer } from './support/redis-server';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const ALICE = 1701;

/**
 * Two replicas on one database and one Redis; replica B reaches Redis through a proxy the test
 * cuts, as a stalled link or a lost node would: B's writes cannot invalidate the cache in Redis,
 * while replica A keeps serving from it.
 */
describe('a write whose replica lost Redis', () => {
  let redis: TestRedisServer;
  let proxy: TcpProxy;
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: redis.port });
    db = await createTestDatabase();
    const shared = {
      REDIS_HOST: '127.0.0.1',
      REDIS_KEY_PREFIX: 'fence',
      CACHE_TTL_SECONDS: '3600',
    };
    a = await startTestApp({ ...shared, REDIS_PORT: String(redis.port) }, db);
    b = await startTestApp({ ...shared, REDIS_PORT: String(proxy.port) }, db);
    api = await ApiClient.forUsers(a.http, [ALICE]);
  });

  afterAll(async () => {
    await a.close();
    await b.close().catch(() => undefined);
    await proxy.cut();
    await redis.kill();
    await db.drop();
  });

  const read = (t: TestApp, path: string) => t.http.get(path).set(api.auth(ALICE));

  it('is visible to the next read on the replica that kept Redis, even once the writer is gone', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '곧 지울 대화' });
    const path = `/api/v1/conversations/${conversation.id}`;
    const list = '/api/v1/conversations';
    for (const target of [path, `${path}/messages`, list]) await read(a, target);
    expect((await read(a, path)).headers['x-cache']).toBe('HIT');
    expect((await read(a, list)).headers['x-cache']).toBe('HIT');

    await proxy.cut();
    const started = performance.now();
    const deleted = await b.http.delete(path).set(api.auth(ALICE));
    const tookMs = performance.now() - started;
    expect(deleted.status).toBe(204);
    // B waited for A to see the record it could not make in Redis: a lease at most.
    expect(tookMs).toBeLessThan(4_000);
    expect(await metricValue(b.http, 'cache_invalidations_recorded_total')).toBeGreaterThan(0);

    expect((await read(a, path)).status).toBe(404);
    expect((await read(a, `${path}/messages`)).status).toBe(404);
    expect((await read(a, list)).body.conversations).toEqual([]);

    await b.close();
    expect((await read(a, path)).status).toBe(404);
    const { rows } = await db.client.query(`SELECT count(*)::int AS n FROM cache_invalidations`);
    expect(rows[0].n).toBe(0);
  });
});

describe('one replica that loses Redis and gets it back', () => {
  let redis: TestRedisServer;
  let proxy: TcpProxy;
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: redis.port });
    t = await startTestApp({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(proxy.port),
      REDIS_KEY_PREFIX: 'fence-one',
    });
    api = await ApiClient.forUsers(t.http, [ALICE]);
  });

  afterAll(async () => {
    await t.close();
    await proxy.cut();
    await redis.kill();
  });

  it('never serves an entry older than a write it acknowledged, not even the first read after', async () => {
    const conversation = await api.createConversation(ALICE, { title: '옛 제목' });
    const path = `/api/v1/conversations/${conversation.id}`;
    await t.http.get(path).set(api.auth(ALICE));
    expect((await t.http.get(path).set(api.auth(ALICE))).headers['x-cache']).toBe('HIT');

    await proxy.cut();
    const renamed = await t.http.patch(path).set(api.auth(ALICE)).send({ title: '새 제목' });
    expect(renamed.status).toBe(200);
    await proxy.open();

    // Every read from now on, while Redis comes back and after, shows the new title.
    const deadline = Date.now() + 15_000;
    let cache = 'MISS';
    while (Date.now() < deadline) {
      const response = await t.http.get(path).set(api.auth(ALICE));
      expect(response.body.title).toBe('새 제목');
      cache = String(response.headers['x-cache']);
      if (cache === 'HIT') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(cache).toBe('HIT');
  }, 30_000);
});
