import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Message } from '../message.entity';

export const FEEDBACK_RATINGS = ['up', 'down'] as const;
export type FeedbackRating = (typeof FEEDBACK_RATINGS)[number];

/**
 * The owner's rating of one assistant message, at most one per message. `user_id` and
 * `conversation_id` are copied from the message so that erasure (by user) and the conversation's
 * stats need no join; the foreign key cascades, so deleting a message deletes its feedback.
 */
@Entity({ name: 'message_feedback' })
@Check('chk_message_feedback_rating', `"rating" IN ('up', 'down')`)
@Index('idx_message_feedback_user', ['userId'])
@Index('idx_message_feedback_conversation', ['conversationId'])
export class MessageFeedback {
  @PrimaryColumn({
    name: 'message_id',
    type: 'varchar',
    length: 50,
    primaryKeyConstraintName: 'pk_message_feedback',
  })
  @ForeignKey(() => Message, { name: 'fk_message_feedback_message', onDelete: 'CASCADE' })
  messageId!: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ name: 'conversation_id', type: 'varchar', length: 50 })
  conversationId!: string;

  @Column({ type: 'varchar', length: 4 })
  rating!: FeedbackRating;

  @Column({ type: 'text', nullable: true })
  comment!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  reasons!: string[];

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
