import { Injectable } from '@nestjs/common';
import { queryRows } from '../../database/query-rows';
import { Transactions } from '../../database/transactions';
import type { ConversationKey } from '../conversation-key';
import { HEAD_STATE } from './message-statements';
import type { BranchPoint } from './new-messages';

export interface TreeNode {
  id: string;
  /** Null for a row not linked yet (written by something that knows no tree). */
  depth: number | null;
}

/**
 * The queries on the tree of a conversation's messages (`parent_id`, `depth`,
 * `on_active_branch`). Callers hold the conversation's row lock (the seq claim or `lockActive`)
 * around every write here, so that no two writers move one conversation's branch at once.
 */
@Injectable()
export class BranchesRepository {
  constructor(private readonly transactions: Transactions) {}

  /** The message when it belongs to the conversation, else null. */
  async find(conversation: ConversationKey, messageId: string): Promise<TreeNode | null> {
    const rows: TreeNode[] = await this.transactions.tx.query(
      `SELECT id, depth FROM messages WHERE id = $3 AND conversation_id = $1 AND user_id = $2`,
      [conversation.id, conversation.userId, messageId],
    );
    return rows[0] ?? null;
  }

  /**
   * In one round trip: the head's depth (null when there is no head or it is not linked), and
   * whether the newest message by seq is not linked yet (one probe of the seq index: rows written
   * by something that knows no tree come after everything this service wrote).
   */
  async headState(
    conversation: ConversationKey,
    headId: string | null,
  ): Promise<{ headDepth: number | null; unlinkedTail: boolean }> {
    const [row] = await this.transactions.tx.query(HEAD_STATE, [
      conversation.id,
      conversation.userId,
      headId,
    ]);
    return { headDepth: row.head_depth, unlinkedTail: row.unlinked_tail };
  }

  /**
   * Links the rows not linked yet, in seq order, after `head` (or as a new root): they continue
   * the active branch, as the linear history their writer saw. Returns the new tip.
   */
  async linkAfter(conversation: ConversationKey, head: BranchPoint): Promise<BranchPoint> {
    const rows = await queryRows<{ id: string; depth: number }>(
      this.transactions.tx,
      `WITH line AS (
         SELECT id, lag(id) OVER byseq AS previous, row_number() OVER byseq AS position
         FROM messages WHERE conversation_id = $1 AND user_id = $2 AND depth IS NULL
         WINDOW byseq AS (ORDER BY seq)
       )
       UPDATE messages m
       SET parent_id = COALESCE(l.previous, $3), depth = $4 + l.position, on_active_branch = true
       FROM line l
       WHERE m.id = l.id AND m.user_id = $2
       RETURNING m.id, m.depth`,
      [conversation.id, conversation.userId, head.id, head.depth],
    );
    const tip = rows.reduce<{ id: string; depth: number } | null>(
      (newest, row) => (newest === null || row.depth > newest.depth ? row : newest),
      null,
    );
    return tip ?? head;
  }

  /** How many messages follow `parentId` (roots for null): the siblings a new child joins. */
  async childCount(conversation: ConversationKey, parentId: string | null): Promise<number> {
    const [{ count }] = await this.transactions.tx.query(
      parentId === null
        ? `SELECT count(*)::int AS count FROM messages
           WHERE conversation_id = $1 AND user_id = $2 AND parent_id IS NULL AND depth = 1`
        : `SELECT count(*)::int AS count FROM messages
           WHERE conversation_id = $1 AND user_id = $2 AND parent_id = $3`,
      parentId === null
        ? [conversation.id, conversation.userId]
        : [conversation.id, conversation.userId, parentId],
    );
    return count;
  }

  /** The descendant of the message with the highest seq (the message itself when it has none). */
  async newestDescendant(conversation: ConversationKey, messageId: string): Promise<string> {
    const [{ id }] = await this.transactions.tx.query(
      `WITH RECURSIVE below AS (
         SELECT id, seq FROM messages WHERE conversation_id = $1 AND user_id = $2 AND id = $3
         UNION ALL
         SELECT child.id, child.seq FROM below
         JOIN messages child
           ON child.conversation_id = $1 AND child.user_id = $2 AND child.parent_id = below.id
       )
       SELECT id FROM below ORDER BY seq DESC LIMIT 1`,
      [conversation.id, conversation.userId, messageId],
    );
    return id;
  }

  /**
   * Makes the path from the root to `tipId` the active branch (none when null: a new root
   * follows). Walks up from the tip only until the active branch (the fork), so it rewrites only
   * the messages that join (the walked ones) and those that leave (the active ones after the
   * fork, one range of the active-branch index).
   */
  async activatePath(conversation: ConversationKey, tipId: string | null): Promise<void> {
    await this.transactions.tx.query(
      `WITH RECURSIVE path AS (
         SELECT id, parent_id, seq, on_active_branch FROM messages
         WHERE conversation_id = $1 AND user_id = $2 AND id = $3
         UNION ALL
         SELECT up.id, up.parent_id, up.seq, up.on_active_branch FROM path
         JOIN messages up ON up.conversation_id = $1 AND up.user_id = $2 AND up.id = path.parent_id
         WHERE NOT path.on_active_branch
       ), fork AS (
         SELECT COALESCE(max(seq) FILTER (WHERE on_active_branch), 0) AS seq FROM path
       ), leaving AS (
         UPDATE messages m SET on_active_branch = false FROM fork
         WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.on_active_branch = true
           AND m.seq > fork.seq
         RETURNING m.id
       ), joining AS (
         UPDATE messages m SET on_active_branch = true FROM path
         WHERE m.id = path.id AND m.user_id = $2 AND NOT path.on_active_branch
         RETURNING m.id
       )
       SELECT (SELECT count(*) FROM leaving)::int AS left, (SELECT count(*) FROM joining)::int AS joined`,
      [conversation.id, conversation.userId, tipId],
    );
  }
}
