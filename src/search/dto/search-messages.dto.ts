import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import { LIMITS } from '../../common/limits';
import { IsText } from '../../common/validation';
import { MESSAGE_ROLES, type MessageRole } from '../../conversations/messages/message.entity';

export const SEARCH_SORTS = ['relevance', 'recent'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];
export const MAX_SEARCH_OFFSET = 10_000;
const { default: DEFAULT_SIZE, max: MAX_SIZE } = LIMITS.searchPageSize;

export class SearchMessagesDto {
  @ApiProperty({
    minLength: 1,
    maxLength: LIMITS.queryLength,
    description:
      'Words separated by spaces; every word must match. Korean matches as a substring (관세 finds 관세율), English as whole words, case-insensitively. The text is data: quotes, %, _, \\ and operators have their literal meaning.',
  })
  @IsText(1, LIMITS.queryLength)
  @Matches(/\S/, { message: 'query must contain a non-space character' })
  query!: string;

  @ApiPropertyOptional({
    enum: SEARCH_SORTS,
    default: 'relevance',
    description:
      'relevance: the most occurrences of the words first (then newest), ranked over all matches up to 1,000, and over the newest 200 when there are more; recent: newest first',
  })
  @IsOptional()
  @IsIn(SEARCH_SORTS)
  sort: SearchSort = 'relevance';

  @ApiPropertyOptional({
    maxLength: LIMITS.agentNameLength,
    description: 'Only messages of this agent',
  })
  @IsOptional()
  @IsText(1, LIMITS.agentNameLength)
  agent_type?: string;

  @ApiPropertyOptional({ enum: MESSAGE_ROLES })
  @IsOptional()
  @IsIn(MESSAGE_ROLES)
  role?: MessageRole;

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsText(1, 50)
  conversation_id?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Inclusive; a date alone means its start (UTC)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  start_date?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Inclusive; a date alone means its whole day (UTC)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  end_date?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SIZE, default: DEFAULT_SIZE })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  limit: number = DEFAULT_SIZE;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_SEARCH_OFFSET, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEARCH_OFFSET)
  offset: number = 0;
}
