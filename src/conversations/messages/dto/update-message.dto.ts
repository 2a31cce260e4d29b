import { ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  Max,
  Min,
  Validate,
  ValidateIf,
  ValidateNested,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { LIMITS } from '../../../common/limits';
import { IsText } from '../../../common/validation';
import { CreateMessageDto } from './create-message.dto';
import { MessageUsageDto } from './message-usage.dto';

export const FINAL_STATUSES = ['complete', 'failed'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

const FINISH_FIELDS = [
  'status',
  'content',
  'agent_used',
  'routing_info',
  'references',
  'metadata',
  'usage',
];

@ValidatorConstraint({ name: 'oneChangeOfAStream' })
class OneChangeOfAStream implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return problemOf(args.object as UpdateMessageDto) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return problemOf(args.object as UpdateMessageDto) ?? '';
  }
}

function problemOf(body: UpdateMessageDto): string | null {
  const finishing = FINISH_FIELDS.filter(
    (field) => (body as unknown as Record<string, unknown>)[field] !== undefined,
  );
  if (body.append !== undefined && finishing.length > 0) {
    return `append cannot be combined with ${finishing.join(', ')}: append a delta, or finish with status`;
  }
  if (body.append === undefined && body.offset !== undefined) return 'offset goes with append';
  if (body.append === undefined && body.status === undefined) {
    return 'send append (a delta of a streaming message) or status (to finish it)';
  }
  return null;
}

/**
 * One change to a streaming message: a delta (`append`, with the `offset` it starts at), or its
 * end (`status`, with the fields of the finished reply, validated as on POST; each replaces what
 * the message had).
 */
export class UpdateMessageDto extends PartialType(
  PickType(CreateMessageDto, ['agent_used', 'routing_info', 'references', 'metadata']),
) {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: LIMITS.contentLength,
    description:
      'Text added at the end of the streaming message (whole characters: a surrogate pair is not split between deltas). The whole content stays within 32,000 characters',
  })
  @ValidateIf((body: UpdateMessageDto) => body.append !== undefined)
  @IsText(1, LIMITS.contentLength)
  @Validate(OneChangeOfAStream)
  append?: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: LIMITS.contentLength,
    description:
      'Where `append` starts: must equal the current content length, else 409 with `content_length` in the body, so that a retried delta is never stored twice',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(LIMITS.contentLength)
  offset?: number;

  @ApiPropertyOptional({ enum: FINAL_STATUSES, description: 'Finishes the stream' })
  // One of append's and this ValidateIf always holds, so the shape is always checked.
  @ValidateIf((body: UpdateMessageDto) => body.append === undefined)
  @Validate(OneChangeOfAStream)
  @IsIn(FINAL_STATUSES)
  status?: FinalStatus;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: LIMITS.contentLength,
    description: 'With status: replaces the streamed text',
  })
  @IsOptional()
  @IsText(1, LIMITS.contentLength)
  content?: string;

  @ApiPropertyOptional({
    type: MessageUsageDto,
    nullable: true,
    description:
      "With status: the reply's model, tokens and latency, as on POST; it counts in the agents' figures with the reply",
  })
  @IsOptional()
  // ValidateNested alone lets a non-object through.
  @IsObject()
  @ValidateNested()
  @Type(() => MessageUsageDto)
  usage?: MessageUsageDto | null;
}

/** Whether a raw body (before validation) is a delta: deltas leave the cache alone. */
export function isDelta(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'append' in body;
}
