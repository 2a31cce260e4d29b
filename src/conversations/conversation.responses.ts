import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MessageResponse } from './messages/message.responses';

export class ConversationSummaryResponse {
  @ApiProperty({ example: 'conv_019a1b2c3d4e5f60718293a4b5c6d7e8' }) id!: string;
  @ApiProperty() user_id!: number;
  @ApiProperty() title!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty() message_count!: number;
  @ApiProperty({ type: String, nullable: true }) last_agent_used!: string | null;
  @ApiProperty({ description: 'False while the conversation is in the trash' }) is_active!: boolean;
  @ApiProperty({ description: 'Archived conversations leave the default list only' })
  is_archived!: boolean;
  @ApiProperty({
    description: 'A filter (`pinned=true`), not an order: pinned ones do not float up',
  })
  is_pinned!: boolean;
  @ApiProperty({ type: [String], example: ['FTA', '관세'], description: 'In the order written' })
  tags!: string[];
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'In trash listings (`trashed=true`) only: when it went to the trash',
  })
  deleted_at?: string | null;
}

export class ConversationResponse extends ConversationSummaryResponse {
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The newest message of the active branch; null while the conversation has no message. An append without parent_id follows it; PUT /:id/head moves it.',
  })
  head_message_id!: string | null;
}

export class CreatedConversationResponse extends ConversationResponse {
  @ApiProperty({
    type: 'array',
    items: { $ref: '#/components/schemas/MessageResponse' },
    description: 'The initial message, when one was sent',
  })
  messages!: MessageResponse[];
}

export class ConversationWithRecentMessages extends ConversationResponse {
  @ApiProperty({
    type: 'array',
    items: { $ref: '#/components/schemas/MessageResponse' },
    description: 'The newest 20 of the active branch, oldest first',
  })
  recent_messages!: MessageResponse[];
}

export class ConversationListResponse {
  @ApiProperty({ type: [ConversationSummaryResponse] })
  conversations!: ConversationSummaryResponse[];
  @ApiProperty({ description: 'All conversations of the caller the filters select' })
  total_count!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Null for cursor pages' }) page!:
    number | null;
  @ApiProperty() page_size!: number;
  @ApiProperty() has_next!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  next_cursor!: string | null;
}

export class AgentCount {
  @ApiProperty() agent!: string;
  @ApiProperty({ description: 'Messages naming this agent' }) count!: number;
  @ApiProperty({ description: 'Sum of usage.prompt_tokens of its messages' })
  prompt_tokens!: number;
  @ApiProperty({ description: 'Sum of usage.completion_tokens of its messages' })
  completion_tokens!: number;
  @ApiProperty({ description: 'Its messages rated up by the owner' }) feedback_up!: number;
  @ApiProperty({ description: 'Its messages rated down by the owner' }) feedback_down!: number;
}

export class FeedbackCounts {
  @ApiProperty() up!: number;
  @ApiProperty() down!: number;
}

export class ConversationStatsResponse {
  @ApiProperty() conversation_id!: string;
  @ApiProperty() total_messages!: number;
  @ApiProperty({ example: { user: 3, assistant: 3, system: 0 } }) by_role!: Record<string, number>;
  @ApiProperty({ type: [AgentCount] }) agents_used!: AgentCount[];
  @ApiProperty({
    type: FeedbackCounts,
    description: 'Ratings of the whole conversation, messages naming no agent included',
  })
  feedback!: FeedbackCounts;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) first_message_at!:
    string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_message_at!:
    string | null;
}

export class AppendedMessagesResponse {
  @ApiProperty() conversation_id!: string;
  @ApiProperty({ type: [MessageResponse] }) messages!: MessageResponse[];
  @ApiProperty({ type: ConversationResponse }) conversation!: ConversationResponse;
}

export class TagCountResponse {
  @ApiProperty({ example: 'FTA', description: 'The most used spelling of the tag' }) tag!: string;
  @ApiProperty({ description: 'Conversations not in the trash that carry it' }) count!: number;
}

export class TagListResponse {
  @ApiProperty({ type: [TagCountResponse], description: 'Most used first, then by name' })
  tags!: TagCountResponse[];
}

export class BulkItemResult {
  @ApiProperty() id!: string;
  @ApiProperty({
    example: 200,
    description:
      "What the single-conversation route would have answered: 200 or 204 when applied, 404 for an unknown id or another user's (or one in no state to take the action), 400 when add_tags would take a conversation past 20 tags",
  })
  status!: number;
}

export class BulkResponse {
  @ApiProperty() action!: string;
  @ApiProperty({ type: [BulkItemResult], description: 'One per id, in the order sent' })
  results!: BulkItemResult[];
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
}
