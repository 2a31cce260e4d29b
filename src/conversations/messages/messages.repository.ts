import { Injectable } from '@nestjs/common';
import { InjectTransactionHost } from '@nestjs-cls/transactional';
import { LessThan, MoreThan } from 'typeorm';
import { INT32_MAX } from '../../common/limits';
import type { Transactions } from '../../database/transactions';
import { Message, type MessageRole } from './message.entity';
import type { MessageWindow } from './message-window';
import type { MessageRange } from '../user-export';

export interface MessageStats {
  byRole: Record<MessageRole, number>;
  agentsUsed: Array<{ agent: string; count: number }>;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
}

/**
 * Every query on `messages`, in the caller's transaction when there is one; callers have already
 * checked that the user owns the conversation.
 */
@Injectable()
export class MessagesRepository {
  constructor(@InjectTransactionHost() private readonly transactions: Transactions) {}

  async insert(messages: Message[]): Promise<void> {
    await this.transactions.tx.insert(Message, messages);
  }

  /** Messages of a window, always returned oldest first (ascending seq). */
  async window(conversationId: string, window: MessageWindow): Promise<Message[]> {
    const repository = this.transactions.tx.getRepository(Message);
    switch (window.kind) {
      case 'offset':
        return repository.find({
          where: { conversationId },
          order: { seq: 'ASC' },
          skip: window.offset,
          take: window.limit,
        });
      case 'after':
        return repository.find({
          where: { conversationId, seq: MoreThan(window.afterSeq) },
          order: { seq: 'ASC' },
          take: window.limit,
        });
      case 'before': {
        const newestFirst = await repository.find({
          where: { conversationId, seq: LessThan(window.beforeSeq) },
          order: { seq: 'DESC' },
          take: window.limit,
        });
        return newestFirst.reverse();
      }
    }
  }

  /** The newest `limit` messages, oldest first. */
  recent(conversationId: string, limit: number): Promise<Message[]> {
    return this.window(conversationId, { kind: 'before', limit, beforeSeq: INT32_MAX });
  }

  /**
   * The messages of several seq ranges in one statement, in the order of the ranges then seq:
   * every row comes through `idx_messages_conversation_seq`, bounded by the ranges.
   */
  async ranges(ranges: MessageRange[]): Promise<Message[]> {
    const rows: Record<string, unknown>[] = await this.transactions.tx.query(
      `SELECT m.id, m.conversation_id, m.user_id, m.seq, m.role, m.content, m.agent_used,
              m.routing_info, m."references", m.timestamp, m.metadata
       FROM unnest($1::varchar[], $2::int[], $3::int[]) WITH ORDINALITY AS r(conversation_id, from_seq, to_seq, n)
       JOIN messages m ON m.conversation_id = r.conversation_id AND m.seq BETWEEN r.from_seq AND r.to_seq
       ORDER BY r.n, m.seq`,
      [
        ranges.map((range) => range.conversationId),
        ranges.map((range) => range.fromSeq),
        ranges.map((range) => range.toSeq),
      ],
    );
    return rows.map(messageFromRow);
  }

  async stats(conversationId: string): Promise<MessageStats> {
    const roles: Array<{ role: MessageRole; count: number; first: Date; last: Date }> =
      await this.transactions.tx.query(
        `SELECT role, count(*)::int AS count, min(timestamp) AS first, max(timestamp) AS last
         FROM messages WHERE conversation_id = $1 GROUP BY role`,
        [conversationId],
      );
    const agents: Array<{ agent: string; count: number }> = await this.transactions.tx.query(
      `SELECT agent_used AS agent, count(*)::int AS count FROM messages
       WHERE conversation_id = $1 AND agent_used IS NOT NULL
       GROUP BY agent_used ORDER BY count DESC, agent_used`,
      [conversationId],
    );
    const byRole: Record<MessageRole, number> = { user: 0, assistant: 0, system: 0 };
    for (const { role, count } of roles) byRole[role] = count;
    const times = roles.flatMap(({ first, last }) => [first, last]).filter(Boolean);
    const epochs = times.map((time) => time.getTime());
    return {
      byRole,
      agentsUsed: agents,
      firstMessageAt: epochs.length > 0 ? new Date(Math.min(...epochs)) : null,
      lastMessageAt: epochs.length > 0 ? new Date(Math.max(...epochs)) : null,
    };
  }
}

function messageFromRow(row: Record<string, unknown>): Message {
  return Object.assign(new Message(), {
    id: row.id,
    conversationId: row.conversation_id,
    userId: row.user_id,
    seq: row.seq,
    role: row.role,
    content: row.content,
    agentUsed: row.agent_used,
    routingInfo: row.routing_info,
    references: row.references,
    timestamp: row.timestamp,
    metadata: row.metadata,
  });
}
