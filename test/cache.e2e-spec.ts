import { createClient } from '@keyv/redis';
import { ApiClient } from './support/api-client';
import { metricValue } from './support/metrics';
import { TestRedisServer } from './support/redis-server';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const ALICE = 601;
const BOB = 602;
const environment = testEnvironment();
const describeWithRedis = environment.redis ? describe : describe.skip;
if (!environment.redis) console.log(`cache tests skipped: ${environment.redisMissingReason}`);

describeWithRedis('session cache on Redis', () => {
  const prefix = `chatbot-test-${environment.runId}-cache`;
  const redisEnv = {
    REDIS_HOST: environment.redis?.host ?? '',
    REDIS_PORT: String(environment.redis?.port ?? ''),
    REDIS_KEY_PREFIX: prefix,
    CACHE_TTL_SECONDS: '300',
  };
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp(redisEnv);
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (path: string, userId: number) => t.http.get(path).set(api.auth(userId));

  it('answers MISS, then HIT with the same body', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '캐시 확인' });
    const first = await get(`/api/v1/conversations/${conversation.id}`, ALICE);
    const second = await get(`/api/v1/conversations/${conversation.id}`, ALICE);
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    expect(second.body).toEqual(first.body);
  });

  it("never serves user A's cached answer to user B: 404 or B's own data, and MISS", async () => {
    const conversation = await api.createConversation(ALICE, { title: 'A only' });
    const path = `/api/v1/conversations/${conversation.id}`;
    await get(path, ALICE);
    expect((await get(path, ALICE)).headers['x-cache']).toBe('HIT');
    const asBob = await get(path, BOB);
    expect(asBob.status).toBe(404);
    expect(asBob.headers['x-cache']).toBe('MISS');
    for (const sharedPath of ['/api/v1/conversations', `${path}/messages`]) {
      await get(sharedPath, ALICE);
      const bobs = await get(sharedPath, BOB);
      expect(bobs.headers['x-cache']).toBe('MISS');
      expect(JSON.stringify(bobs.body)).not.toContain('A only');
    }
  });

  it('shows every kind of write on the next read: append, rename, metadata, delete', async () => {
    const conversation = await api.createConversation(ALICE, {
      title: 'before',
      initial_message: 'one',
    });
    const path = `/api/v1/conversations/${conversation.id}`;
    const warm = async (): Promise<void> => {
      for (const read of [path, `${path}/messages`, '/api/v1/conversations']) {
        await get(read, ALICE);
        expect([read, (await get(read, ALICE)).headers['x-cache']]).toEqual([read, 'HIT']);
      }
    };

    await warm();
    await api.append(ALICE, conversation.id, {
      role: 'assistant',
      content: 'two',
      agent_used: 'regulation_agent',
    });
    expect(
      (await get(path, ALICE)).body.recent_messages.map((m: { content: string }) => m.content),
    ).toEqual(['one', 'two']);
    expect((await get(`${path}/messages`, ALICE)).body.total_count).toBe(2);
    const listed = (await get('/api/v1/conversations', ALICE)).body.conversations.find(
      (c: { id: string }) => c.id === conversation.id,
    );
    expect(listed).toMatchObject({ message_count: 2, last_agent_used: 'regulation_agent' });

    await warm();
    await t.http.patch(path).set(api.auth(ALICE)).send({ title: 'after' }).expect(200);
    expect((await get(path, ALICE)).body.title).toBe('after');
    expect(
      (await get('/api/v1/conversations', ALICE)).body.conversations.find(
        (c: { id: string }) => c.id === conversation.id,
      ).title,
    ).toBe('after');

    await warm();
    await t.http
      .put(path)
      .set(api.auth(ALICE))
      .send({ metadata: { pinned: true } })
      .expect(200);
    expect((await get(path, ALICE)).body.metadata).toEqual({ pinned: true });

    await warm();
    await t.http.delete(path).set(api.auth(ALICE)).expect(204);
    expect((await get(path, ALICE)).status).toBe(404);
    expect((await get(`${path}/messages`, ALICE)).status).toBe(404);
    expect(
      (await get('/api/v1/conversations', ALICE)).body.conversations.map(
        (c: { id: string }) => c.id,
      ),
    ).not.toContain(conversation.id);
  });

  it('serves a hit without touching PostgreSQL', async () => {
    const conversation = await api.createConversation(ALICE, {
      initial_message: 'count my queries',
    });
    const path = `/api/v1/conversations/${conversation.id}`;
    const queries = () => metricValue(t.http, 'db_query_duration_seconds_count{outcome="ok"}');
    const beforeMiss = await queries();
    expect((await get(path, ALICE)).headers['x-cache']).toBe('MISS');
    const afterMiss = await queries();
    expect(afterMiss).toBeGreaterThan(beforeMiss);
    expect((await get(path, ALICE)).headers['x-cache']).toBe('HIT');
    expect(await queries()).toBe(afterMiss);
  });

  it('keeps two replicas consistent: a write through one is seen by a read through the other', async () => {
    const replica = await startTestApp(redisEnv, t.db);
    try {
      const conversation = await api.createConversation(ALICE, { title: 'shared' });
      const path = `/api/v1/conversations/${conversation.id}`;
      await get(path, ALICE);
      expect((await get(path, ALICE)).headers['x-cache']).toBe('HIT');
      await replica.http
        .post(`${path}/messages`)
        .set(api.auth(ALICE))
        .send({ role: 'user', content: 'via the other replica' })
        .expect(201);
      const read = await get(path, ALICE);
      expect(read.headers['x-cache']).toBe('MISS');
      expect(read.body.recent_messages.map((m: { content: string }) => m.content)).toEqual([
        'via the other replica',
      ]);
    } finally {
      await replica.close();
    }
  });

  it('leaves only prefixed keys that name the user, carry a TTL and hold no token or message text', async () => {
    const token = api.auth(ALICE).Authorization.slice('Bearer '.length);
    const client = createClient({
      socket: { host: environment.redis!.host, port: environment.redis!.port },
    });
    await client.connect();
    try {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 }))
        keys.push(...batch);
      expect(keys.length).toBeGreaterThan(5);
      for (const key of keys) {
        expect(key).toMatch(new RegExp(`^${prefix}:\\{u:(${ALICE}|${BOB})\\}:`));
        expect(key).not.toContain(token);
        expect(key).not.toMatch(/[가-힣]|count my queries/);
        expect(await client.pTTL(key)).toBeGreaterThan(0);
      }
    } finally {
      client.destroy();
    }
  });
});

describeWithRedis('with Redis dying and coming back', () => {
  let redis: TestRedisServer;
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    t = await startTestApp({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_KEY_PREFIX: 'fault',
    });
    api = await ApiClient.forUsers(t.http, [ALICE]);
  });

  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('keeps answering from PostgreSQL within the bound, reports Redis degraded, and uses Redis again when it returns', async () => {
    const conversation = await api.createConversation(ALICE, {
      initial_message: 'before the outage',
    });
    const path = `/api/v1/conversations/${conversation.id}`;
    await t.http.get(path).set(api.auth(ALICE));
    expect((await t.http.get(path).set(api.auth(ALICE))).headers['x-cache']).toBe('HIT');

    await redis.kill();
    const slowest: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      let started = performance.now();
      const write = await t.http
        .post(`${path}/messages`)
        .set(api.auth(ALICE))
        .send({ role: 'user', content: `during ${i}` });
      slowest.push(performance.now() - started);
      expect(write.status).toBe(201);
      started = performance.now();
      const read = await t.http.get(path).set(api.auth(ALICE));
      slowest.push(performance.now() - started);
      expect(read.status).toBe(200);
      expect(read.headers['x-cache']).toBe('MISS');
      expect(read.body.message_count).toBe(i + 2);
      expect(read.body.recent_messages.at(-1).content).toBe(`during ${i}`);
    }
    expect(Math.max(...slowest)).toBeLessThan(1_000);
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.details.redis.status).toBe('degraded');
    expect(JSON.stringify(ready.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    // The writes' invalidations failed; the reads of a user with a lost invalidation skip Redis.
    expect(await metricValue(t.http, 'cache_errors_total{operation="set"}')).toBeGreaterThan(0);

    await redis.restart();
    const deadline = Date.now() + 15_000;
    let cache = 'MISS';
    while (cache !== 'HIT' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      cache = String((await t.http.get(path).set(api.auth(ALICE))).headers['x-cache']);
    }
    expect(cache).toBe('HIT');
    const hit = await t.http.get(path).set(api.auth(ALICE));
    expect(hit.body.message_count).toBe(11);
  }, 40_000);
});
