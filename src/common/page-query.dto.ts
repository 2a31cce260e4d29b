import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { LIMITS } from './limits';
import { ToInteger } from './validation';

/** `page` (1-based), `offset` or an opaque `cursor`: one of them at most. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: LIMITS.maxPage })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxPage)
  page?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: LIMITS.maxOffset })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(LIMITS.maxOffset)
  offset?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.cursorLength)
  cursor?: string;
}
