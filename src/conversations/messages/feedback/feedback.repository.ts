import { Injectable } from '@nestjs/common';
import { queryRows } from '../../../database/query-rows';
import { Transactions } from '../../../database/transactions';
import { MessageFeedback, type FeedbackRating } from './message-feedback.entity';

export type NewFeedback = Pick<
  MessageFeedback,
  'messageId' | 'userId' | 'conversationId' | 'rating' | 'comment' | 'reasons'
>;

/** Every query on `message_feedback`, in the caller's transaction. */
@Injectable()
export class FeedbackRepository {
  constructor(private readonly transactions: Transactions) {}

  async ratingOf(userId: number, messageId: string): Promise<FeedbackRating | null> {
    const feedback = await this.transactions.tx.findOne(MessageFeedback, {
      select: { messageId: true, rating: true },
      where: { messageId, userId },
    });
    return feedback?.rating ?? null;
  }

  /** Stores the feedback, replacing any: `created_at` stays the first one's. */
  async upsert(feedback: NewFeedback): Promise<MessageFeedback> {
    const [row] = await queryRows(
      this.transactions.tx,
      `INSERT INTO message_feedback (message_id, user_id, conversation_id, rating, comment, reasons)
       VALUES ($1, $2, $3, $4, $5, $6::text[])
       ON CONFLICT (message_id) DO UPDATE SET
         rating = EXCLUDED.rating, comment = EXCLUDED.comment, reasons = EXCLUDED.reasons,
         updated_at = now()
       RETURNING *`,
      [
        feedback.messageId,
        feedback.userId,
        feedback.conversationId,
        feedback.rating,
        feedback.comment,
        feedback.reasons,
      ],
    );
    return feedbackFromRow(row);
  }

  /** The removed rating, or null when there was none. */
  async remove(userId: number, messageId: string): Promise<FeedbackRating | null> {
    const rows = await queryRows<{ rating: FeedbackRating }>(
      this.transactions.tx,
      `DELETE FROM message_feedback WHERE message_id = $1 AND user_id = $2 RETURNING rating`,
      [messageId, userId],
    );
    return rows[0]?.rating ?? null;
  }
}

/** A `message_feedback` row read by a raw statement (its column names) as the entity. */
export function feedbackFromRow(row: Record<string, unknown>): MessageFeedback {
  return Object.assign(new MessageFeedback(), {
    messageId: row.message_id,
    userId: row.user_id,
    conversationId: row.conversation_id,
    rating: row.rating,
    comment: row.comment,
    reasons: row.reasons,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
