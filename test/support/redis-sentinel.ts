import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app-process';
import { redisCli, TestRedisServer } from './redis-server';

const SETTLE_MS = 30_000;

/**
 * A Sentinel-managed Redis owned by one test: a primary, a replica and three sentinels (quorum 2),
 * on free loopback ports with their files under /tmp. A primary that stops answering for a second
 * is failed over. The shared Redis is never touched.
 */
export class TestRedisSentinel {
  static readonly NAME = 'chatbot';

  private constructor(
    /** Where the sentinels keep their rewritten configuration (removed by stop). */
    readonly dir: string,
    private readonly servers: TestRedisServer[],
    private readonly sentinelServers: TestRedisServer[],
  ) {}

  static async start(): Promise<TestRedisSentinel> {
    const dir = await mkdtemp(join(tmpdir(), 'chatbot-test-redis-sentinel-'));
    const servers: TestRedisServer[] = [];
    const sentinels: TestRedisServer[] = [];
    const setup = new TestRedisSentinel(dir, servers, sentinels);
    try {
      // In the setup's folder: a replica keeps the copy it syncs from in a file.
      const primary = await TestRedisServer.start({ args: ['--dir', dir] });
      servers.push(primary);
      servers.push(
        await TestRedisServer.start({
          args: ['--dir', dir, '--replicaof', '127.0.0.1', String(primary.port)],
        }),
      );
      for (let i = 0; i < 3; i += 1) {
        const port = await freePort();
        const configFile = join(dir, `sentinel-${port}.conf`);
        await writeFile(
          configFile,
          [
            `sentinel monitor ${TestRedisSentinel.NAME} 127.0.0.1 ${primary.port} 2`,
            `sentinel down-after-milliseconds ${TestRedisSentinel.NAME} 1000`,
            // Also how long a sentinel waits before it may fail the same primary over again
            // (twice this): short, so that a test can fail over twice in a row.
            `sentinel failover-timeout ${TestRedisSentinel.NAME} 2000`,
            `sentinel parallel-syncs ${TestRedisSentinel.NAME} 1`,
            '',
          ].join('\n'),
        );
        sentinels.push(
          await TestRedisServer.start({ port, configFile, args: ['--sentinel', '--dir', dir] }),
        );
      }
      await setup.settle({ replicasInSync: true });
      return setup;
    } catch (error) {
      await setup.stop();
      throw error;
    }
  }

  /** Where a Sentinel client starts. */
  get sentinels(): Array<{ host: string; port: number }> {
    return this.sentinelServers.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port }));
  }

  /** Every port this setup uses: the two data nodes and the three sentinels. */
  get ports(): number[] {
    return [...this.servers, ...this.sentinelServers].map((server) => server.port);
  }

  /** The primary's port, as the sentinels name it now. */
  async primaryPort(): Promise<number> {
    const live = this.sentinelServers.find((sentinel) => sentinel.running);
    if (!live) throw new Error('no sentinel is running');
    const answer = await redisCli(live.port, [
      'sentinel',
      'get-master-addr-by-name',
      TestRedisSentinel.NAME,
    ]);
    return Number(answer.split('\n')[1]);
  }

  /**
   * A failover the sentinels run at once (SENTINEL FAILOVER: no failure needed). Resolves with the
   * new primary's port once every sentinel names it and it says it is one. The old primary follows
   * it later, when a sentinel reconfigures it: not waited for here.
   */
  async failover(): Promise<number> {
    const before = await this.primaryPort();
    // A sentinel that ran the previous failover refuses another for a while: ask each in turn.
    await this.until(async () => {
      for (const sentinel of this.sentinelServers) {
        const answer = await redisCli(sentinel.port, [
          'sentinel',
          'failover',
          TestRedisSentinel.NAME,
        ]);
        if (answer === 'OK') return true;
      }
      return false;
    }, 'no sentinel would fail over');
    return this.waitForNewPrimary(before);
  }

  /**
   * Kills the primary the hard way (SIGKILL); the sentinels agree it is down and promote the
   * replica. Resolves with the new primary's port.
   */
  async killPrimary(): Promise<number> {
    const before = await this.primaryPort();
    const primary = this.servers.find((server) => server.port === before);
    if (!primary) throw new Error(`the primary ${before} is not one of this setup's servers`);
    // Something to promote: a replica in sync.
    await this.settle({ replicasInSync: true });
    await primary.kill();
    return this.waitForNewPrimary(before);
  }

  /**
   * Starts a killed data node again the way an orchestrator would: as a replica of the primary the
   * sentinels name. (Started as a primary, the sentinels would convert it only some 15 s later.)
   */
  async restart(port: number): Promise<void> {
    const server = this.servers.find((candidate) => candidate.port === port);
    if (!server || server.running) throw new Error(`${port} is not a stopped data node`);
    await server.restart([
      '--dir',
      this.dir,
      '--replicaof',
      '127.0.0.1',
      String(await this.primaryPort()),
    ]);
    await this.settle({ replicasInSync: true });
  }

  async stop(): Promise<void> {
    for (const server of [...this.sentinelServers, ...this.servers]) await server.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async waitForNewPrimary(before: number): Promise<number> {
    await this.until(async () => (await this.primaryPort()) !== before, 'no new primary');
    await this.settle({ replicasInSync: false });
    return this.primaryPort();
  }

  /**
   * Waits until every sentinel names the same primary, which says it is one, and knows the other
   * two sentinels; with `replicasInSync`, also until every other running data node follows it.
   */
  private async settle(wanted: { replicasInSync: boolean }): Promise<void> {
    await this.until(async () => {
      const views = await Promise.all(
        this.sentinelServers
          .filter((sentinel) => sentinel.running)
          .map((sentinel) =>
            redisCli(sentinel.port, ['sentinel', 'master', TestRedisSentinel.NAME]).then(fields),
          ),
      );
      const ports = new Set(views.map((view) => view.port));
      if (ports.size !== 1) return false;
      const primary = Number([...ports][0]);
      const followers = this.servers.filter((server) => server.running).length - 1;
      return (
        (await redisCli(primary, ['role'])).startsWith('master') &&
        views.every(
          (view) =>
            view.flags === 'master' &&
            Number(view['num-other-sentinels']) === this.sentinelServers.length - 1,
        ) &&
        (!wanted.replicasInSync || (await this.replicasInSync(primary)) === followers)
      );
    }, 'the sentinels did not settle');
  }

  /** How many replicas of this primary are connected and in sync. */
  private async replicasInSync(primary: number): Promise<number> {
    const followers = this.servers.filter((server) => server.running && server.port !== primary);
    const states = await Promise.all(
      followers.map((server) => redisCli(server.port, ['info', 'replication'])),
    );
    return states.filter(
      (info) => info.includes(`master_port:${primary}`) && info.includes('master_link_status:up'),
    ).length;
  }

  private async until(condition: () => Promise<boolean>, failure: string): Promise<void> {
    const deadline = Date.now() + SETTLE_MS;
    while (!(await condition().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(failure);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** redis-cli's flat "name\nvalue\n..." answer as an object. */
function fields(answer: string): Record<string, string> {
  const lines = answer.split('\n');
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) result[lines[i]] = lines[i + 1];
  return result;
}
