import { ApiProperty } from '@nestjs/swagger';

export class ErasedCounts {
  @ApiProperty() conversations!: number;
  @ApiProperty() messages!: number;
  @ApiProperty() feedback!: number;
  @ApiProperty() idempotency_keys!: number;
}

export class ErasureReceiptResponse {
  @ApiProperty({ example: 'erasure_019a1b2c3d4e5f60718293a4b5c6d7e8' }) receipt_id!: string;
  @ApiProperty() user_id!: number;
  @ApiProperty({ format: 'date-time' }) erased_at!: string;
  @ApiProperty({
    type: ErasedCounts,
    description: 'Rows deleted by this erasure: zeros the second time',
  })
  erased!: ErasedCounts;
}
