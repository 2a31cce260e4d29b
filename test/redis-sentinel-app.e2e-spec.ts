import { createRedisClient, type RedisConnection } from '../src/redis/redis-client';
import { ApiClient } from './support/api-client';
import { deleteKeysMatching, keysMatching } from './support/redis-keys';
import { redisCli } from './support/redis-server';
import { TestRedisSentinel } from './support/redis-sentinel';
import {
  dbSetupTest,
  FAILOVER_REQUEST_BOUND_MS,
  readUntilHit,
  waitForRedis,
  writeAndReadThroughout,
} from './support/redis-outage';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const PREFIX = 'on-sentinel';
const USER = 2201;

describe('the app on a Sentinel-managed Redis (a primary, a replica, three sentinels)', () => {
  let setup: TestRedisSentinel;
  let t: TestApp;
  let api: ApiClient;
  let inspect: RedisConnection;
  let env: Record<string, string>;

  beforeAll(async () => {
    setup = await TestRedisSentinel.start();
    env = {
      REDIS_MODE: 'sentinel',
      REDIS_SENTINELS: setup.sentinels.map(({ host, port }) => `${host}:${port}`).join(','),
      REDIS_SENTINEL_NAME: TestRedisSentinel.NAME,
      REDIS_KEY_PREFIX: PREFIX,
    };
    // A replica address that is not a standby: never read from, but every write records its
    // position in Redis.
    const { postgres } = testEnvironment();
    t = await startTestApp({ ...env, POSTGRES_READ_HOSTS: `${postgres.host}:${postgres.port}` });
    api = await ApiClient.forUsers(t.http, [USER]);
    await waitForRedis(t.http);
    inspect = createRedisClient(t.config.redis!, { reconnect: true });
    await inspect.connect();
  }, 60_000);

  afterAll(async () => {
    inspect?.destroy();
    await t?.close();
    await setup?.stop();
  });

  let path: string;
  /** Messages the conversation holds. */
  let messages = 0;

  it('caches, counts and remembers write positions on the primary the sentinels name', async () => {
    const conversation = await api.createConversation(USER, { initial_message: 'first' });
    path = `/api/v1/conversations/${conversation.id}`;
    messages = 1;
    const caches = [];
    for (let i = 0; i < 2; i += 1)
      caches.push((await t.http.get(path).set(api.auth(USER))).headers['x-cache']);
    expect(caches).toEqual(['MISS', 'HIT']);
    const keys = await keysMatching(inspect, `${PREFIX}:*`);
    for (const suffix of ['version', 'wal', 'ratelimit:default']) {
      expect(keys).toContain(`${PREFIX}:{u:${USER}}:${suffix}`);
    }
    expect(await inspect.commands.pTTL(`${PREFIX}:{u:${USER}}:wal`)).toBeGreaterThan(0);
  });

  it('keeps answering within the bound while the primary is killed and failed over, then caches again', async () => {
    const killed = await setup.primaryPort();
    try {
      const outage = await writeAndReadThroughout(
        setup.killPrimary(),
        t.http,
        api.auth(USER),
        path,
        messages,
      );
      expect(outage.reads).toEqual(outage.reads.map((_, i) => [200, messages + i + 1]));
      messages = outage.messages;
      expect(Math.max(...outage.timings)).toBeLessThan(FAILOVER_REQUEST_BOUND_MS);
      expect(await readUntilHit(t.http, api.auth(USER), path)).toEqual({
        cache: 'HIT',
        messageCount: messages,
      });
    } finally {
      // Back as a replica of the new primary, for the next failover.
      await setup.restart(killed);
    }
  }, 90_000);

  it('follows a failover asked of the sentinels: the old primary, now a replica, is not written to', async () => {
    const switched = await writeAndReadThroughout(
      setup.failover(),
      t.http,
      api.auth(USER),
      path,
      messages,
    );
    expect(switched.reads).toEqual(switched.reads.map((_, i) => [200, messages + i + 1]));
    messages = switched.messages;
    expect(Math.max(...switched.timings)).toBeLessThan(FAILOVER_REQUEST_BOUND_MS);
    expect(await readUntilHit(t.http, api.auth(USER), path)).toEqual({
      cache: 'HIT',
      messageCount: messages,
    });
    // A write now replaces the user's cache version on the new primary: the next read misses,
    // then hits with it.
    const version = `${PREFIX}:{u:${USER}}:version`;
    const primary = await setup.primaryPort();
    const before = await redisCli(primary, ['get', version]);
    await api.append(USER, path.split('/').at(-1)!, { role: 'user', content: 'after' });
    expect(await redisCli(primary, ['get', version])).not.toBe(before);
    const read = await t.http.get(path).set(api.auth(USER));
    expect([read.headers['x-cache'], read.body.message_count]).toEqual(['MISS', messages + 1]);
  }, 90_000);

  it('passes db:setup --test against the primary the sentinels name', async () => {
    const result = await dbSetupTest(env, t.db.name);
    expect([result.code, result.stdout]).toEqual([0, expect.stringContaining('Redis: ok')]);
  });

  it("SCANs the primary for the run's keys and deletes them", async () => {
    expect(await deleteKeysMatching(inspect, `${PREFIX}:*`)).toBeGreaterThan(2);
    expect(await keysMatching(inspect, `${PREFIX}:*`)).toEqual([]);
  });
});
