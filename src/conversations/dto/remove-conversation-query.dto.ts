import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { ToBoolean } from '../../common/validation';

export class RemoveConversationQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'true: deleted for good now, with all its rows, from the trash or not',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  permanent?: boolean;
}
