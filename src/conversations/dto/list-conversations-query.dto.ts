import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { LIMITS } from '../../common/limits';
import { PageQueryDto } from '../../common/page-query.dto';
import { ToInteger } from '../../common/validation';

const { default: DEFAULT_SIZE, max: MAX_SIZE } = LIMITS.conversationsPageSize;

export class ListConversationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SIZE, default: DEFAULT_SIZE })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  limit: number = DEFAULT_SIZE;
}
