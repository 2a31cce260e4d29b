import { ApiProperty } from '@nestjs/swagger';
import { LIMITS } from '../../../common/limits';
import { IsText } from '../../../common/validation';

export class MoveHeadDto {
  @ApiProperty({
    maxLength: LIMITS.idLength,
    description:
      'A message of this conversation: the active branch becomes the one through it, down to its newest descendant (highest seq; the message itself when it has none). Not a message of this conversation: 400',
  })
  @IsText(1, LIMITS.idLength)
  message_id!: string;
}
