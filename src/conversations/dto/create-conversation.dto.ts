import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { LIMITS } from '../../common/limits';
import { IsJsonObject, IsText } from '../../common/validation';

export class CreateConversationDto {
  @ApiPropertyOptional({
    maxLength: LIMITS.titleLength,
    description: 'Derived from the initial message when absent, else "새 대화"',
  })
  @IsOptional()
  @IsText(1, LIMITS.titleLength)
  title?: string;

  @ApiPropertyOptional({
    maxLength: LIMITS.contentLength,
    description: 'Stored as the first `user` message (seq 1) in the same transaction',
  })
  @IsOptional()
  @IsText(1, LIMITS.contentLength)
  initial_message?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'At most 16 KB of JSON',
  })
  @IsOptional()
  @IsJsonObject(LIMITS.jsonObjectBytes)
  metadata?: Record<string, unknown>;
}
