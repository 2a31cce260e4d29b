import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app-process';
import { redisCli, TestRedisServer } from './redis-server';

export interface ClusterNode {
  port: number;
  role: 'master' | 'replica';
  /** Slot ranges a master serves, inclusive. */
  slots: Array<[number, number]>;
  /** For a replica, the port of its master. */
  masterPort?: number;
}

/** After this long without an answer a node counts as failed and its replica takes over. */
const NODE_TIMEOUT_MS = 1000;
const SETTLE_MS = 20_000;

/**
 * A Redis Cluster owned by one test: `masters` masters, each with `replicasPerMaster` replicas, all
 * on free loopback ports (cluster bus ports too) with their files under /tmp. With one replica per
 * master (the default) the cluster survives a killed master: its replica takes its slots over.
 * Without replicas, the killed master's slots are lost and the whole cluster refuses commands
 * (`cluster-require-full-coverage`), which is the other case a test may want.
 */
export class TestRedisCluster {
  private constructor(
    /** Where the nodes keep their files (removed by stop). */
    readonly dir: string,
    private readonly nodes: TestRedisServer[],
  ) {}

  static async start(
    options: { masters?: number; replicasPerMaster?: number } = {},
  ): Promise<TestRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 1;
    const dir = await mkdtemp(join(tmpdir(), 'chatbot-test-redis-cluster-'));
    const ports = await distinctFreePorts(2 * masters * (1 + replicas));
    const nodes: TestRedisServer[] = [];
    const cluster = new TestRedisCluster(dir, nodes);
    try {
      for (let i = 0; i < ports.length; i += 2) {
        const [port, busPort] = [ports[i], ports[i + 1]];
        nodes.push(
          await TestRedisServer.start({
            port,
            args: [
              ...['--cluster-enabled', 'yes', '--cluster-port', String(busPort)],
              ...['--cluster-config-file', join(dir, `nodes-${port}.conf`)],
              ...['--cluster-node-timeout', String(NODE_TIMEOUT_MS), '--dir', dir],
            ],
          }),
        );
      }
      await redisCli(nodes[0].port, [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ]);
      await cluster.settle();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Where a cluster client starts: every node (it learns the slots from any of them). */
  get rootNodes(): Array<{ url: string }> {
    return this.nodes.map((node) => ({ url: `redis://127.0.0.1:${node.port}` }));
  }

  /** The live nodes as the cluster sees them now. */
  async topology(): Promise<ClusterNode[]> {
    const live = this.nodes.find((node) => node.running);
    if (!live) throw new Error('no node of the cluster is running');
    const lines = (await redisCli(live.port, ['cluster', 'nodes'])).split('\n').filter(Boolean);
    const fields = lines.map((line) => line.split(' '));
    const portOf = new Map(
      fields.map(([id, address]) => [id, Number(/:(\d+)@/.exec(address)?.[1])]),
    );
    return fields
      .filter(([, , flags]) => !/fail|handshake|noaddr/.test(flags))
      .map(([, address, flags, master, , , , , ...slots]) => ({
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        role: flags.includes('master') ? ('master' as const) : ('replica' as const),
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => slot.split('-').map(Number))
          .map(([start, end]) => [start, end ?? start] as [number, number]),
        masterPort: master === '-' ? undefined : portOf.get(master),
      }));
  }

  /** The master serving a key's slot now. */
  async masterOf(key: string): Promise<number> {
    const slot = Number(await redisCli(this.nodes[0].port, ['cluster', 'keyslot', key]));
    const master = (await this.topology()).find(
      (node) =>
        node.role === 'master' && node.slots.some(([start, end]) => slot >= start && slot <= end),
    );
    if (!master) throw new Error(`no live master serves slot ${slot}`);
    return master.port;
  }

  /**
   * Kills a master the hard way (SIGKILL, as a lost machine). With a replica, resolves once the
   * replica has taken its slots over and every live node says the cluster is whole again.
   */
  async killMaster(port: number): Promise<void> {
    const node = this.nodes.find((candidate) => candidate.port === port);
    const role = (await this.topology()).find((candidate) => candidate.port === port)?.role;
    if (!node || role !== 'master') throw new Error(`${port} is not a live master`);
    const hadReplica = (await this.topology()).some((candidate) => candidate.masterPort === port);
    await node.kill();
    if (hadReplica) await this.settle();
  }

  /** Starts a killed node again: it rejoins, as a replica of whoever took its slots. */
  async restartNode(port: number): Promise<void> {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node || node.running) throw new Error(`${port} is not a stopped node of this cluster`);
    await node.restart();
    await this.settle();
  }

  /** Every port this cluster uses for clients. */
  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Waits until every live node reports the cluster whole, every slot has a live master and every
   * replica is in sync (so that a write acknowledged by a replica survives its master).
   */
  private async settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const states = await Promise.all(
        this.nodes
          .filter((node) => node.running)
          .map((node) => redisCli(node.port, ['cluster', 'info']).catch(() => '')),
      );
      const whole = states.every((info) => /cluster_state:ok/.test(info));
      if (whole && (await this.coveredSlots()) === 16384 && (await this.replicasInSync())) return;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not settle:\n${states[0]}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Whether every live replica has finished its sync and follows its master. */
  private async replicasInSync(): Promise<boolean> {
    const replicas = (await this.topology()).filter((node) => node.role === 'replica');
    const links = await Promise.all(
      replicas.map((node) => redisCli(node.port, ['info', 'replication']).catch(() => '')),
    );
    return links.every((info) => /master_link_status:up/.test(info));
  }

  private async coveredSlots(): Promise<number> {
    return (await this.topology())
      .filter((node) => node.role === 'master')
      .flatMap((node) => node.slots)
      .reduce((total, [start, end]) => total + end - start + 1, 0);
  }
}

/** Free loopback ports, no two the same. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
