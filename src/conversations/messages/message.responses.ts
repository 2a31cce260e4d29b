import { ApiProperty } from '@nestjs/swagger';
import {
  MESSAGE_ROLES,
  MESSAGE_STATUSES,
  type MessageRole,
  type MessageStatus,
} from './message.entity';

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
}

/** Whether answers holding these messages change without a write that invalidates the cache. */
export function holdsStreaming(messages: MessageResponse[]): boolean {
  return messages.some((message) => message.status === 'streaming');
}

export class MessagePageResponse {
  @ApiProperty() conversation_id!: string;
  @ApiProperty({ type: [MessageResponse], description: 'Oldest first' })
  messages!: MessageResponse[];
  @ApiProperty({ description: 'All messages of the conversation' }) total_count!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Null for cursor and seq windows' })
  page!: number | null;
  @ApiProperty() page_size!: number;
  @ApiProperty() has_next!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  next_cursor!: string | null;
}
