import { Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Conversation } from '../conversations/conversation.entity';

/**
 * The conversations an agent answered in on each UTC day: distinct conversations over a window
 * cannot be summed from per-day counts, so the window's count is a distinct count over these
 * rows. Deleting a conversation (purge, erasure) deletes its rows.
 */
@Entity({ name: 'agent_daily_conversations' })
@Index('idx_agent_daily_conversations_conversation', ['conversationId'])
export class AgentDailyConversation {
  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'pk_agent_daily_conversations' })
  day!: string;

  @PrimaryColumn({
    type: 'varchar',
    length: 50,
    primaryKeyConstraintName: 'pk_agent_daily_conversations',
  })
  agent!: string;

  @PrimaryColumn({
    name: 'conversation_id',
    type: 'varchar',
    length: 50,
    primaryKeyConstraintName: 'pk_agent_daily_conversations',
  })
  @ForeignKey(() => Conversation, {
    name: 'fk_agent_daily_conversations_conversation',
    onDelete: 'CASCADE',
  })
  conversationId!: string;
}
