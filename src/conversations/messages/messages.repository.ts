import { Injectable } from '@nestjs/common';
import { InjectTransactionHost } from '@nestjs-cls/transactional';
import { In, LessThan, MoreThan } from 'typeorm';
import type { JsonObject } from '../../common/json';
import { INT32_MAX } from '../../common/limits';
import type { Transactions } from '../../database/transactions';
import { Message, type MessageRole, type MessageStatus } from './message.entity';
import type { MessageWindow } from './message-window';
import { MessageStreamsRepository, type MessageRef } from './message-streams.repository';
import { searchTerms } from './search-terms';

export interface MessageStats {
  byRole: Record<MessageRole, number>;
  agentsUsed: Array<{ agent: string; count: number }>;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
}

/** What ends a stream: its final status and text, and the fields the agent sent with them. */
export interface FinalMessage {
  status: Exclude<MessageStatus, 'streaming'>;
  content: string;
  agentUsed?: string;
  routingInfo?: JsonObject;
  references?: JsonObject[];
  metadata?: JsonObject;
}

/**
 * Every query on `messages`, in the caller's transaction when there is one; callers have already
 * checked that the user owns the conversation. Messages come back as they read: a streaming one
 * with its text so far, and `incomplete` once its window has passed.
 */
@Injectable()
export class MessagesRepository {
  constructor(
    @InjectTransactionHost() private readonly transactions: Transactions,
    private readonly streams: MessageStreamsRepository,
  ) {}

  async insert(messages: Message[]): Promise<void> {
    await this.transactions.tx.insert(Message, messages);
  }

  /** Messages of a window, always returned oldest first (ascending seq). */
  async window(conversationId: string, window: MessageWindow): Promise<Message[]> {
    return this.readable(await this.rowsOf(conversationId, window));
  }

  /** One message of the user's conversation, as it reads; null when there is none. */
  async findOne(ref: MessageRef): Promise<Message | null> {
    const message = await this.transactions.tx.findOneBy(Message, {
      id: ref.messageId,
      userId: ref.userId,
      conversationId: ref.conversationId,
    });
    return message ? (await this.readable([message]))[0] : null;
  }

  /** Writes a finished stream's text (with its search terms, as on insert) once; the message. */
  async finish(ref: MessageRef, final: FinalMessage): Promise<Message> {
    const where = { id: ref.messageId, userId: ref.userId, status: 'streaming' as const };
    await this.transactions.tx.update(Message, where, {
      status: final.status,
      content: final.content,
      searchTerms: searchTerms(final.content),
      ...(final.agentUsed !== undefined ? { agentUsed: final.agentUsed } : {}),
      ...(final.routingInfo !== undefined ? { routingInfo: final.routingInfo } : {}),
      ...(final.references !== undefined ? { references: final.references } : {}),
      ...(final.metadata !== undefined ? { metadata: final.metadata } : {}),
    });
    return this.transactions.tx.findOneByOrFail(Message, { id: ref.messageId, userId: ref.userId });
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

  private async rowsOf(conversationId: string, window: MessageWindow): Promise<Message[]> {
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

  /**
   * Streaming messages get their text so far and, past their window, read `incomplete`. One
   * finished between the two reads is read again, as it now is.
   */
  private async readable(messages: Message[]): Promise<Message[]> {
    const streaming = messages.filter((message) => message.status === 'streaming');
    if (streaming.length === 0) return messages;
    const { userId } = streaming[0];
    const texts = await this.streams.read(
      userId,
      streaming.map((message) => message.id),
    );
    const finished = streaming.filter((message) => !texts.has(message.id)).map(({ id }) => id);
    const reread = new Map(
      finished.length === 0
        ? []
        : (await this.transactions.tx.findBy(Message, { userId, id: In(finished) })).map(
            (message) => [message.id, message],
          ),
    );
    return messages.map((message) => {
      if (message.status !== 'streaming') return message;
      const streamed = texts.get(message.id);
      if (!streamed) return reread.get(message.id) ?? message;
      message.content = streamed.text;
      if (streamed.stale) message.status = 'incomplete';
      return message;
    });
  }
}
