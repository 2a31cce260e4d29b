import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AgentStatsRecorder } from '../../../agent-stats/agent-stats-recorder.service';
import { AGENT_WRITE_SCOPE, type AuthenticatedUser } from '../../../auth/authenticated-user';
import { ConversationsService } from '../../conversations.service';
import { messageNotFound } from '../message-id.pipe';
import { MessagesRepository, type RatedMessage } from '../messages.repository';
import type { PutFeedbackDto } from './dto/put-feedback.dto';
import { toFeedbackResponse } from './feedback.mapper';
import type { FeedbackResponse } from './feedback.responses';
import { FeedbackRepository } from './feedback.repository';

/**
 * The owner's rating of an assistant message. Each write moves the agents' figures in the same
 * transaction, and locks the message so that concurrent writes to one rating apply in turn.
 */
@Injectable()
export class FeedbackService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesRepository,
    private readonly feedback: FeedbackRepository,
    private readonly agentStats: AgentStatsRecorder,
  ) {}

  @Transactional()
  async put(
    user: AuthenticatedUser,
    conversationId: string,
    messageId: string,
    input: PutFeedbackDto,
  ): Promise<FeedbackResponse> {
    const message = await this.rateableMessage(user, conversationId, messageId);
    const previous = await this.feedback.ratingOf(message.userId, messageId);
    const saved = await this.feedback.upsert({
      messageId,
      userId: message.userId,
      conversationId,
      rating: input.rating,
      comment: input.comment ?? null,
      reasons: input.reasons ?? [],
    });
    await this.agentStats.recordFeedback({ ...changeOf(message), previous, next: saved.rating });
    return toFeedbackResponse(saved);
  }

  /** Removing feedback that is not there is not an error (204 again). */
  @Transactional()
  async remove(user: AuthenticatedUser, conversationId: string, messageId: string): Promise<void> {
    const message = await this.rateableMessage(user, conversationId, messageId);
    const previous = await this.feedback.remove(message.userId, messageId);
    await this.agentStats.recordFeedback({ ...changeOf(message), previous, next: null });
  }

  private async rateableMessage(
    user: AuthenticatedUser,
    conversationId: string,
    messageId: string,
  ): Promise<RatedMessage> {
    assertOwnersAct(user);
    const conversation = await this.conversations.requireActive(user.id, conversationId);
    const message = await this.messages.lockForFeedback(conversation, messageId);
    if (!message) throw messageNotFound();
    if (message.role !== 'assistant') {
      throw new BadRequestException('feedback is accepted on assistant messages only');
    }
    return message;
  }
}

/**
 * Feedback is the owner's judgement of an answer. A token with the agent scope is the agent
 * service's (end users' tokens never hold it), whether it names the user or acts for one: the
 * side that answers cannot rate its answers. A gateway acting for the user without that scope
 * relays the user's own act and is accepted.
 */
function assertOwnersAct(user: AuthenticatedUser): void {
  if (user.scopes.has(AGENT_WRITE_SCOPE)) {
    throw new ForbiddenException(
      `feedback is the conversation owner's: a token with the ${AGENT_WRITE_SCOPE} scope cannot give or remove it`,
    );
  }
}

function changeOf(message: RatedMessage): {
  agent: string | null;
  userId: number;
  timestamp: Date | null;
} {
  return { agent: message.agentUsed, userId: message.userId, timestamp: message.timestamp };
}
