import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  type HttpException,
} from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { AgentStatsRecorder } from '../../agent-stats/agent-stats-recorder.service';
import { AGENT_WRITE_SCOPE, type AuthenticatedUser } from '../../auth/authenticated-user';
import { LIMITS } from '../../common/limits';
import { EventOutbox } from '../../events/event-outbox';
import { METRICS } from '../../metrics/metric-names';
import { toConversationResponse } from '../conversation.mapper';
import { ConversationsService } from '../conversations.service';
import type { UpdateMessageDto } from './dto/update-message.dto';
import { messageNotFound } from './message-id.pipe';
import type { Message } from './message.entity';
import { answersOf, usageAsWritten } from './new-messages';
import type { MessageResponse } from './message.responses';
import { MessageStreamsRepository, type MessageRef } from './message-streams.repository';
import { MessagesRepository } from './messages.repository';

/**
 * The writes to a streaming assistant message: its deltas, each stored as a small row whatever the
 * length of the text so far, and its end, which writes the whole text once.
 */
@Injectable()
export class MessageStreamsService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesRepository,
    private readonly streams: MessageStreamsRepository,
    private readonly outbox: EventOutbox,
    private readonly agentStats: AgentStatsRecorder,
    @InjectMetric(METRICS.deltasAppended) private readonly deltas: Counter,
  ) {}

  /** `PATCH /:id/messages/:message_id`: a delta, or the end of the stream. */
  update(
    user: AuthenticatedUser,
    conversationId: string,
    messageId: string,
    change: UpdateMessageDto,
  ): Promise<MessageResponse> {
    if (!user.scopes.has(AGENT_WRITE_SCOPE)) {
      throw new ForbiddenException(
        `writing assistant messages needs the ${AGENT_WRITE_SCOPE} scope`,
      );
    }
    const ref = { userId: user.id, conversationId, messageId };
    return change.append !== undefined
      ? this.append(ref, change.append, change.offset)
      : this.finish(ref, change);
  }

  @Transactional()
  private async append(
    ref: MessageRef,
    text: string,
    offset: number | undefined,
  ): Promise<MessageResponse> {
    const length = await this.streams.append(ref, text, offset, LIMITS.contentLength);
    if (length === null) throw await this.refusal(ref, text, offset);
    const message = await this.messages.findOne(ref);
    if (!message) throw messageNotFound();
    this.deltas.inc();
    const answer = await this.answerOf(ref, message);
    this.outbox.record(ref, 'message.delta', {
      id: answer.id,
      seq: answer.seq,
      offset: length - text.length,
      text,
    });
    return answer;
  }

  @Transactional()
  private async finish(ref: MessageRef, change: UpdateMessageDto): Promise<MessageResponse> {
    const streamed = await this.streams.end(ref);
    if (streamed === null) throw await this.refusal(ref);
    const message = await this.messages.finish(ref, {
      status: change.status!,
      content: change.content ?? streamed,
      agentUsed: change.agent_used,
      routingInfo: change.routing_info,
      references: change.references,
      metadata: change.metadata,
      usage: change.usage === undefined ? undefined : change.usage && usageAsWritten(change.usage),
    });
    const conversation = await this.conversations.recordReply(
      ref.userId,
      ref.conversationId,
      change.agent_used ?? null,
    );
    await this.agentStats.recordAnswers(ref.conversationId, answersOf([message]));
    const answer = await this.answerOf(ref, message);
    this.outbox.record(ref, 'message.completed', answer);
    this.outbox.record(ref, 'conversation.updated', toConversationResponse(conversation));
    return answer;
  }

  private async answerOf(ref: MessageRef, message: Message): Promise<MessageResponse> {
    const [answer] = await this.conversations.withSiblings(
      { id: ref.conversationId, userId: ref.userId },
      [message],
    );
    return answer;
  }

  /** Why the stream took no write: unknown (404), over (409), `offset` behind (409), too long. */
  private async refusal(ref: MessageRef, text?: string, offset?: number): Promise<HttpException> {
    const state = await this.streams.state(ref);
    if (!state) return messageNotFound();
    if (state.status !== 'streaming' || !state.live || state.length === null) {
      const status = state.status === 'streaming' ? 'incomplete' : state.status;
      return new ConflictException(
        `the message is ${status}, not streaming: it takes no more writes`,
      );
    }
    if (offset !== undefined && offset !== state.length) {
      return new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `offset ${offset} is not the content length ${state.length}: this delta was not stored`,
        content_length: state.length,
      });
    }
    return new BadRequestException(
      `append would make the content longer than ${LIMITS.contentLength} characters (it holds ${state.length}, the delta has ${text?.length ?? 0})`,
    );
  }
}
