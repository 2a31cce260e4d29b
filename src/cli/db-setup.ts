import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { ConfigError, loadConfig } from '../config/load-config';
import { buildDataSourceOptions, sessionEndpointOf } from '../database/data-source-options';
import { describeConnectionFailure } from '../database/database-errors';
import { databaseHealthCheck } from '../database/database-health';
import { openDatabaseTarget, type DatabaseTarget } from '../database/database-target';
import type { DatabaseEndpoint } from '../database/embedded-postgres';
import { setUpSchema, SetupError } from '../database/schema-setup';
import { withTimeout } from '../common/with-timeout';
import { createRedisClient, describeRedis } from '../redis/redis-client';
import { ProgressLine } from './progress';

/** A sentinel-managed client retries for a while on its own: the check waits this long at most. */
const REDIS_CHECK_TIMEOUT_MS = 5000;

const USAGE = `usage: npm run db:setup [-- --test | --info | --dry-run] [--batch-size N]
  (none)        create the database if missing, upgrade a model-chatbot-fastapi database in
                place, run pending migrations, verify the schema
  --dry-run     say what the setup would do, with the upgrade's counts, and write nothing
  --batch-size  conversations per transaction of the upgrade (default 200)
  --test        only test the connections to PostgreSQL and Redis
  --info        print the configuration in use, without secrets`;

async function main(argv: string[]): Promise<number> {
  let values: { test?: boolean; info?: boolean; 'dry-run'?: boolean; 'batch-size'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        test: { type: 'boolean' },
        info: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'batch-size': { type: 'string' },
      },
      strict: true,
    }));
  } catch {
    console.error(USAGE);
    return 2;
  }
  const batchSize = Number(values['batch-size'] ?? 200);
  const modes = [values.test, values.info, values['dry-run']].filter(Boolean).length;
  if (modes > 1 || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  if (values.info) {
    printInfo(config);
    return 0;
  }
  const target = await openDatabaseTarget(config.postgres, (line) => console.log(line));
  try {
    if (values.test) return await testConnections(config, target);
    return await setUp(config, target, { dryRun: values['dry-run'] ?? false, batchSize });
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
      ? `redis: ${describeRedis(redis)}${redis.tls ? ' over TLS' : ''}, db ${redis.db} (password ${redis.password ? 'set' : 'not set'})`
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
      console.error(`Redis: FAILED (${describeRedis(config.redis)}): ${problem}`);
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

async function setUp(
  config: AppConfig,
  target: DatabaseTarget,
  options: { dryRun: boolean; batchSize: number },
): Promise<number> {
  const progress = new ProgressLine('messages upgraded');
  try {
    // Schema work needs a session: past a transaction pooler, the server itself.
    const endpoint = config.postgres.host ? sessionEndpointOf(config.postgres) : target.endpoint;
    await setUpSchema(config.postgres, endpoint, {
      ...options,
      log: (line) => console.log(line),
      progress: (done, total) => progress.update(done, total),
    });
    return 0;
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    console.error(`setup failed: ${error.message}`);
    return 1;
  } finally {
    progress.done();
  }
}

async function pingRedis(config: AppConfig): Promise<string | null> {
  const client = createRedisClient(config.redis!, { reconnect: false });
  client.onConnectionChange(() => undefined);
  try {
    // Every master of a cluster; the primary the sentinels name.
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      REDIS_CHECK_TIMEOUT_MS,
    );
    return null;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED') return 'connection refused: is Redis running?';
    if (/NOAUTH|WRONGPASS/.test(String(error)))
      return 'authentication failed: check REDIS_PASSWORD';
    return 'Redis is not answering';
  } finally {
    client.destroy();
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
