import { ForbiddenException, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { AGENT_WRITE_SCOPE, type AuthenticatedUser } from '../../auth/authenticated-user';
import {
  assertAtMostOne,
  decodeCursor,
  encodeCursor,
  pageOf,
  toPageRequest,
} from '../../common/pagination';
import { toConversationResponse } from '../conversation.mapper';
import { ConversationsService } from '../conversations.service';
import { countAppended } from '../../metrics/count-messages';
import { METRICS } from '../../metrics/metric-names';
import type { CreateMessageDto } from './dto/create-message.dto';
import type { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { toMessageResponse } from './message.mapper';
import type { AppendedMessagesResponse } from '../conversation.responses';
import type { MessagePageResponse } from './message.responses';
import { MessagesRepository, type MessageWindow } from './messages.repository';
import { buildMessages, lastAgentOf } from './new-messages';

type Direction = 'after' | 'before';

@Injectable()
export class MessagesService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesRepository,
    @InjectMetric(METRICS.messagesAppended) private readonly appended: Counter<'role' | 'agent'>,
  ) {}

  async list(
    userId: number,
    conversationId: string,
    query: ListMessagesQueryDto,
  ): Promise<MessagePageResponse> {
    const conversation = await this.conversations.requireActive(userId, conversationId);
    const window = toWindow(query);
    // One extra row tells whether another page follows without a second count.
    const rows = await this.messages.window(conversationId, { ...window, limit: window.limit + 1 });
    const total = conversation.messageCount;
    const extra = rows.length > window.limit;
    const page = window.kind === 'before' ? rows.slice(extra ? 1 : 0) : rows.slice(0, window.limit);
    const hasNext = extra;
    const next = nextPosition(window.kind, page, hasNext);
    return {
      conversation_id: conversationId,
      messages: page.map(toMessageResponse),
      total_count: total,
      page: window.kind === 'offset' ? pageOf(window.offset, window.limit) : null,
      page_size: window.limit,
      has_next: hasNext,
      next_cursor: next ? encodeCursor(next) : null,
    };
  }

  /**
   * Appends one message or an exchange in one transaction: seq numbers, `message_count`,
   * `updated_at` and `last_agent_used` move together, or nothing is stored.
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
    const messages = buildMessages(inputs, {
      conversationId,
      userId: user.id,
      firstSeq,
      timestamp: conversation.updatedAt,
    });
    await this.messages.insert(messages);
    const stored = messages.map(toMessageResponse);
    countAppended(this.appended, stored);
    return {
      conversation_id: conversationId,
      messages: stored,
      conversation: toConversationResponse(conversation),
    };
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

function toWindow(query: ListMessagesQueryDto): MessageWindow {
  assertAtMostOne(query, ['page', 'offset', 'cursor', 'before_seq', 'after_seq']);
  const limit = query.limit;
  if (query.after_seq !== undefined) return { kind: 'after', limit, afterSeq: query.after_seq };
  if (query.before_seq !== undefined) return { kind: 'before', limit, beforeSeq: query.before_seq };
  const request = toPageRequest(query, limit);
  if (request.kind === 'offset') return request;
  const { d, s } = decodeCursor(request.cursor, parseMessageCursor);
  return d === 'after'
    ? { kind: 'after', limit, afterSeq: s }
    : { kind: 'before', limit, beforeSeq: s };
}

/** Where the next page starts: further in the direction this page was read. */
function nextPosition(
  kind: MessageWindow['kind'],
  page: ReadonlyArray<{ seq: number }>,
  hasNext: boolean,
): { d: Direction; s: number } | null {
  if (!hasNext || page.length === 0) return null;
  return kind === 'before'
    ? { d: 'before', s: page[0].seq }
    : { d: 'after', s: page[page.length - 1].seq };
}

function parseMessageCursor(value: Record<string, unknown>): { d: Direction; s: number } | null {
  const { d, s } = value;
  if ((d !== 'after' && d !== 'before') || typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
    return null;
  }
  return { d, s };
}
