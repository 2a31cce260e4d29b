import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { LIMITS } from '../../common/limits';
import { PageQueryDto } from '../../common/page-query.dto';
import { Checked, ToBoolean, ToInteger } from '../../common/validation';
import { tagProblem } from '../tags';

const { default: DEFAULT_SIZE, max: MAX_SIZE } = LIMITS.conversationsPageSize;

export class ListConversationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SIZE, default: DEFAULT_SIZE })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  limit: number = DEFAULT_SIZE;

  @ApiPropertyOptional({
    type: Boolean,
    description:
      'false (the default outside the trash): archived conversations are left out; true: only archived ones',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  archived?: boolean;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'true: only pinned ones; false: only unpinned',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  pinned?: boolean;

  @ApiPropertyOptional({
    maxLength: LIMITS.tagLength,
    description: 'Only conversations with this tag, compared case-insensitively',
  })
  @IsOptional()
  @Checked('isTag', tagProblem)
  tag?: string;

  @ApiPropertyOptional({
    type: Boolean,
    description: `true: the trash (archived or not unless \`archived\` is sent), newest deleted_at first, with deleted_at; only what can still be restored`,
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  trashed?: boolean;
}
