import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { RESET, type ConversationRef } from './conversation-event';
import type { EventBus } from './event-bus';

/** How often each replica looks for conversations whose events were lost. */
const RELAY_EVERY_MS = 1_000;
const BATCH = 100;

/**
 * When a write cannot publish its events (Redis unreachable from its replica, or too slow), the
 * streams of that conversation on other replicas would miss them without knowing. The writer
 * names the conversation in PostgreSQL instead (`event_losses`, one row per conversation however
 * many writes), and every replica that can reach Redis looks there every second: it publishes a
 * `reset` marker into the conversation's history, which ends the open streams with `reset` and
 * refuses a resume across it, then forgets the row. One replica takes each row (SKIP LOCKED), and
 * a marker that could not be published leaves its row for the next turn.
 */
export class LostEvents {
  private readonly logger = new Logger(LostEvents.name);
  private timer: NodeJS.Timeout | null = null;
  private relaying: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: EventBus,
  ) {}

  /** Names the conversation as having lost events; never throws (the write has answered). */
  async record({ userId, conversationId }: ConversationRef): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO event_losses (user_id, conversation_id) VALUES ($1, $2)
         ON CONFLICT (user_id, conversation_id) DO NOTHING`,
        [userId, conversationId],
      );
    } catch (error) {
      this.logger.warn(
        `lost events not recorded (${(error as { code?: string }).code ?? 'error'}): open streams of the conversation are not told`,
      );
    }
  }

  startRelay(): void {
    this.timer = setInterval(() => {
      this.relaying ??= this.relay().finally(() => (this.relaying = null));
    }, RELAY_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.relaying;
  }

  private async relay(): Promise<void> {
    if (!this.bus.isUp()) return;
    try {
      await this.dataSource.transaction(async (manager) => {
        const rows = await queryRows<ConversationRow>(
          manager,
          `DELETE FROM event_losses WHERE (user_id, conversation_id) IN (
             SELECT user_id, conversation_id FROM event_losses
             ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING user_id, conversation_id`,
          [BATCH],
        );
        for (const row of rows) {
          const target = { userId: row.user_id, conversationId: row.conversation_id };
          // Thrown, the transaction rolls back: the rows wait for the next turn.
          if (!(await this.bus.publish(target, [{ type: RESET, data: '{}' }]))) {
            throw new Error('reset marker not published');
          }
        }
      });
    } catch (error) {
      this.logger.debug(`lost events not relayed yet: ${(error as Error).message}`);
    }
  }
}

interface ConversationRow {
  user_id: number;
  conversation_id: string;
}
