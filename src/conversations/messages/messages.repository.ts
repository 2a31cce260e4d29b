import { Injectable } from '@nestjs/common';
import { InjectTransactionHost } from '@nestjs-cls/transactional';
import { LessThan, MoreThan } from 'typeorm';
import { INT32_MAX } from '../../common/limits';
import type { Transactions } from '../../database/transactions';
import { Message, type MessageRole } from './message.entity';
import type { MessageWindow } from './message-window';

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
