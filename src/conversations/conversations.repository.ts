import { Injectable } from '@nestjs/common';
import { InjectTransactionHost } from '@nestjs-cls/transactional';
import { queryRows } from '../database/query-rows';
import type { Transactions } from '../database/transactions';
import { Conversation } from './conversation.entity';

/** Where a keyset page starts: strictly after this conversation in "newest first" order. */
export interface ConversationPosition {
  updatedAtMicros: string;
  id: string;
}

export type NewConversation = Pick<
  Conversation,
  'id' | 'userId' | 'title' | 'messageCount' | 'metadata'
>;

export interface ConversationChanges {
  title?: string;
  metadata?: Record<string, unknown>;
}

export interface ConversationTitle {
  id: string;
  title: string;
  updated_at: Date;
}

export interface SequenceClaim {
  conversation: Conversation;
  /** The seq of the first of the claimed messages; they follow without a gap. */
  firstSeq: number;
}

// PostgreSQL keeps microseconds, JavaScript dates milliseconds: cursors carry the exact value.
const UPDATED_AT_MICROS = `(extract(epoch FROM c.updated_at) * 1000000)::bigint::text`;
const SUMMARY_COLUMNS = `c.id, c.user_id, c.title, c.created_at, c.updated_at, c.message_count,
  c.last_agent_used, c.is_active, ${UPDATED_AT_MICROS} AS position_micros`;

/**
 * Every query on `conversations`, in the caller's transaction when there is one. Each one is
 * scoped to the owner: there is no unscoped read.
 */
@Injectable()
export class ConversationsRepository {
  constructor(@InjectTransactionHost() private readonly transactions: Transactions) {}

  findActive(userId: number, id: string): Promise<Conversation | null> {
    return this.transactions.tx.findOneBy(Conversation, { id, userId, isActive: true });
  }

  /** Times come from the database clock, like every other. */
  async insert(conversation: NewConversation): Promise<Conversation> {
    const [row] = await queryRows(
      this.transactions.tx,
      `INSERT INTO conversations (id, user_id, title, message_count, metadata)
       VALUES ($1, $2, $3, $4, $5::jsonb)
       RETURNING *`,
      [
        conversation.id,
        conversation.userId,
        conversation.title,
        conversation.messageCount,
        JSON.stringify(conversation.metadata),
      ],
    );
    return conversationFromRow(row);
  }

  /** A page of active conversations, newest `updated_at` first, without metadata. */
  async listActive(
    userId: number,
    page: { limit: number; offset?: number; after?: ConversationPosition },
  ): Promise<Array<{ conversation: Conversation; position: ConversationPosition }>> {
    const params: unknown[] = [userId, page.limit, page.offset ?? 0];
    let keyset = '';
    if (page.after) {
      params.push(page.after.updatedAtMicros, page.after.id);
      keyset = `AND (c.updated_at, c.id) < ('epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5)`;
    }
    const rows: Record<string, unknown>[] = await this.transactions.tx.query(
      `SELECT ${SUMMARY_COLUMNS} FROM conversations c
       WHERE c.user_id = $1 AND c.is_active = true ${keyset}
       ORDER BY c.updated_at DESC, c.id DESC LIMIT $2 OFFSET $3`,
      params,
    );
    return rows.map((row) => ({
      conversation: conversationFromRow(row),
      position: { updatedAtMicros: String(row.position_micros), id: String(row.id) },
    }));
  }

  /** Titles and update times of some of the user's conversations, whatever their state. */
  titles(userId: number, ids: string[]): Promise<ConversationTitle[]> {
    return this.transactions.tx.query(
      `SELECT id, title, updated_at FROM conversations WHERE user_id = $1 AND id = ANY($2::varchar[])`,
      [userId, ids],
    );
  }

  async countActive(userId: number): Promise<number> {
    const [{ count }] = await this.transactions.tx.query(
      `SELECT count(*)::int AS count FROM conversations WHERE user_id = $1 AND is_active = true`,
      [userId],
    );
    return count;
  }

  async update(
    userId: number,
    id: string,
    changes: ConversationChanges,
  ): Promise<Conversation | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations
       SET title = COALESCE($3, title), metadata = COALESCE($4::jsonb, metadata), updated_at = now()
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`,
      [
        id,
        userId,
        changes.title ?? null,
        changes.metadata ? JSON.stringify(changes.metadata) : null,
      ],
    );
    return rows.length > 0 ? conversationFromRow(rows[0]) : null;
  }

  /** Moves `updated_at` and, when given, `last_agent_used`; null unless active and the user's. */
  async recordActivity(
    userId: number,
    id: string,
    lastAgentUsed: string | null,
  ): Promise<Conversation | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations SET updated_at = now(), last_agent_used = COALESCE($3, last_agent_used)
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`,
      [id, userId, lastAgentUsed],
    );
    return rows.length > 0 ? conversationFromRow(rows[0]) : null;
  }

  /** Soft delete. False when the user owns no such conversation, active or not. */
  async deactivate(userId: number, id: string): Promise<boolean> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations
       SET is_active = false, updated_at = CASE WHEN is_active THEN now() ELSE updated_at END
       WHERE id = $1 AND user_id = $2
       RETURNING id`,
      [id, userId],
    );
    return rows.length > 0;
  }

  /**
   * Reserves `count` consecutive seq numbers on an active conversation and moves its counters; the
   * caller's transaction must also insert the messages. The row lock this UPDATE takes serializes concurrent appends, so seq
   * has no gap and no duplicate; `message_count` is the highest seq because messages are never
   * deleted one by one. Null when the user owns no such active conversation.
   */
  async claimSequence(
    userId: number,
    id: string,
    count: number,
    lastAgentUsed: string | null,
  ): Promise<SequenceClaim | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations
       SET message_count = COALESCE(message_count, 0) + $3,
           updated_at = now(),
           last_agent_used = COALESCE($4, last_agent_used)
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`,
      [id, userId, count, lastAgentUsed],
    );
    if (rows.length === 0) return null;
    const conversation = conversationFromRow(rows[0]);
    return { conversation, firstSeq: conversation.messageCount - count + 1 };
  }
}

function conversationFromRow(row: Record<string, unknown>): Conversation {
  return Object.assign(new Conversation(), {
    id: row.id,
    userId: row.user_id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count ?? 0,
    lastAgentUsed: row.last_agent_used,
    isActive: row.is_active,
    metadata: row.metadata ?? {},
  });
}
