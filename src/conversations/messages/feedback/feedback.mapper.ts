import type { FeedbackResponse } from './feedback.responses';
import type { MessageFeedback } from './message-feedback.entity';

export function toFeedbackResponse(feedback: MessageFeedback): FeedbackResponse {
  return {
    rating: feedback.rating,
    comment: feedback.comment,
    reasons: feedback.reasons,
    updated_at: feedback.updatedAt.toISOString(),
  };
}
