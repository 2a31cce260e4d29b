import type { LOG_LEVELS, POOLERS, REDIS_MODES, SSL_MODES } from './environment';

export type SslMode = (typeof SSL_MODES)[number];
export type Pooler = (typeof POOLERS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type RedisMode = (typeof REDIS_MODES)[number];

/** A server's address as configured (`host[:port]`, the default port filled in). */
export interface Address {
  host: string;
  port: number;
}

export interface ReadReplicaConfig extends Address {
  /** `host:port`: how logs and metric labels name it (configured, never user input). */
  name: string;
}

export interface PostgresConfig {
  /** Unset: an embedded PostgreSQL is started under `dataDir`. */
  host?: string;
  port: number;
  database: string;
  user: string;
  password: string;
  poolSize: number;
  maxOverflow: number;
  sslMode: SslMode;
  sslCaPath?: string;
  statementTimeoutMs: number;
  /**
   * `pgbouncer`: a transaction-pooling PgBouncer (or a managed pooler like it) sits in between, so
   * nothing may live in a session and no setting travels as a startup parameter.
   */
  pooler: Pooler;
  /**
   * A direct connection for work that needs a session of its own (session advisory locks,
   * LISTEN), which a transaction pooler cannot give. Defaults to `host` and `port`.
   */
  session: { host?: string; port: number };
  /** Streaming replicas reads may go to (POSTGRES_READ_HOSTS); empty: every query on the primary. */
  readReplicas: ReadReplicaConfig[];
  /** A replica further behind than this, or not answering, is not read from. */
  readMaxLagMs: number;
  dataDir: string;
  migrationsRun: boolean;
}

export interface RedisConfig {
  mode: RedisMode;
  /**
   * standalone: the server; cluster: the seed nodes the topology is learnt from (REDIS_HOST:PORT
   * first, then REDIS_CLUSTER_NODES); sentinel: the sentinels (REDIS_SENTINELS).
   */
  nodes: Address[];
  /** sentinel: the primary's name as the sentinels monitor it. */
  sentinelName?: string;
  /** Always 0 in a cluster, which has no other database. */
  db: number;
  password: string;
  tls: boolean;
}

export interface AuthConfig {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
  /** A token whose lifetime (`exp` minus `iat`, or minus now) is longer is refused. */
  maxAgeSeconds: number;
  /** The claim that holds the integer user id (a service's name, in act-as tokens). */
  userClaim: string;
  /** True when no key was configured and the fixed development key is in use. */
  usingDevelopmentKey: boolean;
}

export interface LifecycleConfig {
  /** Days a conversation stays restorable in the trash before it is purged (0: none). */
  trashRetentionDays: number;
  /** Conversations not updated for this many days are moved to the trash; unset: kept. */
  retentionDays?: number;
  /** Seconds between two runs of the purge and retention job. */
  purgeIntervalSeconds: number;
}

/** The validated configuration: the only view of the environment the rest of the code gets. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  logLevel: LogLevel;
  /** Readable lines for a developer's terminal; JSON lines everywhere else. */
  logFormat: 'json' | 'pretty';
  postgres: PostgresConfig;
  /** Unset: the cache lives in process memory. */
  redis?: RedisConfig;
  cache: { ttlSeconds: number; keyPrefix: string };
  auth: AuthConfig;
  corsOrigins: string[];
  rateLimitPerMinute: number;
  streaming: {
    /** A streaming message with no write for this long reads `incomplete` and takes no more. */
    staleSeconds: number;
    /** Open event streams per user on one replica. */
    maxEventStreamsPerUser: number;
  };
  shutdownDrainMs: number;
  backupDir: string;
  /** How many archives of a database db:backup keeps (the newest). */
  backupKeep: number;
  /** Unset: db:backup writes no metrics (else node-exporter textfiles there). */
  backupMetricsDir?: string;
  lifecycle: LifecycleConfig;
}
