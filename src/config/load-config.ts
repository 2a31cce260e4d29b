import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { AppConfig } from './app-config';
import { EnvironmentVariables } from './environment';

/** Used only outside production when no key is configured; a warning says so at boot. */
export const DEVELOPMENT_JWT_SECRET = 'model-chatbot-nestjs-development-key-not-for-production';
const MIN_PRODUCTION_SECRET_BYTES = 32;

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
  problems.push(...productionProblems(vars));
  if (problems.length > 0) throw new ConfigError(problems);
  return toAppConfig(vars);
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
      dataDir: vars.DATA_DIR,
      migrationsRun: vars.DB_MIGRATIONS_RUN ?? !isProduction,
    },
    redis: vars.REDIS_HOST
      ? {
          host: vars.REDIS_HOST,
          port: vars.REDIS_PORT,
          db: vars.REDIS_DB,
          password: vars.REDIS_PASSWORD,
          tls: vars.REDIS_TLS,
        }
      : undefined,
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
