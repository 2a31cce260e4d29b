import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { LIMITS } from '../../common/limits';
import { Checked, IsJsonObject, IsText } from '../../common/validation';
import { tagListProblem } from '../tags';

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

  @ApiPropertyOptional({
    description: 'Archived conversations leave the default list; they stay readable and writable',
  })
  @IsOptional()
  @IsBoolean()
  is_archived?: boolean;

  @ApiPropertyOptional({ description: 'Pinned ones are listed with `pinned=true`' })
  @IsOptional()
  @IsBoolean()
  is_pinned?: boolean;

  @ApiPropertyOptional({
    type: [String],
    maxItems: LIMITS.tagsPerConversation,
    description: `Replaces the tags: 0..${LIMITS.tagsPerConversation}, each 1..${LIMITS.tagLength} characters after trimming, no control characters; a tag differing from an earlier one only in case is dropped; order kept`,
  })
  @IsOptional()
  @Checked('isTagList', tagListProblem)
  tags?: string[];
}
