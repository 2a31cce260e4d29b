import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toOptionalBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (normalized === '') return undefined;
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  return value;
};

// An empty string in a .env file means "not set", as operators expect from `VAR=` lines.
const emptyAsUnset = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const toOptionalInt = (params: { value: unknown }): unknown =>
  toInt({ value: emptyAsUnset(params) });

export const SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export const POOLERS = ['none', 'pgbouncer'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export const REDIS_MODES = ['standalone', 'cluster', 'sentinel'] as const;

/** `host[:port]`, comma-separated: names, IPv4 or bracketed IPv6 addresses; never a URL. */
const ADDRESS = String.raw`(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?`;
export const ADDRESS_LIST = new RegExp(`^\\s*${ADDRESS}\\s*(?:,\\s*${ADDRESS}\\s*)*$`);

/** The environment variables of `configuration.md`, as strings arrive from the environment. */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8000;

  // A host name or address only: no connection string can slip in and override POSTGRES_SSL_MODE.
  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(/^[A-Za-z0-9.\-:[\]]+$/, {
    message: 'POSTGRES_HOST must be a host name or address, not a URL',
  })
  POSTGRES_HOST?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  POSTGRES_PORT = 5432;

  @IsString()
  @MinLength(1)
  @MaxLength(63)
  POSTGRES_DB = 'conversations';

  @IsString()
  @MinLength(1)
  POSTGRES_USER = 'postgres';

  @IsString()
  POSTGRES_PASSWORD = '';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  POSTGRES_POOL_SIZE = 10;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1000)
  POSTGRES_MAX_OVERFLOW = 20;

  @IsIn(SSL_MODES)
  POSTGRES_SSL_MODE: (typeof SSL_MODES)[number] = 'disable';

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  POSTGRES_SSL_CA?: string;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  POSTGRES_STATEMENT_TIMEOUT_MS = 5000;

  @IsIn(POOLERS)
  POSTGRES_POOLER: (typeof POOLERS)[number] = 'none';

  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(/^[A-Za-z0-9.\-:[\]]+$/, {
    message: 'POSTGRES_SESSION_HOST must be a host name or address, not a URL',
  })
  POSTGRES_SESSION_HOST?: string;

  @Transform(toOptionalInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  POSTGRES_SESSION_PORT?: number;

  // Read replicas of the primary (same database, user, password and TLS as POSTGRES_HOST).
  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(ADDRESS_LIST, {
    message: 'POSTGRES_READ_HOSTS must be comma-separated host[:port] entries, not URLs',
  })
  POSTGRES_READ_HOSTS?: string;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  POSTGRES_READ_MAX_LAG_MS = 2000;

  @IsIn(REDIS_MODES)
  REDIS_MODE: (typeof REDIS_MODES)[number] = 'standalone';

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  REDIS_HOST?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(ADDRESS_LIST, {
    message: 'REDIS_CLUSTER_NODES must be comma-separated host[:port] entries, not URLs',
  })
  REDIS_CLUSTER_NODES?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(ADDRESS_LIST, {
    message: 'REDIS_SENTINELS must be comma-separated host[:port] entries, not URLs',
  })
  REDIS_SENTINELS?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(/^[A-Za-z0-9._\-]{1,100}$/, {
    message: 'REDIS_SENTINEL_NAME must be the name the sentinels monitor (letters, digits, . _ -)',
  })
  REDIS_SENTINEL_NAME?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  REDIS_PORT = 6379;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(15)
  REDIS_DB = 0;

  @IsString()
  REDIS_PASSWORD = '';

  @Transform(toOptionalBool)
  @IsBoolean()
  REDIS_TLS = false;

  // Braces would move the Redis Cluster hash tag off the user (cache-keys.ts, userTag).
  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(/^[^{}]+$/, { message: 'REDIS_KEY_PREFIX must not contain { or }' })
  REDIS_KEY_PREFIX?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  CACHE_TTL_SECONDS = 3600;

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  AUTH_JWT_SECRET?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  AUTH_JWT_PUBLIC_KEY?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  AUTH_JWT_ISSUER?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  AUTH_JWT_AUDIENCE?: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(366 * 24 * 3600)
  AUTH_JWT_MAX_AGE_SECONDS = 86_400;

  // A JWT claim name: `sub`, or a custom one such as `user_id` or `https://example.com/uid`.
  @Matches(/^[\x21-\x7e]{1,100}$/, { message: 'AUTH_JWT_USER_CLAIM must be a claim name' })
  AUTH_JWT_USER_CLAIM = 'sub';

  @IsString()
  CORS_ORIGINS = '';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  STREAM_STALE_SECONDS = 120;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  EVENTS_MAX_STREAMS_PER_USER = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE = 120;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_DRAIN_MS = 10000;

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  @IsString()
  @MinLength(1)
  BACKUP_DIR = './backups';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  BACKUP_KEEP = 14;

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  BACKUP_METRICS_DIR?: string;

  @Transform(toOptionalBool)
  @IsOptional()
  @IsBoolean()
  DB_MIGRATIONS_RUN?: boolean;

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL?: (typeof LOG_LEVELS)[number];

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36_500)
  TRASH_RETENTION_DAYS = 30;

  @Transform((args) => toInt({ value: emptyAsUnset(args) }))
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(36_500)
  RETENTION_DAYS?: number;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  PURGE_INTERVAL_SECONDS = 3600;
}
