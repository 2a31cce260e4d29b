import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { INT32_MAX, LIMITS } from '../../../common/limits';
import { PageQueryDto } from '../../../common/page-query.dto';
import { ToInteger } from '../../../common/validation';

const { default: DEFAULT_SIZE, max: MAX_SIZE } = LIMITS.messagesPageSize;

export const BRANCH_CHOICES = ['active', 'all'] as const;
/** `active`: the path from the root to the head; `all`: every stored message. */
export type BranchChoice = (typeof BRANCH_CHOICES)[number];

export class ListMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SIZE, default: DEFAULT_SIZE })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  limit: number = DEFAULT_SIZE;

  @ApiPropertyOptional({
    minimum: 1,
    description: 'The newest `limit` messages with a smaller seq',
  })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(INT32_MAX)
  before_seq?: number;

  @ApiPropertyOptional({
    minimum: 0,
    description: 'The oldest `limit` messages with a greater seq',
  })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  after_seq?: number;

  @ApiPropertyOptional({
    enum: BRANCH_CHOICES,
    default: 'active',
    description:
      '`active`: the active branch, root to head; `all`: every message of every branch. Either way in seq order, with every paging option',
  })
  @IsOptional()
  @IsIn(BRANCH_CHOICES)
  branch: BranchChoice = 'active';
}
