import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Pool } from 'pg';
import type { Gauge } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig, PostgresConfig, ReadReplicaConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { buildDataSourceOptions, endpointOf, sslOptions } from '../database/data-source-options';
import type { DatabaseEndpoint } from '../database/embedded-postgres';
import { poolOf } from '../database/pool-of';
import { DatabaseMetrics } from '../metrics/database-metrics';
import { METRICS } from '../metrics/metric-names';
import { parseLsn } from './lsn';
import { WalHistory } from './wal-history';

/** How often the primary's WAL position and each replica's replay position are read. */
export const POLL_EVERY_MS = 250;
/** A replica whose last answer is older than this is not read from: its state is not known. */
export const ANSWER_VALID_MS = 1000;
const POLL_TIMEOUT_MS = 1000;

/** A replica reads may go to now, and how far it had replayed when last asked. */
export interface UsableReplica {
  name: string;
  manager: EntityManager;
  replayed: bigint;
}

interface ReplicaNode {
  config: ReadReplicaConfig;
  /** The app's queries: a pool like the primary's. */
  dataSource: DataSource;
  opening: Promise<void> | null;
  /** Its own connection for the position polls, which a busy pool must not starve. */
  poller: Pool;
  /** When the last poll that answered was sent, and what it said. */
  answeredAt: number;
  answeredLastPoll: boolean;
  standby: boolean;
  replayed: bigint;
  /** It holds every commit acknowledged before this time; null: older than the history kept. */
  freshAsOf: number | null;
  /** A request saw it fail at this time: not read from until a later poll answers. */
  failedAt: number;
}

/**
 * The read replicas of POSTGRES_READ_HOSTS: a TypeORM data source each (same entities, database,
 * user, password and TLS as the primary; never migrations), and a poll every 250 ms of the
 * primary's WAL position and each replica's replay position. A replica is usable while it answers,
 * is a standby, and its data is no older than POSTGRES_READ_MAX_LAG_MS; one that fails is skipped
 * and polled again until it is back. Boot never waits for a replica.
 */
@Injectable()
export class ReadReplicas implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReadReplicas.name);
  private readonly nodes: ReplicaNode[];
  private readonly maxLagMs: number;
  private readonly history: WalHistory;
  private readonly primaryPoller: Pool | null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly queryMetrics: DatabaseMetrics,
    @InjectMetric(METRICS.dbReplicaAvailable) private readonly available: Gauge<'replica'>,
    @InjectMetric(METRICS.dbReplicaLag) private readonly lag: Gauge<'replica'>,
    @InjectMetric(METRICS.dbReplicaPool) private readonly pool: Gauge<'replica' | 'state'>,
  ) {
    const { postgres } = config;
    this.maxLagMs = postgres.readMaxLagMs;
    // Longer than any lag a replica may be read at, so that "behind the history" means "too old".
    this.history = new WalHistory(postgres.readMaxLagMs + 5 * ANSWER_VALID_MS);
    if (postgres.readReplicas.length === 0) {
      this.nodes = [];
      this.primaryPoller = null;
      return;
    }
    const endpoint = endpointOf(postgres);
    this.primaryPoller = pollerOf(postgres, endpoint, 'primary');
    this.nodes = postgres.readReplicas.map((replica) => {
      const at = { ...endpoint, host: replica.host, port: replica.port };
      return {
        config: replica,
        dataSource: new DataSource({
          ...buildDataSourceOptions(postgres, at),
          migrationsRun: false,
          migrations: [],
        }),
        opening: null,
        poller: pollerOf(postgres, at, replica.name),
        answeredAt: 0,
        answeredLastPoll: false,
        standby: false,
        replayed: 0n,
        freshAsOf: null,
        failedAt: 0,
      };
    });
  }

  /** Whether any replica is configured: without one, every query goes to the primary. */
  get configured(): boolean {
    return this.nodes.length > 0;
  }

  onApplicationBootstrap(): void {
    if (!this.configured) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    for (const node of this.nodes) {
      await node.opening;
      if (node.dataSource.isInitialized) await node.dataSource.destroy().catch(() => undefined);
      await node.poller.end().catch(() => undefined);
    }
    await this.primaryPoller?.end().catch(() => undefined);
  }

  /** The replicas reads may go to right now. */
  usable(now = Date.now()): UsableReplica[] {
    return this.nodes
      .filter((node) => this.isUsable(node, now))
      .map((node) => ({
        name: node.config.name,
        manager: node.dataSource.manager,
        replayed: node.replayed,
      }));
  }

  /** A request could not read from it: skip it until a poll sent from now on answers. */
  failed(name: string): void {
    const node = this.nodes.find((candidate) => candidate.config.name === name);
    if (!node) return;
    node.failedAt = Date.now();
    this.available.set({ replica: name }, 0);
  }

  private isUsable(node: ReplicaNode, now: number): boolean {
    return (
      node.dataSource.isInitialized &&
      node.answeredLastPoll &&
      node.standby &&
      node.failedAt < node.answeredAt &&
      now - node.answeredAt <= ANSWER_VALID_MS &&
      node.freshAsOf !== null &&
      now - node.freshAsOf <= this.maxLagMs
    );
  }

  private poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = null));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const asked = Date.now();
    try {
      const { rows } = await this.primaryPoller!.query<{ position: string }>(
        `SELECT pg_current_wal_flush_lsn()::text AS position`,
      );
      this.history.record(asked, parseLsn(rows[0].position));
    } catch {
      // No sample this time: the replicas' data only looks older, never fresher.
    }
    await Promise.all(this.nodes.map((node) => this.pollReplica(node)));
    this.report(Date.now());
  }

  private async pollReplica(node: ReplicaNode): Promise<void> {
    const asked = Date.now();
    try {
      const { rows } = await node.poller.query<{ standby: boolean; replayed: string | null }>(
        `SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed`,
      );
      const [{ standby, replayed }] = rows;
      if (!node.answeredLastPoll) this.logger.log(`read replica ${node.config.name} answers`);
      node.answeredLastPoll = true;
      node.answeredAt = asked;
      // A promoted replica is no longer a copy of the primary: never read from it.
      node.standby = standby && replayed !== null;
      if (node.standby) {
        node.replayed = parseLsn(replayed!);
        node.freshAsOf = this.history.freshAsOf(node.replayed);
      }
      if (node.standby && !node.dataSource.isInitialized) this.open(node);
    } catch (error) {
      if (node.answeredLastPoll) {
        this.logger.warn(
          `read replica ${node.config.name} is not answering (${(error as { code?: string }).code ?? 'error'}): reads go elsewhere`,
        );
      }
      node.answeredLastPoll = false;
    }
  }

  /** Opens the replica's pool in the background; a failure is tried again at a later poll. */
  private open(node: ReplicaNode): void {
    node.opening ??= node.dataSource
      .initialize()
      .then(() => {
        node.dataSource.subscribers.push(this.queryMetrics);
      })
      .catch(() => undefined)
      .finally(() => (node.opening = null));
  }

  private report(now: number): void {
    for (const node of this.nodes) {
      const replica = node.config.name;
      this.available.set({ replica }, this.isUsable(node, now) ? 1 : 0);
      if (node.answeredLastPoll && node.standby) {
        // +Inf: behind everything the history remembers, older than any lag allowed.
        const age = node.freshAsOf === null ? Infinity : Math.max(0, now - node.freshAsOf);
        this.lag.set({ replica }, age / 1000);
      } else {
        this.lag.remove({ replica });
      }
      const pool = node.dataSource.isInitialized ? poolOf(node.dataSource) : undefined;
      this.pool.set({ replica, state: 'total' }, pool?.totalCount ?? 0);
      this.pool.set({ replica, state: 'idle' }, pool?.idleCount ?? 0);
      this.pool.set({ replica, state: 'waiting' }, pool?.waitingCount ?? 0);
    }
  }
}

/** One connection of its own to a server, for position polls, each bounded. */
function pollerOf(postgres: PostgresConfig, endpoint: DatabaseEndpoint, name: string): Pool {
  const pool = new Pool({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    ssl: sslOptions(postgres),
    max: 1,
    connectionTimeoutMillis: POLL_TIMEOUT_MS,
    query_timeout: POLL_TIMEOUT_MS,
    keepAlive: true,
    application_name: `model-chatbot-nestjs wal poll ${name}`.slice(0, 63),
  });
  // A poll that fails says so by its result; a connection dropped while idle is simply replaced.
  pool.on('error', () => undefined);
  return pool;
}
