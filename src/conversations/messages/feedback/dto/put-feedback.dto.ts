import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { LIMITS } from '../../../../common/limits';
import { IsText, IsTextArray } from '../../../../common/validation';
import { FEEDBACK_RATINGS, type FeedbackRating } from '../message-feedback.entity';

/** The whole feedback: sending it again replaces every field (an absent one is cleared). */
export class PutFeedbackDto {
  @ApiProperty({ enum: FEEDBACK_RATINGS })
  @IsIn(FEEDBACK_RATINGS)
  rating!: FeedbackRating;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: LIMITS.feedbackCommentLength })
  @IsOptional()
  @IsText(0, LIMITS.feedbackCommentLength)
  comment?: string | null;

  @ApiPropertyOptional({
    type: [String],
    maxItems: LIMITS.feedbackReasons,
    description: `Up to ${LIMITS.feedbackReasons} strings of 1 to ${LIMITS.feedbackReasonLength} characters, e.g. "inaccurate", "outdated_regulation"`,
  })
  @IsOptional()
  @IsTextArray(LIMITS.feedbackReasons, 1, LIMITS.feedbackReasonLength)
  reasons?: string[] | null;
}
