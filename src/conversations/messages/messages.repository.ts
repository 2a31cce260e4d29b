import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { JsonObject } from '../../common/json';
import { INT32_MAX } from '../../common/limits';
import { queryAffected, queryRows } from '../../database/query-rows';
import { Transactions } from '../../database/transactions';
import type { BranchChoice } from './dto/list-messages-query.dto';
import { feedbackFromRow } from './feedback/feedback.repository';
import { Message, type MessageRole, type MessageStatus, type MessageUsage } from './message.entity';
import { ONLY_CHILD, type SiblingPlace } from './message.mapper';
import type { MessageWindow } from './message-window';
import { MessageStreamsRepository, type MessageRef } from './message-streams.repository';
import {
  insertMessagesStatement,
  MESSAGE_WITH_FEEDBACK,
  messageWindowStatement,
  SIBLING_PLACES,
} from './message-statements';
import { searchTerms } from './search-terms';
import type { ConversationKey } from '../conversation-key';
import type { MessageRange } from '../user-export';

export interface AgentFigures {
  agent: string;
  count: number;
  prompt_tokens: number;
  completion_tokens: number;
  feedback_up: number;
  feedback_down: number;
}

export interface MessageStats {
  byRole: Record<MessageRole, number>;
  agentsUsed: AgentFigures[];
  feedback: { up: number; down: number };
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
}

/** What feedback needs to know of the message it rates. */
export interface RatedMessage {
  id: string;
  role: MessageRole;
  agentUsed: string | null;
  userId: number;
  timestamp: Date | null;
}

/** What ends a stream: its final status and text, and the fields the agent sent with them. */
export interface FinalMessage {
  status: Exclude<MessageStatus, 'streaming'>;
  content: string;
  agentUsed?: string;
  routingInfo?: JsonObject;
  references?: JsonObject[];
  metadata?: JsonObject;
  usage?: MessageUsage | null;
}

/**
 * Every query on `messages`, in the caller's transaction when there is one; callers have already
 * checked that the user owns the conversation. Messages come back as they read: a streaming one
 * with its text so far, and `incomplete` once its window has passed.
 */
@Injectable()
export class MessagesRepository {
  constructor(
    private readonly transactions: Transactions,
    private readonly streams: MessageStreamsRepository,
  ) {}

  async insert(messages: Message[]): Promise<void> {
    // In the order of MESSAGE_INSERT_COLUMNS.
    const rows = messages.map((message) => [
      message.id,
      message.conversationId,
      message.userId,
      message.seq,
      message.role,
      message.content,
      message.agentUsed,
      // JSON text: pg would send a JavaScript array as a PostgreSQL array, not as jsonb.
      JSON.stringify(message.routingInfo),
      JSON.stringify(message.references),
      message.timestamp,
      JSON.stringify(message.metadata),
      message.parentId,
      message.depth,
      message.onActiveBranch,
      message.usage === null ? null : JSON.stringify(message.usage),
      message.status,
      message.searchTerms,
    ]);
    await queryAffected(
      this.transactions.tx,
      insertMessagesStatement(messages.length),
      rows.flat(),
    );
  }

  /**
   * Messages of a window of the active branch (one range of its partial index, whatever the
   * branches) or of every message, with their feedback, always returned oldest first.
   */
  async window(
    conversation: ConversationKey,
    window: MessageWindow,
    branch: BranchChoice = 'active',
  ): Promise<Message[]> {
    return this.readable(await this.rowsOf(conversation, window, branch));
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
      ...(final.usage !== undefined ? { usage: final.usage } : {}),
    });
    return this.transactions.tx.findOneByOrFail(Message, { id: ref.messageId, userId: ref.userId });
  }

  /**
   * The message feedback is given on, locked so that concurrent feedback on it queues (each
   * then reads the rating the previous one left). Null when the conversation holds no such id.
   */
  async lockForFeedback(
    conversation: ConversationKey,
    messageId: string,
  ): Promise<RatedMessage | null> {
    const rows = await queryRows<RatedMessage>(
      this.transactions.tx,
      `SELECT id, role, agent_used AS "agentUsed", user_id AS "userId", timestamp
       FROM messages WHERE id = $1 AND conversation_id = $2 AND user_id = $3
       FOR NO KEY UPDATE`,
      [messageId, conversation.id, conversation.userId],
    );
    return rows[0] ?? null;
  }

  /** The newest `limit` messages of the active branch, oldest first. */
  recent(conversation: ConversationKey, limit: number): Promise<Message[]> {
    return this.window(conversation, { kind: 'before', limit, beforeSeq: INT32_MAX });
  }

  /**
   * Each message's place among the messages with the same parent (in the order given): one probe
   * of the siblings index per message, so a page costs the same whatever the history. A root's
   * siblings are the other roots; a row not linked yet stands alone.
   */
  async siblingPlaces(conversation: ConversationKey, messages: Message[]): Promise<SiblingPlace[]> {
    const linked = messages.filter((message) => message.depth !== null);
    if (linked.length === 0) return messages.map(() => ONLY_CHILD);
    const rows: Array<{ id: string; count: number; index: number }> =
      await this.transactions.tx.query(SIBLING_PLACES, [
        conversation.id,
        conversation.userId,
        linked.map((message) => message.id),
        linked.map((message) => message.parentId),
        linked.map((message) => message.seq),
      ]);
    const places = new Map(rows.map((row) => [row.id, { count: row.count, index: row.index }]));
    return messages.map((message) => places.get(message.id) ?? ONLY_CHILD);
  }

  /**
   * The messages of several seq ranges in one statement, in the order of the ranges then seq:
   * every row comes through `idx_messages_conversation_seq`, bounded by the ranges.
   */
  async ranges(userId: number, ranges: MessageRange[]): Promise<Message[]> {
    const rows: Record<string, unknown>[] = await this.transactions.tx.query(
      `SELECT ${MESSAGE_WITH_FEEDBACK}
       FROM unnest($1::varchar[], $2::int[], $3::int[]) WITH ORDINALITY AS r(conversation_id, from_seq, to_seq, n)
       JOIN messages m ON m.conversation_id = r.conversation_id AND m.seq BETWEEN r.from_seq AND r.to_seq
       LEFT JOIN message_feedback f ON f.message_id = m.id AND f.user_id = m.user_id
       WHERE m.user_id = $4
       ORDER BY r.n, m.seq`,
      [
        ranges.map((range) => range.conversationId),
        ranges.map((range) => range.fromSeq),
        ranges.map((range) => range.toSeq),
        userId,
      ],
    );
    return this.readable(rows.map(messageFromRow));
  }

  async stats(conversation: ConversationKey): Promise<MessageStats> {
    const key = [conversation.id, conversation.userId];
    const roles: Array<{ role: MessageRole; count: number; first: Date; last: Date }> =
      await this.transactions.tx.query(
        `SELECT role, count(*)::int AS count, min(timestamp) AS first, max(timestamp) AS last
         FROM messages WHERE conversation_id = $1 AND user_id = $2 GROUP BY role`,
        key,
      );
    const agents: AgentFigures[] = await this.transactions.tx.query(
      `SELECT m.agent_used AS agent, count(*)::int AS count,
              COALESCE(sum((m.usage ->> 'prompt_tokens')::bigint), 0)::float8 AS prompt_tokens,
              COALESCE(sum((m.usage ->> 'completion_tokens')::bigint), 0)::float8 AS completion_tokens,
              count(*) FILTER (WHERE f.rating = 'up')::int AS feedback_up,
              count(*) FILTER (WHERE f.rating = 'down')::int AS feedback_down
       FROM messages m
       LEFT JOIN message_feedback f ON f.message_id = m.id AND f.user_id = m.user_id
       WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.agent_used IS NOT NULL
       GROUP BY m.agent_used ORDER BY count DESC, m.agent_used`,
      key,
    );
    const ratings: Array<{ rating: 'up' | 'down'; count: number }> =
      await this.transactions.tx.query(
        `SELECT rating, count(*)::int AS count FROM message_feedback
         WHERE conversation_id = $1 AND user_id = $2 GROUP BY rating`,
        key,
      );
    const feedback = { up: 0, down: 0 };
    for (const { rating, count } of ratings) feedback[rating] = count;
    const byRole: Record<MessageRole, number> = { user: 0, assistant: 0, system: 0 };
    for (const { role, count } of roles) byRole[role] = count;
    const times = roles.flatMap(({ first, last }) => [first, last]).filter(Boolean);
    const epochs = times.map((time) => time.getTime());
    return {
      byRole,
      agentsUsed: agents,
      feedback,
      firstMessageAt: epochs.length > 0 ? new Date(Math.min(...epochs)) : null,
      lastMessageAt: epochs.length > 0 ? new Date(Math.max(...epochs)) : null,
    };
  }

  private async rowsOf(
    conversation: ConversationKey,
    window: MessageWindow,
    branch: BranchChoice,
  ): Promise<Message[]> {
    // One row per message (feedback is at most one per message): LIMIT applies as written.
    const parameters =
      window.kind === 'offset'
        ? [window.limit, window.offset]
        : [window.kind === 'after' ? window.afterSeq : window.beforeSeq, window.limit];
    const rows = await queryRows(
      this.transactions.tx,
      messageWindowStatement(window.kind, branch),
      [conversation.id, conversation.userId, ...parameters],
    );
    const messages = rows.map(messageFromRow);
    return window.kind === 'before' ? messages.reverse() : messages;
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
    parentId: row.parent_id,
    depth: row.depth,
    onActiveBranch: row.on_active_branch,
    usage: row.usage,
    status: row.status,
    feedback: row.message_id === null ? null : feedbackFromRow(row),
  });
}
