import { ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsObject,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  Validate,
} from 'class-validator';
import { LIMITS } from '../../../common/limits';
import { CreateMessageDto, hasContentToCheck } from './create-message.dto';

const SINGLE_MESSAGE_FIELDS = [
  'role',
  'content',
  'agent_used',
  'routing_info',
  'references',
  'metadata',
  'parent_id',
  'usage',
  'status',
] as const;

@ValidatorConstraint({ name: 'oneMessageOrMany' })
class OneMessageOrMany implements ValidatorConstraintInterface {
  validate(_messages: unknown, args: ValidationArguments): boolean {
    const body = args.object as Record<string, unknown>;
    return SINGLE_MESSAGE_FIELDS.every((field) => body[field] === undefined);
  }

  defaultMessage(): string {
    return 'messages cannot be combined with the fields of a single message: send one or the other';
  }
}

@ValidatorConstraint({ name: 'parentOnFirstOnly' })
class ParentOnFirstOnly implements ValidatorConstraintInterface {
  validate(messages: unknown): boolean {
    return !Array.isArray(messages) || laterParentIndex(messages) === -1;
  }

  defaultMessage(args: ValidationArguments): string {
    const index = laterParentIndex(args.value as unknown[]);
    return `messages.${index}.parent_id: only the first message of an exchange takes parent_id; each next one follows the previous`;
  }
}

function laterParentIndex(messages: unknown[]): number {
  return messages.findIndex(
    (message, index) =>
      index > 0 &&
      typeof message === 'object' &&
      message !== null &&
      (message as { parent_id?: unknown }).parent_id !== undefined,
  );
}

const singleMessage = (body: AppendMessagesDto): boolean => body.messages === undefined;

/**
 * Either one message (`role`, `content`, ...) or `messages`: 1 to 10 of them, stored in one
 * transaction or not at all.
 */
export class AppendMessagesDto extends CreateMessageDto {
  @ApiPropertyOptional({
    type: 'array',
    items: { $ref: getSchemaPath(CreateMessageDto) },
    minItems: 1,
    maxItems: LIMITS.messagesPerAppend,
    description: 'An exchange of messages instead of the single-message fields',
  })
  // Present means validated: `messages: null` is an error, never "no messages".
  @ValidateIf((body: AppendMessagesDto) => body.messages !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LIMITS.messagesPerAppend)
  // ValidateNested alone accepts an array where a message should be (it validates its items).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CreateMessageDto)
  @Validate(OneMessageOrMany)
  @Validate(ParentOnFirstOnly)
  messages?: CreateMessageDto[];

  /** The messages to store, whichever form the body took. */
  toMessages(): CreateMessageDto[] {
    if (this.messages) return this.messages;
    const {
      role,
      content,
      agent_used,
      routing_info,
      references,
      metadata,
      parent_id,
      usage,
      status,
    } = this;
    return [
      { role, content, agent_used, routing_info, references, metadata, parent_id, usage, status },
    ];
  }
}

// The single-message fields are required only when `messages` is absent. A subclass's ValidateIf
// replaces its parent's on the same field: content's own condition is repeated here.
ValidateIf(singleMessage)(AppendMessagesDto.prototype, 'role');
ValidateIf((body: AppendMessagesDto) => singleMessage(body) && hasContentToCheck(body))(
  AppendMessagesDto.prototype,
  'content',
);
