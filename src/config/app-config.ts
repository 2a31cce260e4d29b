import type { LOG_LEVELS, SSL_MODES } from './environment';

export type SslMode = (typeof SSL_MODES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

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
  dataDir: string;
  migrationsRun: boolean;
}

export interface RedisConfig {
  host: string;
  port: number;
  db: number;
  password: string;
  tls: boolean;
}

export interface AuthConfig {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
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
  shutdownDrainMs: number;
  backupDir: string;
  lifecycle: LifecycleConfig;
}
