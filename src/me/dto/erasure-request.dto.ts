import { ApiProperty } from '@nestjs/swagger';
import { Equals } from 'class-validator';

export class ErasureRequestDto {
  @ApiProperty({
    enum: [true],
    description: 'Must be true: the erasure cannot be undone',
  })
  @Equals(true, { message: 'confirm must be true: the erasure deletes everything, for good' })
  confirm!: true;
}
