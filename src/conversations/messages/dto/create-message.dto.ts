import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsObject,
  IsOptional,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { LIMITS } from '../../../common/limits';
import { IsJsonObject, IsJsonObjectArray, IsText } from '../../../common/validation';
import { MESSAGE_ROLES, type MessageRole } from '../message.entity';
import { MessageUsageDto } from './message-usage.dto';

@ValidatorConstraint({ name: 'usageOnAssistantMessages' })
class UsageOnAssistantMessages implements ValidatorConstraintInterface {
  validate(_usage: unknown, args: ValidationArguments): boolean {
    return (args.object as CreateMessageDto).role === 'assistant';
  }

  defaultMessage(): string {
    return 'usage is accepted on assistant messages only';
  }
}

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

  @ApiPropertyOptional({
    type: MessageUsageDto,
    nullable: true,
    description:
      'Assistant messages only (400 otherwise): model, tokens and latency, returned exactly as written; null or absent: none',
  })
  @IsOptional()
  @Validate(UsageOnAssistantMessages)
  // ValidateNested alone lets a non-object through.
  @IsObject()
  @ValidateNested()
  @Type(() => MessageUsageDto)
  usage?: MessageUsageDto | null;
}
