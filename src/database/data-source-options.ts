import { readFileSync } from 'node:fs';
import type { ClientBase } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { PostgresConfig } from '../config/app-config';
import { AgentDailyConversation } from '../agent-stats/agent-daily-conversation.entity';
import { AgentDailyStats } from '../agent-stats/agent-daily-stats.entity';
import { Conversation } from '../conversations/conversation.entity';
import { MessageFeedback } from '../conversations/messages/feedback/message-feedback.entity';
import { IdempotencyRecord } from '../idempotency/idempotency-record.entity';
import { Message } from '../conversations/messages/message.entity';
import { ServerTimeoutsError } from './database-errors';
import type { DatabaseEndpoint } from './embedded-postgres';
import { MIGRATIONS } from './migrations';

export const ENTITIES = [
  Conversation,
  Message,
  MessageFeedback,
  IdempotencyRecord,
  AgentDailyStats,
  AgentDailyConversation,
];

/** Fail fast on a full pool instead of queueing forever (pg's default wait is unbounded). */
const MAX_POOL_WAIT_MS = 2000;

export interface PoolTimeouts {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  connectionTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** Derives every database timeout from the one configured statement timeout. */
export function poolTimeouts(statementTimeoutMs: number): PoolTimeouts {
  return {
    statementTimeoutMs,
    // A request blocked on a row lock gives up well before its statement would.
    lockTimeoutMs: Math.max(50, Math.floor(statementTimeoutMs / 2)),
    connectionTimeoutMs: Math.min(statementTimeoutMs, MAX_POOL_WAIT_MS),
    idleInTransactionTimeoutMs: statementTimeoutMs * 2,
  };
}

/** The timeouts as PostgreSQL names them. */
const TIMEOUT_SETTINGS = {
  statement_timeout: 'statementTimeoutMs',
  lock_timeout: 'lockTimeoutMs',
  idle_in_transaction_session_timeout: 'idleInTransactionTimeoutMs',
} as const satisfies Record<string, keyof PoolTimeouts>;

type TimeoutSetting = keyof typeof TIMEOUT_SETTINGS;

/**
 * The settings the server applies that are looser than configured (0, "off", counts as looser),
 * one phrase each; empty when it enforces all of them.
 */
export function looserServerTimeouts(
  timeouts: PoolTimeouts,
  server: Partial<Record<TimeoutSetting, number>>,
): string[] {
  return Object.entries(TIMEOUT_SETTINGS).flatMap(([name, key]) => {
    const actual = server[name as TimeoutSetting] ?? 0;
    const expected = timeouts[key];
    return actual > 0 && actual <= expected
      ? []
      : [`${name} is ${actual > 0 ? `${actual} ms` : 'off'} (at most ${expected} ms configured)`];
  });
}

/**
 * Direct connections carry the timeouts as startup parameters. A pooler refuses those and shares
 * server sessions between clients, so there the server must apply them itself (database or role
 * defaults), and each new connection checks that it does: the timeouts are never silently lost.
 */
function timeoutOptions(config: PostgresConfig, timeouts: PoolTimeouts): Record<string, unknown> {
  if (config.pooler === 'none') {
    return {
      statement_timeout: timeouts.statementTimeoutMs,
      lock_timeout: timeouts.lockTimeoutMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
    };
  }
  return {
    onConnect: async (client: ClientBase): Promise<void> => {
      const { rows } = await client.query<{ name: TimeoutSetting; ms: number }>(
        `SELECT name, setting::int AS ms FROM pg_settings WHERE name = ANY($1)`,
        [Object.keys(TIMEOUT_SETTINGS)],
      );
      const looser = looserServerTimeouts(
        timeouts,
        Object.fromEntries(rows.map(({ name, ms }) => [name, ms])),
      );
      if (looser.length > 0) throw new ServerTimeoutsError(looser);
    },
  };
}

/**
 * The one builder of data-source options, shared by the app and the TypeORM CLI (`ormconfig.ts`),
 * so that the two can never drift. `synchronize` is never on: migrations own the schema.
 */
export function buildDataSourceOptions(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint = endpointOf(config),
): DataSourceOptions {
  const timeouts = poolTimeouts(config.statementTimeoutMs);
  return {
    type: 'postgres',
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    ssl: sslOptions(config),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: config.migrationsRun,
    // Each migration commits on its own, and one that batches its own work (transaction = false)
    // may: TypeORM refuses that override when everything runs in one transaction.
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: config.poolSize + config.maxOverflow,
      connectionTimeoutMillis: timeouts.connectionTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'model-chatbot-nestjs',
      ...timeoutOptions(config, timeouts),
      // Client-side bound too: a server that stops answering must not hold a request forever.
      query_timeout: timeouts.statementTimeoutMs + 1000,
    },
  };
}

export function endpointOf(config: PostgresConfig): DatabaseEndpoint {
  if (!config.host) {
    throw new Error('POSTGRES_HOST is not set: start the embedded database first');
  }
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
  };
}

/**
 * Where work that needs a session of its own connects (operator commands, session locks): the
 * server itself, never a transaction pooler (`POSTGRES_SESSION_HOST`/`PORT`, by default the
 * configured host and port).
 */
export function sessionEndpointOf(config: PostgresConfig): DatabaseEndpoint {
  return {
    ...endpointOf(config),
    host: config.session.host ?? config.host!,
    port: config.session.port,
  };
}

export function sslOptions(
  config: PostgresConfig,
): false | { rejectUnauthorized: boolean; ca?: string } {
  switch (config.sslMode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      // Node verifies the host name against the certificate when rejectUnauthorized is on.
      return {
        rejectUnauthorized: true,
        ca: config.sslCaPath ? readFileSync(config.sslCaPath, 'utf8') : undefined,
      };
  }
}
