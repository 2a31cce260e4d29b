import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
} from 'class-validator';
import { LIMITS } from '../../common/limits';
import { Checked } from '../../common/validation';
import { tagListProblem } from '../tags';

export const BULK_ACTIONS = [
  'archive',
  'unarchive',
  'pin',
  'unpin',
  'add_tags',
  'remove_tags',
  'delete',
  'restore',
  'purge',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** The actions that take `tags`, and need them. */
export const TAG_ACTIONS: readonly BulkAction[] = ['add_tags', 'remove_tags'];

export class BulkActionDto {
  @ApiProperty({
    enum: BULK_ACTIONS,
    description:
      'delete: to the trash; restore: out of it; purge: deleted for good, with all its rows',
  })
  @IsIn(BULK_ACTIONS)
  action!: BulkAction;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: LIMITS.bulkIds,
    uniqueItems: true,
    description: `1..${LIMITS.bulkIds} distinct conversation ids`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LIMITS.bulkIds)
  @ArrayUnique({ message: 'ids must not repeat an id' })
  @IsString({ each: true })
  @Length(1, LIMITS.bulkIdLength, { each: true })
  ids!: string[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: LIMITS.tagsPerConversation,
    description: 'For add_tags and remove_tags only (and required there)',
  })
  @IsOptional()
  @Checked('isTagList', tagListProblem)
  tags?: string[];
}
