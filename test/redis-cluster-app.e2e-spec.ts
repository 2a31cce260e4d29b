import { createRedisClient, type RedisConnection } from '../src/redis/redis-client';
import { ApiClient } from './support/api-client';
import { metricValue } from './support/metrics';
import { TestRedisCluster } from './support/redis-cluster';
import { deleteKeysMatching, keysMatching } from './support/redis-keys';
import { redisCli } from './support/redis-server';
import {
  dbSetupTest,
  FAILOVER_REQUEST_BOUND_MS,
  readUntilHit,
  waitForRedis,
  writeAndReadThroughout,
} from './support/redis-outage';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const PREFIX = 'on-cluster';
const USERS = Array.from({ length: 24 }, (_, i) => 2101 + i);
const LIMITED = 2199;

describe('the app on a 3-master Redis Cluster (a replica each)', () => {
  let cluster: TestRedisCluster;
  let t: TestApp;
  let api: ApiClient;
  let inspect: RedisConnection;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await TestRedisCluster.start();
    const [seed, ...others] = cluster.ports;
    env = {
      REDIS_MODE: 'cluster',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(seed),
      REDIS_CLUSTER_NODES: others.map((port) => `127.0.0.1:${port}`).join(','),
      REDIS_KEY_PREFIX: PREFIX,
    };
    // A replica address that is not a standby: never read from, but every write records its
    // position in the cluster, in the writer's slot.
    const { postgres } = testEnvironment();
    t = await startTestApp({
      ...env,
      POSTGRES_READ_HOSTS: `${postgres.host}:${postgres.port}`,
      RATE_LIMIT_PER_MINUTE: '1000000',
    });
    api = await ApiClient.forUsers(t.http, [...USERS, LIMITED]);
    await waitForRedis(t.http);
    inspect = createRedisClient(t.config.redis!, { reconnect: true });
    await inspect.connect();
  }, 60_000);

  afterAll(async () => {
    inspect?.destroy();
    await t?.close();
    await cluster?.stop();
  });

  async function hitAfterMiss(userId: number, path: string): Promise<string[]> {
    const caches: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const response = await t.http.get(path).set(api.auth(userId));
      expect(response.status).toBe(200);
      caches.push(String(response.headers['x-cache']));
    }
    return caches;
  }

  it("caches on every master, each user's keys (version, entries, write position) in one slot", async () => {
    const paths = new Map<number, string>();
    for (const user of USERS) {
      const conversation = await api.createConversation(user, { initial_message: `hello ${user}` });
      paths.set(user, `/api/v1/conversations/${conversation.id}`);
      expect(await hitAfterMiss(user, paths.get(user)!)).toEqual(['MISS', 'HIT']);
    }
    const keys = await keysMatching(inspect, `${PREFIX}:*`);
    const masters = new Set<number>();
    for (const user of USERS) {
      const own = keys.filter((key) => key.startsWith(`${PREFIX}:{u:${user}}:`));
      expect(own.map((key) => key.split(':').at(-1)).sort()).toEqual(
        expect.arrayContaining(['version', 'wal']),
      );
      expect(own.some((key) => key.includes(':answer:'))).toBe(true);
      const slots = new Set(
        await Promise.all(
          own.map((key) => redisCli(cluster.ports[0], ['cluster', 'keyslot', key])),
        ),
      );
      expect([user, slots.size]).toEqual([user, 1]);
      masters.add(await cluster.masterOf(own[0]));
    }
    expect(masters.size).toBe(3);
    expect(keys.every((key) => /^on-cluster:\{u:\d+\}:/.test(key))).toBe(true);
  });

  it("keeps answering within the bound when a user's master is killed, and caches again after the failover", async () => {
    const [user] = USERS;
    const conversation = await api.createConversation(user, { initial_message: 'before the kill' });
    const path = `/api/v1/conversations/${conversation.id}`;
    expect(await hitAfterMiss(user, path)).toEqual(['MISS', 'HIT']);
    const master = await cluster.masterOf(`${PREFIX}:{u:${user}}:version`);

    const outage = await writeAndReadThroughout(
      cluster.killMaster(master),
      t.http,
      api.auth(user),
      path,
      1,
    );
    expect(outage.reads).toEqual(outage.reads.map((_, i) => [200, i + 2]));
    expect(Math.max(...outage.timings)).toBeLessThan(FAILOVER_REQUEST_BOUND_MS);
    expect(await metricValue(t.http, 'cache_errors_total{operation="get"}')).toBeGreaterThan(0);
    expect(await metricValue(t.http, 'rate_limit_fail_open_total')).toBeGreaterThan(0);

    // After the failover the client learns the new master: hits again, and the writes made
    // meanwhile are all there.
    expect(await readUntilHit(t.http, api.auth(user), path)).toEqual({
      cache: 'HIT',
      messageCount: outage.messages,
    });
    expect((await t.http.get('/health/ready')).body.details.redis.status).toBe('up');
    await cluster.restartNode(master);
  }, 90_000);

  it('passes db:setup --test, which pings every master', async () => {
    const result = await dbSetupTest(env, t.db.name);
    expect([result.code, result.stdout]).toEqual([0, expect.stringContaining('Redis: ok')]);
  });

  it("SCANs every master for the run's keys and deletes them one by one", async () => {
    expect(await deleteKeysMatching(inspect, `${PREFIX}:*`)).toBeGreaterThan(USERS.length);
    expect(await keysMatching(inspect, `${PREFIX}:*`)).toEqual([]);
  });

  // Last: a second app in this process takes over the process-wide transaction host, and the
  // first one's @Transactional() writes would not work after it has closed.
  it('counts the rate limit in the cluster: a MULTI on the user slot', async () => {
    const limited = await startTestApp({ ...env, RATE_LIMIT_PER_MINUTE: '3' }, t.db);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push(
          (await limited.http.get('/api/v1/conversations').set(api.auth(LIMITED))).status,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const counter = `${PREFIX}:{u:${LIMITED}}:ratelimit:default`;
      expect(await inspect.commands.get(counter)).toBe('5');
      expect(await inspect.commands.pTTL(counter)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
