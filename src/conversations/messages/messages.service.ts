import { ForbiddenException, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { AgentStatsRecorder } from '../../agent-stats/agent-stats-recorder.service';
import { AGENT_WRITE_SCOPE, type AuthenticatedUser } from '../../auth/authenticated-user';
import { pageOf } from '../../common/pagination';
import { toConversationResponse } from '../conversation.mapper';
import { ConversationsService } from '../conversations.service';
import { EventOutbox } from '../../events/event-outbox';
import { countAppended } from '../../metrics/count-messages';
import { METRICS } from '../../metrics/metric-names';
import type { CreateMessageDto } from './dto/create-message.dto';
import type { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { BranchesService } from './branches.service';
import { ONLY_CHILD, toMessageResponse } from './message.mapper';
import type { AppendedMessagesResponse } from '../conversation.responses';
import type { MessagePageResponse } from './message.responses';
import { cutPage, toWindow } from './message-window';
import { MessageStreamsRepository } from './message-streams.repository';
import { MessagesRepository } from './messages.repository';
import { answersOf, buildMessages, lastAgentOf, streamedTextOf } from './new-messages';

@Injectable()
export class MessagesService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesRepository,
    private readonly branches: BranchesService,
    private readonly agentStats: AgentStatsRecorder,
    private readonly streams: MessageStreamsRepository,
    private readonly outbox: EventOutbox,
    @InjectMetric(METRICS.messagesAppended) private readonly appended: Counter<'role' | 'agent'>,
  ) {}

  /** A page of the active branch, or with `branch=all` of every message; `total_count` likewise. */
  async list(
    userId: number,
    conversationId: string,
    query: ListMessagesQueryDto,
  ): Promise<MessagePageResponse> {
    const conversation = await this.conversations.requireActive(userId, conversationId);
    const window = toWindow(query);
    const rows = await this.messages.window(
      conversation,
      { ...window, limit: window.limit + 1 },
      query.branch,
    );
    const { page, hasNext, nextCursor } = cutPage(window, rows);
    // The newest page holds the head, whose depth is the branch's length: no query for it.
    const head = rows.find((message) => message.id === conversation.headMessageId);
    const total =
      query.branch === 'all'
        ? conversation.messageCount
        : (head?.depth ?? (await this.branches.activeLength(conversation)));
    return {
      conversation_id: conversationId,
      messages: await this.conversations.withSiblings(conversation, page),
      total_count: total,
      page: window.kind === 'offset' ? pageOf(window.offset, window.limit) : null,
      page_size: window.limit,
      has_next: hasNext,
      next_cursor: nextCursor,
    };
  }

  /**
   * Appends one message or an exchange in one transaction: seq numbers, `message_count`,
   * `updated_at`, `last_agent_used`, the head and the agents' figures move together, or nothing
   * is stored. The first message follows its `parent_id` (the head when absent), each next one
   * the previous. A `streaming` message is stored at once, empty, and its stream opened with the
   * text it was sent with; it counts among the agents' answers when it ends.
   */
  @Transactional()
  async append(
    user: AuthenticatedUser,
    conversationId: string,
    inputs: CreateMessageDto[],
  ): Promise<AppendedMessagesResponse> {
    assertMayWrite(user, inputs);
    const { conversation, firstSeq } = await this.conversations.claimSequence(
      user.id,
      conversationId,
      inputs.length,
      lastAgentOf(inputs),
    );
    const { follows, siblingsBefore } = await this.branches.placeAppend(
      conversation,
      inputs[0].parent_id,
    );
    const messages = buildMessages(inputs, {
      conversationId,
      userId: user.id,
      firstSeq,
      timestamp: conversation.updatedAt,
      follows,
    });
    await this.messages.insert(messages);
    const moved = await this.conversations.setHead(conversation, messages[messages.length - 1].id);
    await this.agentStats.recordAnswers(conversationId, answersOf(messages));
    const streaming = messages.flatMap((message, index) =>
      message.status === 'streaming' ? [{ message, text: streamedTextOf(inputs[index]) }] : [],
    );
    await this.streams.start(
      streaming.map(({ message, text }) => ({
        userId: user.id,
        conversationId,
        messageId: message.id,
        text,
      })),
    );
    // As it reads from now on: its text so far.
    for (const { message, text } of streaming) message.content = text;
    // Each new message has the highest seq among its siblings.
    const stored = messages.map((message, index) =>
      toMessageResponse(
        message,
        index === 0 ? { count: siblingsBefore + 1, index: siblingsBefore } : ONLY_CHILD,
      ),
    );
    countAppended(this.appended, stored);
    const answer = {
      conversation_id: conversationId,
      messages: stored,
      conversation: toConversationResponse(moved),
    };
    const target = { userId: user.id, conversationId };
    for (const message of stored) this.outbox.record(target, 'message.created', message);
    this.outbox.record(target, 'conversation.updated', answer.conversation);
    return answer;
  }
}

function assertMayWrite(user: AuthenticatedUser, inputs: CreateMessageDto[]): void {
  const privileged = inputs.find(({ role }) => role !== 'user');
  if (privileged && !user.scopes.has(AGENT_WRITE_SCOPE)) {
    throw new ForbiddenException(
      `writing ${privileged.role} messages needs the ${AGENT_WRITE_SCOPE} scope`,
    );
  }
}
