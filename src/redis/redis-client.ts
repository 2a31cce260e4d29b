import {
  createClient,
  createCluster,
  createSentinel,
  type RedisClientType,
  type RedisClusterType,
  type RedisSentinelType,
} from '@keyv/redis';
import type { RedisConfig, RedisMode } from '../config/app-config';
import { withTimeout } from '../common/with-timeout';
import { addressName } from '../config/load-config';

/** How long connecting may take before a client reports Redis unreachable. */
export const REDIS_CONNECT_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 2000;
/**
 * How often a cluster client with a master it cannot reach asks the cluster for its topology
 * again. node-redis learns of a failover only from MOVED/ASK, which a dead master never sends.
 */
export const TOPOLOGY_REFRESH_MS = 500;
/** A primary named by the sentinels that takes longer than this to PING back counts as lost. */
const PROBE_TIMEOUT_MS = 250;

/**
 * The client of the mode. Its commands mean the same in every mode; in a cluster each goes to its
 * key's slot, so a MULTI or a script may only name keys of one slot (one user's keys share a slot:
 * cache-keys.ts tags them).
 */
export type RedisCommands = RedisClientType | RedisClusterType | RedisSentinelType;

/** One Redis as the service uses it: a single server, a cluster, or a primary Sentinel names. */
export interface RedisConnection {
  readonly mode: RedisMode;
  readonly commands: RedisCommands;
  /** Whether a command can be sent now: connected, and in a cluster with the slots known. */
  isReady(): boolean;
  /**
   * Connects. A long-lived connection (`reconnect: true`) resolves once connected and keeps
   * trying in the background until then; a one-shot one rejects on the first failure.
   */
  connect(): Promise<void>;
  /** A round trip to every primary (each master of a cluster). */
  ping(): Promise<void>;
  /** SCAN on every primary (each master holds its own keys), in batches. */
  scan(match: string): AsyncIterable<string[]>;
  /** Called with true once connected, false on each connection error. */
  onConnectionChange(listener: (connected: boolean) => void): void;
  /** Closes at once, without waiting for a server that may be gone. */
  destroy(): void;
}

/**
 * The one way this service builds a Redis client, in any REDIS_MODE. It fails fast rather than
 * queueing: commands are refused at once while disconnected (no offline queue) and connecting is
 * bounded. A long-lived client reconnects with a capped backoff; a one-shot check
 * (`reconnect: false`) gives up at once.
 */
export function createRedisClient(
  redis: RedisConfig,
  { reconnect }: { reconnect: boolean },
): RedisConnection {
  switch (redis.mode) {
    case 'standalone':
      return standalone(redis, reconnect);
    case 'cluster':
      return cluster(redis, reconnect);
    case 'sentinel':
      return sentinel(redis, reconnect);
  }
}

/** How a log line or an error names the Redis in use: addresses only, never a password. */
export function describeRedis(redis: RedisConfig): string {
  const nodes = redis.nodes.map(addressName).join(', ');
  switch (redis.mode) {
    case 'standalone':
      return `Redis at ${nodes}`;
    case 'cluster':
      return `Redis Cluster seeded by ${nodes}`;
    case 'sentinel':
      return `Redis primary "${redis.sentinelName}" named by the sentinels at ${nodes}`;
  }
}

function socketOptions(redis: RedisConfig, reconnect: boolean): Record<string, unknown> {
  return {
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    reconnectStrategy: reconnect
      ? (retries: number) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS)
      : false,
    // rediss: the certificate is checked against the system CAs (and the host name it is reached by).
    ...(redis.tls ? { tls: true as const } : {}),
  };
}

function standalone(redis: RedisConfig, reconnect: boolean): RedisConnection {
  const [{ host, port }] = redis.nodes;
  const client = createClient({
    socket: {
      host,
      port,
      ...socketOptions(redis, reconnect),
      ...(redis.tls ? { servername: host } : {}),
    },
    database: redis.db,
    password: redis.password || undefined,
    disableOfflineQueue: true,
  }) as RedisClientType;
  return {
    mode: 'standalone',
    commands: client,
    isReady: () => client.isReady,
    connect: async () => {
      await client.connect();
    },
    ping: async () => {
      await client.ping();
    },
    scan: (match) => client.scanIterator({ MATCH: match, COUNT: 1000 }),
    onConnectionChange: (listener) => {
      client.on('ready', () => listener(true));
      client.on('error', () => listener(false));
    },
    destroy: () => {
      if (client.isOpen) client.destroy();
    },
  };
}

function cluster(redis: RedisConfig, reconnect: boolean): RedisConnection {
  const client = createCluster({
    rootNodes: redis.nodes.map(({ host, port }) => ({ socket: { host, port } })),
    defaults: {
      socket: socketOptions(redis, reconnect),
      password: redis.password || undefined,
      disableOfflineQueue: true,
    },
  }) as RedisClusterType;
  const listeners: Array<(connected: boolean) => void> = [];
  const tell = (connected: boolean): void => listeners.forEach((listener) => listener(connected));
  let closed = false;
  let refreshing: Promise<void> | null = null;
  const unreachableMaster = (): boolean =>
    client.masters.some((master) => master.client !== undefined && !master.client.isReady);
  // The topology is asked for again while a master cannot be reached: once its replica has taken
  // its slots over, the cluster names the new master and the client drops the dead one.
  const refresh = (): void => {
    if (closed || refreshing || !client.isOpen || !unreachableMaster()) return;
    const start = client.masters.find((master) => master.client?.isReady) ?? client.masters[0];
    refreshing = client._slots
      .rediscover(start.client as RedisClientType)
      .catch(() => undefined)
      .finally(() => {
        refreshing = null;
        if (!unreachableMaster()) tell(true);
      });
  };
  client.on('node-error', () => {
    tell(false);
    refresh();
  });
  client.on('error', () => tell(false));
  const timer = reconnect ? setInterval(refresh, TOPOLOGY_REFRESH_MS).unref() : null;
  return {
    mode: 'cluster',
    commands: client,
    isReady: () => client.isOpen && client.masters.length > 0,
    connect: async () => {
      // The first discovery may fail (no seed answering): a long-lived client tries again, as a
      // single server's client reconnects on its own.
      for (let attempt = 0; ; attempt += 1) {
        try {
          await client.connect();
          tell(true);
          return;
        } catch (error) {
          if (!reconnect || closed) throw error;
          await delay(Math.min(100 * 2 ** attempt, MAX_RECONNECT_DELAY_MS));
        }
      }
    },
    ping: async () => {
      await Promise.all(
        client.masters.map(async (master) => (await client.nodeClient(master)).ping()),
      );
    },
    scan: (match) =>
      scanEach(
        client.masters.map((master) => () => client.nodeClient(master)),
        match,
      ),
    onConnectionChange: (listener) => listeners.push(listener),
    destroy: () => {
      closed = true;
      if (timer) clearInterval(timer);
      if (client.isOpen) client.destroy();
    },
  };
}

function sentinel(redis: RedisConfig, reconnect: boolean): RedisConnection {
  const client = createSentinel({
    name: redis.sentinelName!,
    sentinelRootNodes: redis.nodes,
    nodeClientOptions: {
      socket: socketOptions(redis, reconnect),
      database: redis.db,
      password: redis.password || undefined,
      disableOfflineQueue: true,
    },
    sentinelClientOptions: { socket: socketOptions(redis, false) },
    masterPoolSize: 1,
  }) as RedisSentinelType;
  const listeners: Array<(connected: boolean) => void> = [];
  const tell = (connected: boolean): void => listeners.forEach((listener) => listener(connected));
  client.on('error', () => tell(false));
  // While the primary is gone, the client holds each command and asks the sentinels again and
  // again, where a single server's client refuses it at once. A PING every 500 ms tells: one that
  // takes longer than its bound marks the primary lost (commands are refused) until it answers.
  let primaryAnswers = true;
  let probing = false;
  const probe = (): void => {
    if (probing || !client.isReady) return;
    probing = true;
    const lost = (): void => {
      if (primaryAnswers) tell(false);
      primaryAnswers = false;
    };
    const ping = client.ping().then(() => {
      if (!primaryAnswers) tell(true);
      primaryAnswers = true;
    }, lost);
    withTimeout(ping, PROBE_TIMEOUT_MS).catch(lost);
    void ping.finally(() => (probing = false));
  };
  const timer = reconnect ? setInterval(probe, TOPOLOGY_REFRESH_MS).unref() : null;
  return {
    mode: 'sentinel',
    commands: client,
    isReady: () => client.isReady && primaryAnswers,
    connect: async () => {
      await client.connect();
      tell(true);
    },
    ping: async () => {
      await client.ping();
    },
    scan: (match) => scanLeased(client, match),
    onConnectionChange: (listener) => listeners.push(listener),
    destroy: () => {
      if (timer) clearInterval(timer);
      if (client.isOpen) void client.destroy();
    },
  };
}

async function* scanEach(
  nodes: Array<() => Promise<RedisClientType>>,
  match: string,
): AsyncIterable<string[]> {
  for (const node of nodes) {
    const client = await node();
    yield* client.scanIterator({ MATCH: match, COUNT: 1000 });
  }
}

/** A sentinel-managed primary lends one of its pooled clients for a SCAN, which needs one node. */
async function* scanLeased(client: RedisSentinelType, match: string): AsyncIterable<string[]> {
  const lease = await client.acquire();
  try {
    let cursor = '0';
    do {
      const reply = await lease.scan(cursor, { MATCH: match, COUNT: 1000 });
      cursor = reply.cursor;
      yield reply.keys;
    } while (cursor !== '0');
  } finally {
    await lease.release();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
