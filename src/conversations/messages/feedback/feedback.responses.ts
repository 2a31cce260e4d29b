import { ApiProperty } from '@nestjs/swagger';
import { FEEDBACK_RATINGS, type FeedbackRating } from './message-feedback.entity';

export class FeedbackResponse {
  @ApiProperty({ enum: FEEDBACK_RATINGS }) rating!: FeedbackRating;
  @ApiProperty({ type: String, nullable: true }) comment!: string | null;
  @ApiProperty({ type: [String] }) reasons!: string[];
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}
