import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FeedbackResponse } from './feedback/feedback.responses';
import {
  MESSAGE_ROLES,
  MESSAGE_STATUSES,
  type MessageRole,
  type MessageStatus,
  type MessageUsage,
} from './message.entity';

export class MessageUsageResponse {
  @ApiPropertyOptional() model?: string;
  @ApiPropertyOptional({ type: 'integer' }) prompt_tokens?: number;
  @ApiPropertyOptional({ type: 'integer' }) completion_tokens?: number;
  @ApiPropertyOptional({ type: 'integer' }) latency_ms?: number;
}

export class MessageResponse {
  @ApiProperty({ example: 'msg_019a1b2c3d4e5f60718293a4b5c6d7e8' }) id!: string;
  @ApiProperty() conversation_id!: string;
  @ApiProperty({ description: '1, 2, 3... within the conversation, in append order' }) seq!: number;
  @ApiProperty({ enum: MESSAGE_ROLES }) role!: MessageRole;
  @ApiProperty({
    enum: MESSAGE_STATUSES,
    description:
      '`complete` (every message not streamed); `streaming` while an assistant reply arrives (`content` is its text so far); then `complete` or `failed` as the agent finished it, or `incomplete`: no write for `STREAM_STALE_SECONDS` (120 by default), its text kept',
  })
  status!: MessageStatus;
  @ApiProperty() content!: string;
  @ApiProperty({ type: String, nullable: true }) agent_used!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) routing_info!: Record<
    string,
    unknown
  >;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  references!: unknown[];
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The message this one follows; null for a root (the first message, or an edit of it). A row written by a version that kept no tree reads null until the next append links it.',
  })
  parent_id!: string | null;
  @ApiProperty({
    description: 'How many messages share this parent (its versions), this one included',
  })
  sibling_count!: number;
  @ApiProperty({
    description:
      'Its place among them, 0-based in seq order: show "sibling_index + 1 / sibling_count"',
  })
  sibling_index!: number;
  @ApiProperty({
    type: MessageUsageResponse,
    nullable: true,
    description: 'As the agent service wrote it; null when it reported none',
  })
  usage!: MessageUsage | null;
  @ApiProperty({
    type: FeedbackResponse,
    nullable: true,
    description: "The owner's rating of an assistant message; null when none",
  })
  feedback!: FeedbackResponse | null;
}

/** Whether answers holding these messages change without a write that invalidates the cache. */
export function holdsStreaming(messages: MessageResponse[]): boolean {
  return messages.some((message) => message.status === 'streaming');
}

export class MessagePageResponse {
  @ApiProperty() conversation_id!: string;
  @ApiProperty({ type: [MessageResponse], description: 'Oldest first' })
  messages!: MessageResponse[];
  @ApiProperty({
    description:
      'The messages of what is listed: the active branch (root to head) by default, every stored message with branch=all. For a conversation that never branched both are message_count.',
  })
  total_count!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Null for cursor and seq windows' })
  page!: number | null;
  @ApiProperty() page_size!: number;
  @ApiProperty() has_next!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  next_cursor!: string | null;
}
