import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { INT32_MAX, LIMITS } from '../../../common/limits';
import { IsText } from '../../../common/validation';

// A field is a value or absent: null is refused, so that what is stored is what counts.
const present = (_usage: object, value: unknown): boolean => value !== undefined;

const COUNT = { minimum: 0, maximum: INT32_MAX, type: 'integer' } as const;

/** What the agent service reports about an answer; stored and returned exactly as sent. */
export class MessageUsageDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: LIMITS.usageModelLength, example: 'gpt-4o' })
  @ValidateIf(present)
  @IsText(1, LIMITS.usageModelLength)
  model?: string;

  @ApiPropertyOptional(COUNT)
  @ValidateIf(present)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  prompt_tokens?: number;

  @ApiPropertyOptional(COUNT)
  @ValidateIf(present)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  completion_tokens?: number;

  @ApiPropertyOptional({ ...COUNT, description: 'How long the answer took, in milliseconds' })
  @ValidateIf(present)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  latency_ms?: number;
}
