import { Client } from 'pg';
import { DataSource, MigrationExecutor } from 'typeorm';
import type { PostgresConfig } from '../config/app-config';
import { createDatabaseIfMissing, databaseExists } from './create-database';
import { buildDataSourceOptions, poolTimeouts, sslOptions } from './data-source-options';
import { describeConnectionFailure, isConnectionFailure } from './database-errors';
import { databaseHealthCheck, missingParts } from './database-health';
import type { DatabaseEndpoint } from './embedded-postgres';
import {
  describeCounts,
  inspectDatabase,
  planUpgrade,
  upgradePredecessor,
  UpgradeStepError,
} from './predecessor-upgrade';
import { UPGRADE_REPLACES } from './migrations/predecessor-upgrade.sql';

/** Schema work waits this long for a lock (a predecessor still running holds them), then says so. */
const SETUP_LOCK_TIMEOUT_MS = 10_000;

export interface SetupOptions {
  dryRun: boolean;
  /** Conversations per transaction of the upgrade's backfill. */
  batchSize: number;
  log(line: string): void;
  progress(done: number, total: number): void;
}

/** A setup failure, worded for the operator: what failed, where, and the database's reason. */
export class SetupError extends Error {}

/**
 * `npm run db:setup`: the database created when missing; a model-chatbot-fastapi database
 * upgraded in place (a database this service created is left as it is); pending migrations run;
 * the schema verified. With `dryRun`, the same decisions and counts, and nothing written.
 */
export async function setUpSchema(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
  options: SetupOptions,
): Promise<void> {
  const where = `${endpoint.host}:${endpoint.port}/${endpoint.database}`;
  const guard = <T>(action: string, work: () => Promise<T>): Promise<T> =>
    work().catch((error: unknown) => {
      if (error instanceof SetupError) throw error;
      throw new SetupError(`${action} at ${where}: ${explain(error)}`);
    });

  if (options.dryRun) {
    const exists = await guard('cannot reach PostgreSQL', () => databaseExists(config, endpoint));
    if (!exists) {
      options.log(`dry run: would create database ${endpoint.database} and run every migration`);
      return;
    }
  } else if (
    await guard('cannot create the database', () => createDatabaseIfMissing(config, endpoint))
  ) {
    options.log(`created database ${endpoint.database}`);
  }

  const client = new Client({
    ...endpoint,
    ssl: sslOptions(config),
    connectionTimeoutMillis: poolTimeouts(config.statementTimeoutMs).connectionTimeoutMs,
    lock_timeout: SETUP_LOCK_TIMEOUT_MS,
    application_name: 'model-chatbot-nestjs db:setup',
  });
  await guard('cannot connect to PostgreSQL', () => client.connect());
  let upgrading = false;
  try {
    upgrading =
      (await guard('cannot read the schema', () => inspectDatabase(client))) === 'predecessor';
    if (upgrading) await upgradeInPlace(client, options, guard);
  } finally {
    await client.end();
  }
  // A dry run did not record the migrations the upgrade stands in for: they are not pending.
  const replaced = new Set<string>(upgrading ? UPGRADE_REPLACES.map(({ name }) => name) : []);
  await migrate(config, endpoint, { ...options, replaced }, guard);
}

/**
 * Refuses to boot with migrations at boot on the predecessor's database: its upgrade is a
 * deliberate step (back up first, then `npm run db:setup`), never a side effect of starting.
 */
export async function refusePredecessorDatabase(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
): Promise<void> {
  const client = new Client({
    ...endpoint,
    ssl: sslOptions(config),
    connectionTimeoutMillis: poolTimeouts(config.statementTimeoutMs).connectionTimeoutMs,
  });
  await client.connect();
  try {
    if ((await inspectDatabase(client)) === 'predecessor') {
      throw new SetupError(
        `${endpoint.database} holds model-chatbot-fastapi's tables: back it up (npm run db:backup), then upgrade it in place with npm run db:setup`,
      );
    }
  } finally {
    await client.end();
  }
}

type Guard = <T>(action: string, work: () => Promise<T>) => Promise<T>;

async function upgradeInPlace(client: Client, options: SetupOptions, guard: Guard): Promise<void> {
  const plan = await guard('cannot plan the upgrade', () => planUpgrade(client));
  options.log(
    `model-chatbot-fastapi database found: ${plan.conversations} conversations, ${plan.messagesTotal} messages`,
  );
  if (plan.missingFirstMessage > 0) {
    options.log(
      `note: ${plan.missingFirstMessage} conversations have no first user message: the predecessor never stored it, and its text cannot be recovered`,
    );
  }
  if (options.dryRun) {
    options.log(`dry run: ${describeCounts(plan)}; nothing was written`);
    return;
  }
  const counts = await guard('the upgrade failed', () =>
    upgradePredecessor(client, {
      batchSize: options.batchSize,
      messagesTotal: plan.messagesTotal,
      onProgress: ({ messagesDone, messagesTotal }) =>
        options.progress(messagesDone, messagesTotal),
    }),
  );
  options.log(`upgraded in place: ${describeCounts(counts)}`);
}

async function migrate(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
  options: SetupOptions & { replaced: ReadonlySet<string> },
  guard: Guard,
): Promise<void> {
  // A direct connection (db:setup connects past any pooler): the timeouts travel as usual.
  const base = buildDataSourceOptions({ ...config, pooler: 'none' }, endpoint);
  // Migrations may build indexes on large tables: no statement timeout, a bounded lock wait.
  const dataSource = new DataSource({
    ...base,
    migrationsRun: false,
    extra: {
      ...base.extra,
      statement_timeout: 0,
      query_timeout: undefined,
      lock_timeout: SETUP_LOCK_TIMEOUT_MS,
    },
  });
  await guard('cannot connect to PostgreSQL', () => dataSource.initialize());
  try {
    const executor = new MigrationExecutor(dataSource);
    const pending = await guard('cannot read the migrations', () =>
      executor.getPendingMigrations(),
    );
    if (options.dryRun) {
      const toApply = pending.filter((migration) => !options.replaced.has(migration.name));
      options.log(
        toApply.length > 0
          ? `dry run: would apply ${toApply.map((migration) => migration.name).join(', ')}`
          : 'dry run: schema already up to date',
      );
      return;
    }
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      options.log(
        applied.length > 0
          ? `applied ${applied.map((migration) => migration.name).join(', ')}`
          : 'schema already up to date',
      );
    } catch (error) {
      // Migrations commit one by one: the first one still pending is the one that failed.
      const [failed] = await executor.getPendingMigrations().catch(() => pending);
      throw new SetupError(`migration ${failed?.name ?? '(unknown)'} failed: ${explain(error)}`);
    }
    const health = await databaseHealthCheck(dataSource);
    const missing = health.schema ? missingParts(health.schema) : ['the whole schema'];
    if (missing.length > 0) {
      throw new SetupError(`schema incomplete after migrating: missing ${missing.join(', ')}`);
    }
    options.log(`database ${endpoint.database} is ready (${health.server_version})`);
  } finally {
    await dataSource.destroy();
  }
}

/** The database's reason: the operator's wording for connection faults, else its own message. */
function explain(error: unknown): string {
  if (error instanceof UpgradeStepError) return `${error.step} step: ${explain(error.reason)}`;
  const code = (error as { code?: string }).code;
  const message = (error as Error)?.message ?? String(error);
  if (code === '55P03') {
    return 'another session holds a lock this needs (is model-chatbot-fastapi still running?)';
  }
  if (code === '42501') return `permission denied: ${message}`;
  return isConnectionFailure(error) ? describeConnectionFailure(error) : message;
}
