import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { LIMITS } from '../../../common/limits';
import { IsJsonObject, IsJsonObjectArray, IsText } from '../../../common/validation';
import { MESSAGE_ROLES, type MessageRole } from '../message.entity';

export class CreateMessageDto {
  @ApiProperty({
    enum: MESSAGE_ROLES,
    description: '`assistant` and `system` need the `messages:write:assistant` scope',
  })
  @IsIn(MESSAGE_ROLES)
  role!: MessageRole;

  @ApiProperty({ minLength: 1, maxLength: LIMITS.contentLength })
  @IsText(1, LIMITS.contentLength)
  content!: string;

  @ApiPropertyOptional({ maxLength: LIMITS.agentNameLength, example: 'regulation_agent' })
  @IsOptional()
  @IsText(1, LIMITS.agentNameLength)
  agent_used?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      '`selected_agent, complexity, reasoning, requires_multiple_agents, routing_history` and any other field, kept exactly as written (at most 16 KB)',
  })
  @IsOptional()
  @IsJsonObject(LIMITS.jsonObjectBytes)
  routing_info?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: `Objects such as {source, title, similarity, metadata}, kept exactly as written; at most ${LIMITS.referencesCount}, each at most 16 KB`,
  })
  @IsOptional()
  @IsJsonObjectArray(LIMITS.referencesCount, LIMITS.jsonObjectBytes)
  references?: Record<string, unknown>[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'At most 16 KB of JSON',
  })
  @IsOptional()
  @IsJsonObject(LIMITS.jsonObjectBytes)
  metadata?: Record<string, unknown>;
}
