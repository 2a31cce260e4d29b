import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';

const DAY = { format: 'date', example: '2026-12-01' } as const;

export class AgentStatsQueryDto {
  @ApiPropertyOptional({
    ...DAY,
    description: 'First UTC day, included (default: 6 days before to)',
  })
  @IsOptional()
  @IsString()
  from?: string;

  @ApiPropertyOptional({ ...DAY, description: 'Last UTC day, included (default: today)' })
  @IsOptional()
  @IsString()
  to?: string;
}
