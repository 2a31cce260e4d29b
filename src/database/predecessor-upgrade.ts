import type { Client } from 'pg';
import {
  BACKFILL_FUNCTIONS,
  BACKFILL_MESSAGES,
  FINISH,
  INSPECT,
  NEXT_BATCH,
  PLAN,
  PREPARE,
  RECORDED_MIGRATIONS,
  RECOUNT_CONVERSATIONS,
  UPGRADE_REPLACES,
} from './migrations/predecessor-upgrade.sql';

/**
 * `empty`: nothing of ours or the predecessor's; `ours`: this service's migrations are recorded;
 * `predecessor`: model-chatbot-fastapi's tables, upgraded or not yet (an interrupted upgrade is
 * still `predecessor`: its last step records the migrations).
 */
export type DatabaseKind = 'empty' | 'ours' | 'predecessor';

export interface UpgradeCounts {
  conversations: number;
  messages: number;
  countersCorrected: number;
  routingInfoMoved: number;
  referencesMoved: number;
}

export interface UpgradePlan extends UpgradeCounts {
  messagesTotal: number;
  /** Conversations whose first stored message is not the user's: the predecessor lost it. */
  missingFirstMessage: number;
}

export interface UpgradeProgress {
  messagesDone: number;
  messagesTotal: number;
  step: string;
}

/** A step of the upgrade that failed, named for the operator, with the database's own message. */
export class UpgradeStepError extends Error {
  constructor(
    readonly step: string,
    readonly reason: unknown,
  ) {
    super(`upgrade step "${step}" failed: ${(reason as Error)?.message ?? String(reason)}`);
    this.name = 'UpgradeStepError';
  }
}

export async function inspectDatabase(client: Client): Promise<DatabaseKind> {
  const { rows } = await client.query(INSPECT);
  const [facts] = rows as Array<{ has_conversations: boolean; has_migrations_table: boolean }>;
  if (facts.has_migrations_table) {
    const recorded = await client.query<{ name: string }>(RECORDED_MIGRATIONS);
    if (recorded.rows.some((row) => row.name === UPGRADE_REPLACES[0].name)) return 'ours';
  }
  return facts.has_conversations ? 'predecessor' : 'empty';
}

/** What the upgrade would change, read-only: the dry run's counts. */
export async function planUpgrade(client: Client): Promise<UpgradePlan> {
  const { rows } = await client.query(PLAN);
  const [plan] = rows as Array<Record<string, number>>;
  return {
    conversations: plan.conversations,
    messages: plan.messages,
    countersCorrected: plan.counters,
    routingInfoMoved: plan.routing_info_moved,
    referencesMoved: plan.references_moved,
    messagesTotal: plan.messages_total,
    missingFirstMessage: plan.missing_first_message,
  };
}

/**
 * Upgrades a predecessor database in place on one connection (the backfill's function lives in
 * its session): prepare, then the backfill one batch of conversations per transaction, then the
 * finishing schema in one transaction. Safe to interrupt and run again.
 */
export async function upgradePredecessor(
  client: Client,
  options: {
    batchSize: number;
    messagesTotal: number;
    onProgress(progress: UpgradeProgress): void;
  },
): Promise<UpgradeCounts> {
  await step('prepare', () => inTransaction(client, PREPARE));
  const counts: UpgradeCounts = {
    conversations: 0,
    messages: 0,
    countersCorrected: 0,
    routingInfoMoved: 0,
    referencesMoved: 0,
  };
  await step('backfill', async () => {
    for (const statement of BACKFILL_FUNCTIONS) await client.query(statement);
    let after = '';
    let messagesDone = 0;
    for (;;) {
      const batch = await client.query<{ id: string; messages: number }>(NEXT_BATCH, [
        after,
        options.batchSize,
      ]);
      if (batch.rows.length === 0) break;
      const ids = batch.rows.map((row) => row.id);
      await client.query('BEGIN');
      try {
        const written = await client.query<{ moves_routing: boolean; moves_references: boolean }>(
          BACKFILL_MESSAGES,
          [ids],
        );
        const corrected = await client.query(RECOUNT_CONVERSATIONS, [ids]);
        await client.query('COMMIT');
        counts.messages += written.rowCount ?? 0;
        counts.routingInfoMoved += written.rows.filter((row) => row.moves_routing).length;
        counts.referencesMoved += written.rows.filter((row) => row.moves_references).length;
        counts.countersCorrected += corrected.rowCount ?? 0;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      counts.conversations += ids.length;
      messagesDone += batch.rows.reduce((sum, row) => sum + row.messages, 0);
      options.onProgress({ messagesDone, messagesTotal: options.messagesTotal, step: 'backfill' });
      after = ids[ids.length - 1];
    }
  });
  await step('finish', () => inTransaction(client, FINISH));
  return counts;
}

/** The one line of counts the upgrade (or its dry run) prints. */
export function describeCounts(counts: UpgradeCounts): string {
  const moved = counts.routingInfoMoved + counts.referencesMoved;
  return (
    `${counts.conversations} conversations and ${counts.messages} messages upgraded, ` +
    `${counts.countersCorrected} counters corrected, ${moved} fields moved ` +
    `(routing_info ${counts.routingInfoMoved}, references ${counts.referencesMoved})`
  );
}

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new UpgradeStepError(name, error);
  }
}

async function inTransaction(client: Client, statements: readonly string[]): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
