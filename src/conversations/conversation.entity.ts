import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../common/json';

/** The seed's `conversations` table, column for column, plus `head_message_id`. */
@Entity({ name: 'conversations' })
@Index('idx_conversations_updated_at', ['updatedAt'])
// Serves "a user's active conversations, newest first" (the list, its count and its cursor).
@Index('idx_conversations_active', ['userId', 'updatedAt', 'id'], { where: '"is_active" = true' })
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
}
