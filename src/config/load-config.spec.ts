import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { getMetadataStorage } from 'class-validator';
import { buildConfig, ConfigError, DEVELOPMENT_JWT_SECRET } from './load-config';
import { EnvironmentVariables } from './environment';

describe('buildConfig', () => {
  it('applies the documented defaults', () => {
    const config = buildConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 8000,
      logLevel: 'debug',
      redis: undefined,
      cache: { ttlSeconds: 3600, keyPrefix: 'chatbot' },
      rateLimitPerMinute: 120,
      shutdownDrainMs: 10000,
      corsOrigins: [],
      streaming: { staleSeconds: 120, maxEventStreamsPerUser: 10 },
    });
    expect(config.postgres).toMatchObject({
      host: undefined,
      port: 5432,
      database: 'conversations',
      user: 'postgres',
      password: '',
      poolSize: 10,
      maxOverflow: 20,
      sslMode: 'disable',
      statementTimeoutMs: 5000,
      dataDir: './data',
      migrationsRun: true,
    });
    expect(config.auth).toMatchObject({
      secret: DEVELOPMENT_JWT_SECRET,
      usingDevelopmentKey: true,
    });
  });

  it('names every offending variable at once', () => {
    let error: unknown;
    try {
      buildConfig({ PORT: 'eighty', POSTGRES_SSL_MODE: 'maybe', CACHE_TTL_SECONDS: '0' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT: /m);
    expect(problems).toMatch(/^POSTGRES_SSL_MODE: /m);
    expect(problems).toMatch(/^CACHE_TTL_SECONDS: /m);
  });

  it('in production, refuses a short secret and the embedded database, and does not run migrations at boot', () => {
    expect(() =>
      buildConfig({ NODE_ENV: 'production', POSTGRES_HOST: 'db', AUTH_JWT_SECRET: 'short' }),
    ).toThrow(/AUTH_JWT_SECRET: at least 32 bytes/);
    const config = buildConfig({
      NODE_ENV: 'production',
      POSTGRES_HOST: 'db',
      AUTH_JWT_SECRET: 's'.repeat(32),
    });
    expect(config.postgres.migrationsRun).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.auth.usingDevelopmentKey).toBe(false);
  });

  it('refuses a connection string where a host belongs, so nothing can override POSTGRES_SSL_MODE', () => {
    expect(() =>
      buildConfig({ POSTGRES_HOST: 'postgres://db.internal/chat?sslmode=disable' }),
    ).toThrow(/POSTGRES_HOST must be a host name or address, not a URL/);
    expect(
      buildConfig({
        POSTGRES_HOST: 'db-1.internal',
        POSTGRES_SSL_MODE: 'verify-full',
        POSTGRES_SSL_CA: '/ca.pem',
      }).postgres.sslMode,
    ).toBe('verify-full');
  });

  it('talks to PostgreSQL directly unless told of a pooler; the session endpoint defaults to the main one', () => {
    const direct = buildConfig({ POSTGRES_HOST: 'db', POSTGRES_PORT: '6432' }).postgres;
    expect(direct.pooler).toBe('none');
    expect(direct.session).toEqual({ host: 'db', port: 6432 });
    const pooled = buildConfig({
      POSTGRES_HOST: 'pgbouncer',
      POSTGRES_PORT: '6432',
      POSTGRES_POOLER: 'pgbouncer',
      POSTGRES_SESSION_HOST: 'db-primary',
      POSTGRES_SESSION_PORT: '5432',
    }).postgres;
    expect(pooled.pooler).toBe('pgbouncer');
    expect(pooled.session).toEqual({ host: 'db-primary', port: 5432 });
    expect(
      buildConfig({ POSTGRES_HOST: 'db', POSTGRES_SESSION_HOST: '', POSTGRES_SESSION_PORT: '' })
        .postgres.session,
    ).toEqual({ host: 'db', port: 5432 });
    expect(() =>
      buildConfig({
        POSTGRES_POOLER: 'pgpool',
        POSTGRES_SESSION_HOST: 'postgres://db/x',
        POSTGRES_SESSION_PORT: '0',
      }),
    ).toThrow(
      /POSTGRES_POOLER: [^]*POSTGRES_SESSION_HOST: [^]*not a URL[^]*POSTGRES_SESSION_PORT: /,
    );
  });

  it('treats empty values as unset and splits CORS origins', () => {
    const config = buildConfig({
      POSTGRES_HOST: '',
      REDIS_HOST: 'cache',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.postgres.host).toBeUndefined();
    expect(config.redis).toEqual({
      mode: 'standalone',
      nodes: [{ host: 'cache', port: 6379 }],
      db: 0,
      password: '',
      tls: false,
    });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('reads from replicas only when given some, each named host:port, with the default lag bound', () => {
    expect(buildConfig({ POSTGRES_HOST: 'db' }).postgres).toMatchObject({
      readReplicas: [],
      readMaxLagMs: 2000,
    });
    const config = buildConfig({
      POSTGRES_HOST: 'db',
      POSTGRES_PORT: '6432',
      POSTGRES_READ_HOSTS: 'replica-1, replica-2:5433,[fd00::7]',
      POSTGRES_READ_MAX_LAG_MS: '500',
    }).postgres;
    expect(config.readReplicas).toEqual([
      { host: 'replica-1', port: 6432, name: 'replica-1:6432' },
      { host: 'replica-2', port: 5433, name: 'replica-2:5433' },
      { host: 'fd00::7', port: 6432, name: '[fd00::7]:6432' },
    ]);
    expect(config.readMaxLagMs).toBe(500);
    expect(() =>
      buildConfig({ POSTGRES_HOST: 'db', POSTGRES_READ_HOSTS: 'postgres://r/x' }),
    ).toThrow(/POSTGRES_READ_HOSTS must be comma-separated host\[:port\] entries/);
    expect(() => buildConfig({ POSTGRES_HOST: 'db', POSTGRES_READ_HOSTS: 'r:5432,r' })).toThrow(
      /POSTGRES_READ_HOSTS: lists an address twice/,
    );
    expect(() => buildConfig({ POSTGRES_HOST: 'db', POSTGRES_READ_HOSTS: 'r:70000' })).toThrow(
      /POSTGRES_READ_HOSTS: every port must be between 1 and 65535/,
    );
    expect(() => buildConfig({ POSTGRES_READ_HOSTS: 'r' })).toThrow(
      /POSTGRES_READ_HOSTS: needs POSTGRES_HOST/,
    );
    const production = {
      NODE_ENV: 'production',
      POSTGRES_HOST: 'db',
      AUTH_JWT_SECRET: 's'.repeat(32),
    };
    expect(() => buildConfig({ ...production, POSTGRES_READ_HOSTS: 'r' })).toThrow(
      /POSTGRES_READ_HOSTS: needs Redis in production/,
    );
    expect(
      buildConfig({ ...production, POSTGRES_READ_HOSTS: 'r', REDIS_HOST: 'cache' }).postgres
        .readReplicas,
    ).toHaveLength(1);
  });

  it('builds the Redis of each REDIS_MODE, and refuses settings the mode does not read', () => {
    expect(
      buildConfig({
        REDIS_MODE: 'cluster',
        REDIS_HOST: 'node-1',
        REDIS_PORT: '7000',
        REDIS_CLUSTER_NODES: 'node-2,node-3:7001',
      }).redis,
    ).toMatchObject({
      mode: 'cluster',
      nodes: [
        { host: 'node-1', port: 7000 },
        { host: 'node-2', port: 7000 },
        { host: 'node-3', port: 7001 },
      ],
    });
    expect(
      buildConfig({
        REDIS_MODE: 'sentinel',
        REDIS_SENTINELS: 's1,s2:26380',
        REDIS_SENTINEL_NAME: 'chatbot',
        REDIS_DB: '2',
      }).redis,
    ).toMatchObject({
      mode: 'sentinel',
      nodes: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      sentinelName: 'chatbot',
      db: 2,
    });
    expect(() => buildConfig({ REDIS_MODE: 'sentinel' })).toThrow(
      /REDIS_SENTINELS: required[^]*REDIS_SENTINEL_NAME: required/,
    );
    expect(() => buildConfig({ REDIS_MODE: 'cluster', REDIS_HOST: 'n', REDIS_DB: '1' })).toThrow(
      /REDIS_DB: a Redis Cluster has database 0 only/,
    );
    expect(() => buildConfig({ REDIS_HOST: 'n', REDIS_CLUSTER_NODES: 'm' })).toThrow(
      /REDIS_CLUSTER_NODES: only read with REDIS_MODE=cluster/,
    );
    expect(() => buildConfig({ REDIS_HOST: 'n', REDIS_SENTINEL_NAME: 'x' })).toThrow(
      /REDIS_SENTINELS, REDIS_SENTINEL_NAME: only read with REDIS_MODE=sentinel/,
    );
    expect(() => buildConfig({ REDIS_MODE: 'ring' })).toThrow(
      /REDIS_MODE: REDIS_MODE must be one of/,
    );
    expect(() => buildConfig({ REDIS_KEY_PREFIX: 'chat{bot}' })).toThrow(
      /REDIS_KEY_PREFIX must not contain \{ or \}/,
    );
  });

  it('keeps 14 backups unless told otherwise, never fewer than one, and writes metrics only when given a directory', () => {
    expect(buildConfig({})).toMatchObject({ backupKeep: 14, backupMetricsDir: undefined });
    expect(
      buildConfig({ BACKUP_KEEP: '3', BACKUP_METRICS_DIR: '/var/lib/node-exporter' }),
    ).toMatchObject({ backupKeep: 3, backupMetricsDir: '/var/lib/node-exporter' });
    expect(() => buildConfig({ BACKUP_KEEP: '0' })).toThrow(/BACKUP_KEEP: /);
    expect(() => buildConfig({ BACKUP_KEEP: 'all' })).toThrow(/BACKUP_KEEP: /);
  });

  it('is documented variable for variable in .env.example', () => {
    const example = parseEnv(readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8'));
    const declared = getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
      .map((metadata) => metadata.propertyName);
    expect(Object.keys(example).sort()).toEqual([...new Set(declared)].sort());
  });
});
