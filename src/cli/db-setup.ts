import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { ConfigError, loadConfig } from '../config/load-config';
import { createDatabaseIfMissing } from '../database/create-database';
import { buildDataSourceOptions } from '../database/data-source-options';
import { describeConnectionFailure } from '../database/database-errors';
import { databaseHealthCheck, missingParts } from '../database/database-health';
import { openDatabaseTarget, type DatabaseTarget } from '../database/database-target';
import type { DatabaseEndpoint } from '../database/embedded-postgres';
import { createRedisClient } from '../redis/redis-client';

const USAGE = `usage: npm run db:setup [-- --test | --info]
  (none)  create the database if missing, run pending migrations, verify the schema
  --test  only test the connections to PostgreSQL and Redis
  --info  print the configuration in use, without secrets`;

async function main(argv: string[]): Promise<number> {
  const mode = argv[0];
  if (argv.length > 1 || (mode !== undefined && mode !== '--test' && mode !== '--info')) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  if (mode === '--info') {
    printInfo(config);
    return 0;
  }
  const target = await openDatabaseTarget(config.postgres, (line) => console.log(line));
  try {
    return mode === '--test' ? await testConnections(config, target) : await setUp(config, target);
  } finally {
    await target.stop();
  }
}

function printInfo(config: AppConfig): void {
  const { postgres, redis, cache } = config;
  const lines = [
    `environment: ${config.env}`,
    `http port: ${config.port}`,
    postgres.host
      ? `postgres: ${postgres.user}@${postgres.host}:${postgres.port}/${postgres.database} (password ${postgres.password ? 'set' : 'not set'}, ssl ${postgres.sslMode})`
      : `postgres: embedded, data under ${postgres.dataDir}, database ${postgres.database}`,
    `pool: ${postgres.poolSize} + ${postgres.maxOverflow} overflow, statement timeout ${postgres.statementTimeoutMs} ms`,
    `migrations at boot: ${postgres.migrationsRun ? 'yes' : 'no'}`,
    redis
      ? `redis: ${redis.tls ? 'rediss' : 'redis'}://${redis.host}:${redis.port} db ${redis.db} (password ${redis.password ? 'set' : 'not set'})`
      : 'redis: not configured, in-process memory cache',
    `cache ttl: ${cache.ttlSeconds} s, key prefix ${cache.keyPrefix}`,
    `jwt: ${config.auth.publicKey ? 'public key (RS256/ES256)' : config.auth.usingDevelopmentKey ? 'development key (set AUTH_JWT_SECRET)' : 'HS256 secret set'}`,
  ];
  console.log(lines.join('\n'));
}

async function testConnections(config: AppConfig, target: DatabaseTarget): Promise<number> {
  const dataSource = connect(config, target);
  let failures = 0;
  try {
    await dataSource.initialize();
    const health = await databaseHealthCheck(dataSource);
    if (health.status !== 'up') throw new Error(health.error);
    console.log(`PostgreSQL: ok (${health.server_version}, ${health.latency_ms} ms)`);
  } catch (error) {
    console.error(
      `PostgreSQL: FAILED at ${where(target.endpoint)}: ${describeConnectionFailure(error)}`,
    );
    failures += 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
  if (config.redis) {
    const problem = await pingRedis(config);
    if (problem) {
      console.error(`Redis: FAILED at ${config.redis.host}:${config.redis.port}: ${problem}`);
      failures += 1;
    } else {
      console.log('Redis: ok');
    }
  } else {
    console.log('Redis: not configured (REDIS_HOST unset), the in-process cache is used');
  }
  return failures === 0 ? 0 : 1;
}

/** Connects without running migrations at initialisation: this command runs and reports them. */
function connect(config: AppConfig, target: DatabaseTarget): DataSource {
  return new DataSource({
    ...buildDataSourceOptions(config.postgres, target.endpoint),
    migrationsRun: false,
  });
}

async function setUp(config: AppConfig, target: DatabaseTarget): Promise<number> {
  try {
    if (await createDatabaseIfMissing(config.postgres, target.endpoint)) {
      console.log(`created database ${target.endpoint.database}`);
    }
  } catch (error) {
    console.error(
      `cannot create database ${target.endpoint.database} at ${where(target.endpoint)}: ${describeConnectionFailure(error)}`,
    );
    return 1;
  }
  const dataSource = connect(config, target);
  try {
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      applied.length > 0
        ? `applied ${applied.map((m) => m.name).join(', ')}`
        : 'schema already up to date',
    );
    const health = await databaseHealthCheck(dataSource);
    const missing = health.schema ? missingParts(health.schema) : ['the whole schema'];
    if (missing.length > 0) {
      console.error(`schema incomplete after migrating: missing ${missing.join(', ')}`);
      return 1;
    }
    console.log(`database ${target.endpoint.database} is ready (${health.server_version})`);
    return 0;
  } catch (error) {
    console.error(`setup failed at ${where(target.endpoint)}: ${describeConnectionFailure(error)}`);
    return 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

async function pingRedis(config: AppConfig): Promise<string | null> {
  const client = createRedisClient(config.redis!, { reconnect: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED') return 'connection refused: is Redis running?';
    if (/NOAUTH|WRONGPASS/.test(String(error)))
      return 'authentication failed: check REDIS_PASSWORD';
    return 'Redis is not answering';
  } finally {
    // A client that never connected has nothing to close.
    if (client.isOpen) client.destroy();
  }
}

function where(endpoint: DatabaseEndpoint): string {
  return `${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : `db:setup failed: ${String(error)}`,
    );
    process.exit(1);
  },
);
