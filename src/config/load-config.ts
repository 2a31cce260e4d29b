import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { Address, AppConfig, RedisConfig } from './app-config';
import { EnvironmentVariables } from './environment';

/** Used only outside production when no key is configured; a warning says so at boot. */
export const DEVELOPMENT_JWT_SECRET = 'model-chatbot-nestjs-development-key-not-for-production';
const MIN_PRODUCTION_SECRET_BYTES = 32;
/** Sentinel's own default port, for REDIS_SENTINELS entries without one. */
const SENTINEL_PORT = 26379;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment (and `.env` when present, which never overrides a variable already set),
 * validates it once and returns the typed configuration. The one place that touches `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, dotEnvPath = '.env'): AppConfig {
  const fromFile = existsSync(dotEnvPath) ? parseEnv(readFileSync(dotEnvPath, 'utf8')) : {};
  return buildConfig({ ...fromFile, ...env });
}

export function buildConfig(raw: Record<string, string | undefined>): AppConfig {
  // Unrelated variables (PATH, HOME...) ride along and are never read: only decorated keys count.
  const vars = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const problems = validateSync(vars).map(describeProblem);
  if (problems.length === 0) problems.push(...topologyProblems(vars));
  problems.push(...productionProblems(vars));
  if (problems.length > 0) throw new ConfigError(problems);
  return toAppConfig(vars);
}

/**
 * `host[:port],...` (already checked against ADDRESS_LIST) as addresses, each without a port
 * given the default one.
 */
export function parseAddresses(list: string | undefined, defaultPort: number): Address[] {
  if (!list) return [];
  return list.split(',').map((entry) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim())!;
    return {
      // Brackets only delimit an IPv6 address in the list: clients take it without them.
      host: match[1].replace(/^\[(.*)\]$/, '$1'),
      port: match[2] === undefined ? defaultPort : Number(match[2]),
    };
  });
}

/** `host:port`, an IPv6 host in brackets. */
export function addressName({ host, port }: Address): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Address lists and Redis modes that cannot work together, one problem each. */
function topologyProblems(vars: EnvironmentVariables): string[] {
  const problems: string[] = [];
  const lists = {
    POSTGRES_READ_HOSTS: parseAddresses(vars.POSTGRES_READ_HOSTS, vars.POSTGRES_PORT),
    REDIS_CLUSTER_NODES: parseAddresses(vars.REDIS_CLUSTER_NODES, vars.REDIS_PORT),
    REDIS_SENTINELS: parseAddresses(vars.REDIS_SENTINELS, SENTINEL_PORT),
  };
  for (const [name, addresses] of Object.entries(lists)) {
    const names = addresses.map(addressName);
    if (addresses.some(({ port }) => port < 1 || port > 65535))
      problems.push(`${name}: every port must be between 1 and 65535`);
    if (new Set(names).size !== names.length) problems.push(`${name}: lists an address twice`);
  }
  if (vars.POSTGRES_READ_HOSTS && !vars.POSTGRES_HOST)
    problems.push(
      'POSTGRES_READ_HOSTS: needs POSTGRES_HOST (the embedded database has no replicas)',
    );
  if (vars.REDIS_MODE !== 'cluster' && vars.REDIS_CLUSTER_NODES)
    problems.push('REDIS_CLUSTER_NODES: only read with REDIS_MODE=cluster');
  if (vars.REDIS_MODE === 'cluster' && vars.REDIS_DB !== 0)
    problems.push('REDIS_DB: a Redis Cluster has database 0 only');
  if (vars.REDIS_MODE !== 'sentinel' && (vars.REDIS_SENTINELS || vars.REDIS_SENTINEL_NAME))
    problems.push('REDIS_SENTINELS, REDIS_SENTINEL_NAME: only read with REDIS_MODE=sentinel');
  if (vars.REDIS_MODE === 'sentinel') {
    if (!vars.REDIS_SENTINELS) problems.push('REDIS_SENTINELS: required with REDIS_MODE=sentinel');
    if (!vars.REDIS_SENTINEL_NAME)
      problems.push('REDIS_SENTINEL_NAME: required with REDIS_MODE=sentinel');
  }
  return problems;
}

/** Where the cache lives: undefined (process memory) unless a Redis server is named. */
function redisConfig(vars: EnvironmentVariables): RedisConfig | undefined {
  const shared = { db: vars.REDIS_DB, password: vars.REDIS_PASSWORD, tls: vars.REDIS_TLS };
  const configured = vars.REDIS_HOST ? [{ host: vars.REDIS_HOST, port: vars.REDIS_PORT }] : [];
  switch (vars.REDIS_MODE) {
    case 'standalone':
      return configured.length > 0
        ? { mode: 'standalone', nodes: configured, ...shared }
        : undefined;
    case 'cluster': {
      const nodes = [...configured, ...parseAddresses(vars.REDIS_CLUSTER_NODES, vars.REDIS_PORT)];
      return nodes.length > 0 ? { mode: 'cluster', nodes, ...shared } : undefined;
    }
    case 'sentinel':
      return {
        mode: 'sentinel',
        nodes: parseAddresses(vars.REDIS_SENTINELS, SENTINEL_PORT),
        sentinelName: vars.REDIS_SENTINEL_NAME,
        ...shared,
      };
  }
}

function describeProblem(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  return `${error.property}: ${reasons}`;
}

function productionProblems(vars: EnvironmentVariables): string[] {
  if (vars.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (!vars.POSTGRES_HOST) {
    problems.push(
      'POSTGRES_HOST: required in production (the embedded database is for development)',
    );
  }
  const secretBytes = vars.AUTH_JWT_SECRET ? Buffer.byteLength(vars.AUTH_JWT_SECRET, 'utf8') : 0;
  if (!vars.AUTH_JWT_PUBLIC_KEY && secretBytes < MIN_PRODUCTION_SECRET_BYTES) {
    problems.push(
      `AUTH_JWT_SECRET: at least ${MIN_PRODUCTION_SECRET_BYTES} bytes required in production (or set AUTH_JWT_PUBLIC_KEY)`,
    );
  }
  if (vars.POSTGRES_READ_HOSTS && !redisConfig(vars)) {
    // Read-your-writes remembers each user's last write in Redis, for every replica of the service.
    problems.push('POSTGRES_READ_HOSTS: needs Redis in production (REDIS_HOST or REDIS_MODE)');
  }
  if (vars.POSTGRES_SSL_MODE === 'verify-full' && !vars.POSTGRES_SSL_CA) {
    problems.push('POSTGRES_SSL_CA: required when POSTGRES_SSL_MODE is verify-full');
  }
  return problems;
}

function toAppConfig(vars: EnvironmentVariables): AppConfig {
  const isProduction = vars.NODE_ENV === 'production';
  const usingDevelopmentKey = !vars.AUTH_JWT_SECRET && !vars.AUTH_JWT_PUBLIC_KEY;
  return {
    env: vars.NODE_ENV as AppConfig['env'],
    port: vars.PORT,
    logLevel: vars.LOG_LEVEL ?? (vars.NODE_ENV === 'development' ? 'debug' : 'info'),
    logFormat: vars.NODE_ENV === 'development' && process.stdout.isTTY ? 'pretty' : 'json',
    postgres: {
      host: vars.POSTGRES_HOST,
      port: vars.POSTGRES_PORT,
      database: vars.POSTGRES_DB,
      user: vars.POSTGRES_USER,
      password: vars.POSTGRES_PASSWORD,
      poolSize: vars.POSTGRES_POOL_SIZE,
      maxOverflow: vars.POSTGRES_MAX_OVERFLOW,
      sslMode: vars.POSTGRES_SSL_MODE,
      sslCaPath: vars.POSTGRES_SSL_CA,
      statementTimeoutMs: vars.POSTGRES_STATEMENT_TIMEOUT_MS,
      pooler: vars.POSTGRES_POOLER,
      session: {
        host: vars.POSTGRES_SESSION_HOST ?? vars.POSTGRES_HOST,
        port: vars.POSTGRES_SESSION_PORT ?? vars.POSTGRES_PORT,
      },
      readReplicas: parseAddresses(vars.POSTGRES_READ_HOSTS, vars.POSTGRES_PORT).map((address) => ({
        ...address,
        name: addressName(address),
      })),
      readMaxLagMs: vars.POSTGRES_READ_MAX_LAG_MS,
      dataDir: vars.DATA_DIR,
      migrationsRun: vars.DB_MIGRATIONS_RUN ?? !isProduction,
    },
    redis: redisConfig(vars),
    cache: { ttlSeconds: vars.CACHE_TTL_SECONDS, keyPrefix: vars.REDIS_KEY_PREFIX ?? 'chatbot' },
    auth: {
      secret: vars.AUTH_JWT_SECRET ?? (usingDevelopmentKey ? DEVELOPMENT_JWT_SECRET : undefined),
      publicKey: vars.AUTH_JWT_PUBLIC_KEY,
      issuer: vars.AUTH_JWT_ISSUER,
      audience: vars.AUTH_JWT_AUDIENCE,
      userClaim: vars.AUTH_JWT_USER_CLAIM,
      maxAgeSeconds: vars.AUTH_JWT_MAX_AGE_SECONDS,
      usingDevelopmentKey,
    },
    corsOrigins: vars.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE,
    streaming: {
      staleSeconds: vars.STREAM_STALE_SECONDS,
      maxEventStreamsPerUser: vars.EVENTS_MAX_STREAMS_PER_USER,
    },
    shutdownDrainMs: vars.SHUTDOWN_DRAIN_MS,
    backupDir: vars.BACKUP_DIR,
    backupKeep: vars.BACKUP_KEEP,
    backupMetricsDir: vars.BACKUP_METRICS_DIR,
    lifecycle: {
      trashRetentionDays: vars.TRASH_RETENTION_DAYS,
      retentionDays: vars.RETENTION_DAYS,
      purgeIntervalSeconds: vars.PURGE_INTERVAL_SECONDS,
    },
  };
}
