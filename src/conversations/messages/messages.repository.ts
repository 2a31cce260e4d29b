import { Injectable } from '@nestjs/common';
import { InjectTransactionHost } from '@nestjs-cls/transactional';
import { INT32_MAX } from '../../common/limits';
import type { Transactions } from '../../database/transactions';
import type { BranchChoice } from './dto/list-messages-query.dto';
import { Message, type MessageRole } from './message.entity';
import { ONLY_CHILD, type SiblingPlace } from './message.mapper';
import type { MessageWindow } from './message-window';

export interface MessageStats {
  byRole: Record<MessageRole, number>;
  agentsUsed: Array<{ agent: string; count: number }>;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
}

/**
 * Each message's place among its siblings ($1 the conversation; $2, $3, $4 the messages' ids,
 * parents and seqs): one probe of the siblings index per message. A root's siblings are the
 * other roots, rows not linked yet (null depth, null parent) excluded.
 */
export const SIBLING_PLACES = `
SELECT t.id, s.count, s.index
FROM unnest($2::varchar[], $3::varchar[], $4::int[]) AS t(id, parent_id, seq)
CROSS JOIN LATERAL (
  SELECT count(*)::int AS count, (count(*) FILTER (WHERE x.seq < t.seq))::int AS index
  FROM (
    SELECT x.seq FROM messages x
    WHERE x.conversation_id = $1 AND x.parent_id = t.parent_id
    UNION ALL
    SELECT x.seq FROM messages x
    WHERE t.parent_id IS NULL AND x.conversation_id = $1 AND x.parent_id IS NULL AND x.depth = 1
  ) x
) s`;

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

  /**
   * Messages of a window of the active branch (one range of its partial index, whatever the
   * branches) or of every message, always returned oldest first (ascending seq).
   */
  async window(
    conversationId: string,
    window: MessageWindow,
    branch: BranchChoice = 'active',
  ): Promise<Message[]> {
    const query = this.transactions.tx
      .getRepository(Message)
      .createQueryBuilder('m')
      .where('m.conversationId = :conversationId', { conversationId });
    // A literal, not a parameter: the planner matches it to the partial index's predicate.
    if (branch === 'active') query.andWhere('m.onActiveBranch = true');
    switch (window.kind) {
      case 'offset':
        return query.orderBy('m.seq', 'ASC').offset(window.offset).limit(window.limit).getMany();
      case 'after':
        return query
          .andWhere('m.seq > :afterSeq', { afterSeq: window.afterSeq })
          .orderBy('m.seq', 'ASC')
          .limit(window.limit)
          .getMany();
      case 'before': {
        const newestFirst = await query
          .andWhere('m.seq < :beforeSeq', { beforeSeq: window.beforeSeq })
          .orderBy('m.seq', 'DESC')
          .limit(window.limit)
          .getMany();
        return newestFirst.reverse();
      }
    }
  }

  /** The newest `limit` messages of the active branch, oldest first. */
  recent(conversationId: string, limit: number): Promise<Message[]> {
    return this.window(conversationId, { kind: 'before', limit, beforeSeq: INT32_MAX });
  }

  /**
   * Each message's place among the messages with the same parent (in the order given): one probe
   * of the siblings index per message, so a page costs the same whatever the history. A root's
   * siblings are the other roots; a row not linked yet stands alone.
   */
  async siblingPlaces(conversationId: string, messages: Message[]): Promise<SiblingPlace[]> {
    const linked = messages.filter((message) => message.depth !== null);
    if (linked.length === 0) return messages.map(() => ONLY_CHILD);
    const rows: Array<{ id: string; count: number; index: number }> =
      await this.transactions.tx.query(SIBLING_PLACES, [
        conversationId,
        linked.map((message) => message.id),
        linked.map((message) => message.parentId),
        linked.map((message) => message.seq),
      ]);
    const places = new Map(rows.map((row) => [row.id, { count: row.count, index: row.index }]));
    return messages.map((message) => places.get(message.id) ?? ONLY_CHILD);
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
