import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { newId } from '../common/ids';
import { EventOutbox } from '../events/event-outbox';
import { LIMITS } from '../common/limits';
import { pageNumber, toPageRequest } from '../common/pagination';
import { decodeConversationCursor, encodeConversationCursor } from './conversation-cursor';
import { countAppended } from '../metrics/count-messages';
import { METRICS } from '../metrics/metric-names';
import { toMessageResponse } from './messages/message.mapper';
import type { MessageResponse } from './messages/message.responses';
import { MessagesRepository } from './messages/messages.repository';
import { buildMessages } from './messages/new-messages';
import { toConversationResponse, toConversationSummary } from './conversation.mapper';
import type {
  ConversationListResponse,
  ConversationResponse,
  ConversationStatsResponse,
  ConversationWithRecentMessages,
  CreatedConversationResponse,
} from './conversation.responses';
import {
  ConversationsRepository,
  type ConversationTitle,
  type SequenceClaim,
} from './conversations.repository';
import { renderExport, type ExportDocument } from './conversation-export';
import type { Conversation } from './conversation.entity';
import { deriveTitle } from './derive-title';
import type { CreateConversationDto } from './dto/create-conversation.dto';
import type { ExportFormat } from './dto/export-query.dto';
import type { ListConversationsQueryDto } from './dto/list-conversations-query.dto';
import type { UpdateConversationDto } from './dto/update-conversation.dto';

/** One body for every "not yours / unknown / deleted" case, so that none tells them apart. */
export const conversationNotFound = (): NotFoundException =>
  new NotFoundException('conversation not found');

@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly outbox: EventOutbox,
    @InjectMetric(METRICS.messagesAppended) private readonly appended: Counter<'role' | 'agent'>,
  ) {}

  /** The conversation and, when sent, its first message (seq 1), in one transaction. */
  @Transactional()
  async create(
    user: AuthenticatedUser,
    input: CreateConversationDto,
  ): Promise<CreatedConversationResponse> {
    const conversation = await this.conversations.insert({
      id: newId('conv'),
      userId: user.id,
      title: input.title ?? deriveTitle(input.initial_message),
      messageCount: input.initial_message === undefined ? 0 : 1,
      metadata: input.metadata ?? {},
    });
    const messages =
      input.initial_message === undefined
        ? []
        : buildMessages([{ role: 'user', content: input.initial_message }], {
            conversationId: conversation.id,
            userId: user.id,
            firstSeq: 1,
            timestamp: conversation.createdAt,
          });
    if (messages.length > 0) await this.messages.insert(messages);
    const stored = messages.map(toMessageResponse);
    countAppended(this.appended, stored);
    return { ...toConversationResponse(conversation), messages: stored };
  }

  async list(userId: number, query: ListConversationsQueryDto): Promise<ConversationListResponse> {
    const request = toPageRequest(query, query.limit);
    const window =
      request.kind === 'offset'
        ? { limit: request.limit + 1, offset: request.offset }
        : { limit: request.limit + 1, after: decodeConversationCursor(request.cursor) };
    const [rows, total] = await Promise.all([
      this.conversations.listActive(userId, window),
      this.conversations.countActive(userId),
    ]);
    const hasNext = rows.length > request.limit;
    const page = rows.slice(0, request.limit);
    const last = page.at(-1);
    return {
      conversations: page.map(({ conversation }) => toConversationSummary(conversation)),
      total_count: total,
      page: pageNumber(request),
      page_size: request.limit,
      has_next: hasNext,
      next_cursor: hasNext && last ? encodeConversationCursor(last.position) : null,
    };
  }

  /** The user's active conversation, or the one 404 every other case gets. */
  async requireActive(userId: number, id: string): Promise<Conversation> {
    const conversation = await this.conversations.findActive(userId, id);
    if (!conversation) throw conversationNotFound();
    return conversation;
  }

  /** Titles of the user's conversations among `ids`, for features that list their messages. */
  titles(userId: number, ids: string[]): Promise<ConversationTitle[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.conversations.titles(userId, ids);
  }

  async getWithRecentMessages(userId: number, id: string): Promise<ConversationWithRecentMessages> {
    const conversation = await this.requireActive(userId, id);
    const recent = await this.messages.recent(id, LIMITS.recentMessages);
    return {
      ...toConversationResponse(conversation),
      recent_messages: recent.map(toMessageResponse),
    };
  }

  async update(
    userId: number,
    id: string,
    changes: UpdateConversationDto,
  ): Promise<ConversationResponse> {
    if (changes.title === undefined && changes.metadata === undefined) {
      throw new BadRequestException('send title, metadata or both');
    }
    const updated = await this.conversations.update(userId, id, changes);
    if (!updated) throw conversationNotFound();
    const answer = toConversationResponse(updated);
    this.outbox.record({ userId, conversationId: id }, 'conversation.updated', answer);
    return answer;
  }

  /** Soft delete; deleting one's own deleted conversation again is not an error. */
  async remove(userId: number, id: string): Promise<void> {
    if (!(await this.conversations.deactivate(userId, id))) throw conversationNotFound();
    this.outbox.record({ userId, conversationId: id }, 'conversation.deleted', { id });
  }

  /**
   * For a finished stream, inside its transaction: `updated_at` moves, and `last_agent_used` as
   * on append. The conversation, or 404.
   */
  async recordReply(userId: number, id: string, agentUsed: string | null): Promise<Conversation> {
    const conversation = await this.conversations.recordActivity(userId, id, agentUsed);
    if (!conversation) throw conversationNotFound();
    return conversation;
  }

  /** For appends: reserves seq numbers inside the caller's transaction, or 404. */
  async claimSequence(
    userId: number,
    id: string,
    count: number,
    lastAgentUsed: string | null,
  ): Promise<SequenceClaim> {
    const claim = await this.conversations.claimSequence(userId, id, count, lastAgentUsed);
    if (!claim) throw conversationNotFound();
    return claim;
  }

  async stats(userId: number, id: string): Promise<ConversationStatsResponse> {
    const conversation = await this.requireActive(userId, id);
    const stats = await this.messages.stats(id);
    return {
      conversation_id: conversation.id,
      total_messages: stats.byRole.user + stats.byRole.assistant + stats.byRole.system,
      by_role: stats.byRole,
      agents_used: stats.agentsUsed,
      first_message_at: stats.firstMessageAt?.toISOString() ?? null,
      last_message_at: stats.lastMessageAt?.toISOString() ?? null,
    };
  }

  async export(userId: number, id: string, format: ExportFormat): Promise<ExportDocument> {
    const conversation = await this.requireActive(userId, id);
    return renderExport(toConversationResponse(conversation), this.allMessages(id), format);
  }

  private async *allMessages(conversationId: string): AsyncIterable<MessageResponse[]> {
    let afterSeq = 0;
    for (;;) {
      const batch = await this.messages.window(conversationId, {
        kind: 'after',
        limit: EXPORT_BATCH_SIZE,
        afterSeq,
      });
      if (batch.length === 0) return;
      yield batch.map(toMessageResponse);
      afterSeq = batch[batch.length - 1].seq;
    }
  }
}

const EXPORT_BATCH_SIZE = 500;
