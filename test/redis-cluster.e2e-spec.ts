import { createClient, createCluster, type RedisClusterType } from '@keyv/redis';
import { existsSync } from 'node:fs';
import { TestRedisCluster } from './support/redis-cluster';
import { acceptsConnections } from './support/ports';
import { redisCli } from './support/redis-server';

const USERS = Array.from({ length: 30 }, (_, i) => i + 1);

/** Retries `read` until it answers (a cluster client learns a failover on its own time). */
async function eventually<T>(read: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('a test-owned Redis Cluster: 3 masters, a replica each', () => {
  let cluster: TestRedisCluster;
  let client: RedisClusterType;

  beforeAll(async () => {
    cluster = await TestRedisCluster.start();
    client = createCluster({ rootNodes: cluster.rootNodes });
    client.on('error', () => undefined);
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await cluster?.stop();
  });

  it("spreads users over all three masters and keeps each user's keys in one slot", async () => {
    const topology = await cluster.topology();
    const masters = topology.filter((node) => node.role === 'master').map((node) => node.port);
    expect(masters).toHaveLength(3);
    expect(
      topology
        .filter((node) => node.role === 'replica')
        .map((node) => node.masterPort)
        .sort(),
    ).toEqual([...masters].sort());
    for (const user of USERS) {
      await client.set(`{u:${user}}:version`, `v${user}`);
      await client.set(`{u:${user}}:entry`, `e${user}`);
    }
    const owners = await Promise.all(USERS.map((user) => cluster.masterOf(`{u:${user}}:version`)));
    expect(new Set(owners)).toEqual(new Set(masters));
    for (const user of USERS) {
      expect(await client.get(`{u:${user}}:version`)).toBe(`v${user}`);
      expect(await client.get(`{u:${user}}:entry`)).toBe(`e${user}`);
    }
    // One user's keys share a slot, so one transaction may hold several of them.
    const [count, , version] = await client
      .multi()
      .incr('{u:7}:rate')
      .expire('{u:7}:rate', 60)
      .get('{u:7}:version')
      .exec();
    expect([count, version]).toEqual([1, 'v7']);
  });

  it("keeps serving every slot when a master is killed: its replica takes the master's slots", async () => {
    const key = '{u:1}:version';
    const master = await cluster.masterOf(key);
    // Written on the master and acknowledged by its replica before the kill.
    const direct = createClient({ url: `redis://127.0.0.1:${master}` });
    direct.on('error', () => undefined);
    await direct.connect();
    try {
      await direct.set(key, 'before the kill');
      expect(await direct.sendCommand(['WAIT', '1', '2000'])).toBe(1);
    } finally {
      direct.destroy();
    }

    await cluster.killMaster(master);

    const promoted = await cluster.masterOf(key);
    expect(promoted).not.toBe(master);
    // A client that starts now learns the new topology. (A node-redis 5 cluster client that was
    // connected to the killed master keeps queueing that slot's commands for it: it rediscovers
    // only on MOVED or ASK, which a dead node cannot send. The app's integration must handle it.)
    const after = createCluster({ rootNodes: cluster.rootNodes });
    after.on('error', () => undefined);
    await after.connect();
    try {
      expect(await after.get(key)).toBe('before the kill');
      for (const user of USERS) expect(await after.get(`{u:${user}}:entry`)).toBe(`e${user}`);
      await after.set(key, 'after the kill');
      expect(await after.get(key)).toBe('after the kill');
    } finally {
      after.destroy();
    }

    await cluster.restartNode(master);
    const rejoined = (await cluster.topology()).find((node) => node.port === master);
    expect(rejoined).toMatchObject({ role: 'replica', masterPort: promoted });
  }, 60_000);
});

describe('a test-owned Redis Cluster without replicas', () => {
  it('refuses every command once a master is lost, and leaves nothing behind when stopped', async () => {
    const cluster = await TestRedisCluster.start({ replicasPerMaster: 0 });
    try {
      const [lost, ...survivors] = cluster.ports;
      await cluster.killMaster(lost);
      // cluster-require-full-coverage: with slots unserved, no node answers for any key.
      await eventually(async () => {
        expect(await redisCli(survivors[0], ['cluster', 'info'])).toMatch(/cluster_state:fail/);
      });
      expect(await redisCli(survivors[0], ['set', 'anything', 'x'])).toMatch(/CLUSTERDOWN/);
    } finally {
      await cluster.stop();
    }
    for (const port of cluster.ports) expect(await acceptsConnections(port)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
  }, 60_000);
});
