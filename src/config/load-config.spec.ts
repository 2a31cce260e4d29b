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
    expect(config.redis).toEqual({ host: 'cache', port: 6379, db: 0, password: '', tls: false });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
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
