import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../common/json';

/**
 * The seed's `conversations` table, column for column, plus `head_message_id` and the
 * lifecycle's: archive, pin, tags and the time it went to the trash (`is_active = false` is the
 * trash, as in the seed).
 */
@Entity({ name: 'conversations' })
@Index('idx_conversations_updated_at', ['updatedAt'])
// Serves "a user's active conversations, newest first" (the list, its count and its cursor).
@Index('idx_conversations_active', ['userId', 'updatedAt', 'id'], { where: '"is_active" = true' })
// The archived list, and the archived count the default list's count subtracts (index only).
@Index('idx_conversations_archived', ['userId', 'updatedAt', 'id'], {
  where: '"is_active" = true AND "is_archived" = true',
})
@Index('idx_conversations_pinned', ['userId', 'updatedAt', 'id'], {
  where: '"is_active" = true AND "is_pinned" = true',
})
// A user's trash, newest deleted first.
@Index('idx_conversations_trash', ['userId', 'deletedAt', 'id'], { where: '"is_active" = false' })
// The purge: every user's trash older than the window, oldest first.
@Index('idx_conversations_deleted_at', ['deletedAt'], { where: '"is_active" = false' })
// GIN (user_id, tag_keys) with btree_gin, tagged live conversations only: migrations own it.
@Index('idx_conversations_tags', { synchronize: false })
export class Conversation {
  @PrimaryColumn({ type: 'varchar', length: 50, primaryKeyConstraintName: 'pk_conversations' })
  id!: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ name: 'created_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'message_count', type: 'integer', nullable: true, default: 0 })
  messageCount!: number;

  @Column({ name: 'last_agent_used', type: 'varchar', length: 50, nullable: true })
  lastAgentUsed!: string | null;

  @Column({ name: 'is_active', type: 'boolean', nullable: true, default: true })
  isActive!: boolean;

  @Column({ type: 'jsonb', nullable: true, default: () => "'{}'" })
  metadata!: JsonObject;

  /** The newest message of the active branch (a leaf); null while there is no message. */
  @Column({ name: 'head_message_id', type: 'varchar', length: 50, nullable: true })
  headMessageId!: string | null;

  @Column({ name: 'is_archived', type: 'boolean', default: false })
  isArchived!: boolean;

  @Column({ name: 'is_pinned', type: 'boolean', default: false })
  isPinned!: boolean;

  /** As the user wrote them (trimmed), in their order. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  /** The same tags compared case-insensitively (conversations/tags.ts), for the filter. */
  @Column({ name: 'tag_keys', type: 'text', array: true, default: () => "'{}'", select: false })
  tagKeys!: string[];

  /** When it went to the trash; null while it is not there. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
