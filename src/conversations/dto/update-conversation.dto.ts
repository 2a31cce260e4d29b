import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { LIMITS } from '../../common/limits';
import { IsJsonObject, IsText } from '../../common/validation';

export class UpdateConversationDto {
  @ApiPropertyOptional({ maxLength: LIMITS.titleLength })
  @IsOptional()
  @IsText(1, LIMITS.titleLength)
  title?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Replaces the whole metadata object (at most 16 KB of JSON)',
  })
  @IsOptional()
  @IsJsonObject(LIMITS.jsonObjectBytes)
  metadata?: Record<string, unknown>;
}
