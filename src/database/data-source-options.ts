import { readFileSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import type { PostgresConfig } from '../config/app-config';
import { AgentDailyConversation } from '../agent-stats/agent-daily-conversation.entity';
import { AgentDailyStats } from '../agent-stats/agent-daily-stats.entity';
import { Conversation } from '../conversations/conversation.entity';
import { MessageFeedback } from '../conversations/messages/feedback/message-feedback.entity';
import { IdempotencyRecord } from '../idempotency/idempotency-record.entity';
import { Message } from '../conversations/messages/message.entity';
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
    synchronize: false,
    logging: false,
    extra: {
      max: config.poolSize + config.maxOverflow,
      connectionTimeoutMillis: timeouts.connectionTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'model-chatbot-nestjs',
      statement_timeout: timeouts.statementTimeoutMs,
      lock_timeout: timeouts.lockTimeoutMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
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
