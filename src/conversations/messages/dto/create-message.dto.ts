import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsObject,
  IsOptional,
  Validate,
  ValidateIf,
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

/** What a new message can be: whole, or the start of an assistant reply that streams. */
export const NEW_MESSAGE_STATUSES = ['complete', 'streaming'] as const;
export type NewMessageStatus = (typeof NEW_MESSAGE_STATUSES)[number];

/** A streaming message may come without its first text; every other message has content. */
export const hasContentToCheck = (message: CreateMessageDto): boolean =>
  message.status !== 'streaming' || message.content !== undefined;

@ValidatorConstraint({ name: 'streamsOnlyAsAssistant' })
class StreamsOnlyAsAssistant implements ValidatorConstraintInterface {
  validate(status: unknown, args: ValidationArguments): boolean {
    return status !== 'streaming' || (args.object as CreateMessageDto).role === 'assistant';
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} streaming is for assistant messages only`;
  }
}

export class CreateMessageDto {
  @ApiProperty({
    enum: MESSAGE_ROLES,
    description: '`assistant` and `system` need the `messages:write:assistant` scope',
  })
  @IsIn(MESSAGE_ROLES)
  role!: MessageRole;

  @ApiProperty({
    minLength: 0,
    maxLength: LIMITS.contentLength,
    description:
      'At least 1 character, except for a streaming message: its text so far, possibly empty or absent',
  })
  @ValidateIf(hasContentToCheck)
  @IsText(
    (message) => ((message as CreateMessageDto).status === 'streaming' ? 0 : 1),
    LIMITS.contentLength,
  )
  content!: string;

  @ApiPropertyOptional({
    enum: NEW_MESSAGE_STATUSES,
    default: 'complete',
    description:
      '`streaming` (an `assistant` message only) stores the message now and takes its text in deltas: `PATCH /:id/messages/:message_id` with `{append, offset}`, then `{status: "complete" | "failed"}`',
  })
  @IsOptional()
  @IsIn(NEW_MESSAGE_STATUSES)
  @Validate(StreamsOnlyAsAssistant)
  status?: NewMessageStatus;

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
    type: String,
    nullable: true,
    maxLength: LIMITS.idLength,
    description:
      "The message this one follows, starting a branch there: absent, the head (the linear history); a message of this conversation (the edited message's parent to edit a question, the question to regenerate an answer); null, a new first message (an edit of the first question). In an exchange only the first message takes it. The head moves to the new message. Not a message of this conversation (unknown, another conversation's, another user's): 400, the same answer for each.",
  })
  @IsOptional()
  @IsText(1, LIMITS.idLength)
  parent_id?: string | null;

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
