import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../../common/json';
import { Conversation } from '../conversation.entity';
import type { MessageFeedback } from './feedback/message-feedback.entity';

export const MESSAGE_ROLES = ['user', 'assistant', 'system'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** What the agent service reports about producing an assistant message, stored as written. */
export interface MessageUsage {
  model?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  latency_ms?: number;
}

/**
 * `complete` (the default, and every message written before streaming existed), `streaming`
 * while an assistant reply arrives in deltas, then `complete` or `failed` as the agent finishes
 * it, or `incomplete` when it stopped without finishing (no write for `STREAM_STALE_SECONDS`).
 */
export const MESSAGE_STATUSES = ['complete', 'streaming', 'failed', 'incomplete'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * The seed's `messages` table, plus columns of ours: `seq` (order within the conversation,
 * assigned in the append transaction), `user_id` (copied from the conversation inside the
 * insert, never from the client, so that per-user search need not join), `search_terms`, the
 * tree of branches: `parent_id`, `depth` and `on_active_branch` (branches.repository.ts), and
 * `usage`.
 */
@Entity({ name: 'messages' })
@Check('chk_messages_role', `"role" IN ('user', 'assistant', 'system')`)
@Check('chk_messages_seq', '"seq" >= 1')
// A root has depth 1 and every other message a parent; a null depth (not linked yet) passes.
@Check('chk_messages_depth', '"depth" >= 1 AND ("parent_id" IS NULL) = ("depth" = 1)')
@Check('chk_messages_status', `"status" IN ('complete', 'streaming', 'failed', 'incomplete')`)
@Index('idx_messages_conversation_seq', ['conversationId', 'seq'], { unique: true })
@Index('idx_messages_agent_used', ['agentUsed'])
@Index('idx_messages_user_timestamp', ['userId', 'timestamp', 'seq'])
// Every page of the active branch is one range of this index, whatever the number of branches.
@Index('idx_messages_active_branch', ['conversationId', 'seq'], {
  where: '"on_active_branch" = true',
})
// A message's siblings: the messages of its conversation with the same parent, in seq order.
@Index('idx_messages_siblings', ['conversationId', 'parentId', 'seq'])
// GIN (user_id, search_terms) with btree_gin: TypeORM cannot express it, so migrations own it.
@Index('idx_messages_content_search', { synchronize: false })
export class Message {
  @PrimaryColumn({ type: 'varchar', length: 50, primaryKeyConstraintName: 'pk_messages' })
  id!: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 50 })
  @ForeignKey(() => Conversation, { name: 'fk_messages_conversation' })
  conversationId!: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 20 })
  role!: MessageRole;

  @Column({ type: 'text' })
  content!: string;

  @Column({ name: 'agent_used', type: 'varchar', length: 50, nullable: true })
  agentUsed!: string | null;

  @Column({ name: 'routing_info', type: 'jsonb', nullable: true, default: () => "'{}'" })
  routingInfo!: JsonObject;

  @Column({ type: 'jsonb', nullable: true, default: () => "'[]'" })
  references!: JsonObject[];

  @Column({ type: 'timestamptz', nullable: true, default: () => 'now()' })
  timestamp!: Date;

  @Column({ type: 'jsonb', nullable: true, default: () => "'{}'" })
  metadata!: JsonObject;

  /** The message this one follows; null for a root (a conversation's first message, or an edit of it). */
  @Column({ name: 'parent_id', type: 'varchar', length: 50, nullable: true })
  parentId!: string | null;

  /**
   * 1 for a root, the parent's + 1: the length of the branch that ends here. Null for a row
   * written by something that knows no tree (an older version, an import): the next append links
   * it after the head.
   */
  @Column({ type: 'integer', nullable: true })
  depth!: number | null;

  /** On the path from the root to the conversation's head, kept by every write that moves it. */
  @Column({ name: 'on_active_branch', type: 'boolean', default: true })
  onActiveBranch!: boolean;

  /** Assistant messages only; null when the agent service reported none. */
  @Column({ type: 'jsonb', nullable: true })
  usage!: MessageUsage | null;

  /** The owner's rating, when reads join it (its own table, `message_feedback`). */
  feedback?: MessageFeedback | null;
  /**
   * As stored: a `streaming` message past its window reads `incomplete` before the sweep writes
   * it, and its `content` stays empty until then (the text is in `message_deltas`).
   */
  @Column({ type: 'varchar', length: 20, default: 'complete' })
  status!: MessageStatus;

  /** Index terms of `content` (search/search-terms.ts), written in the same INSERT. */
  @Column({ name: 'search_terms', type: 'text', array: true, default: () => "'{}'", select: false })
  searchTerms!: string[];
}
