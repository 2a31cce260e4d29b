import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { isStorableId, newId } from '../common/ids';
import { EventOutbox } from '../events/event-outbox';
import { LIMITS } from '../common/limits';
import { pageNumber, toPageRequest } from '../common/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RowDeletion } from '../retention/row-deletion.service';
import { decodeConversationCursor, encodeConversationCursor } from './conversation-cursor';
import { filtersOf, orderKeyOf } from './conversation-list';
import { countAppended } from '../metrics/count-messages';
import { METRICS } from '../metrics/metric-names';
import type { BranchChoice } from './messages/dto/list-messages-query.dto';
import type { Message } from './messages/message.entity';
import { ONLY_CHILD, toMessageResponse } from './messages/message.mapper';
import type { MessageResponse } from './messages/message.responses';
import { MessagesRepository } from './messages/messages.repository';
import { buildMessages } from './messages/new-messages';
import {
  toConversationResponse,
  toConversationSummary,
  toExportedConversation,
  toTrashedSummary,
} from './conversation.mapper';
import type {
  BulkResponse,
  ConversationListResponse,
  ConversationResponse,
  ConversationStatsResponse,
  ConversationWithRecentMessages,
  CreatedConversationResponse,
  TagListResponse,
} from './conversation.responses';
import {
  ConversationsRepository,
  type ConversationTitle,
  type ExportPosition,
  type SequenceClaim,
} from './conversations.repository';
import { renderExport, type ExportDocument } from './conversation-export';
import type { Conversation } from './conversation.entity';
import type { ConversationKey } from './conversation-key';
import { deriveTitle } from './derive-title';
import { TAG_ACTIONS, type BulkAction, type BulkActionDto } from './dto/bulk-action.dto';
import type { CreateConversationDto } from './dto/create-conversation.dto';
import type { ExportFormat } from './dto/export-query.dto';
import type { ListConversationsQueryDto } from './dto/list-conversations-query.dto';
import type { UpdateConversationDto } from './dto/update-conversation.dto';
import { addTags, normalizeTags, removeTags, tagKey } from './tags';
import {
  exportBatchLines,
  exportHeaderLine,
  type MessageRange,
  planMessageChunks,
} from './user-export';

/** One body for every "not yours / unknown / deleted" case, so that none tells them apart. */
export const conversationNotFound = (): NotFoundException =>
  new NotFoundException('conversation not found');

@Injectable()
export class ConversationsService {
  private readonly trashDays: number;

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly deletion: RowDeletion,
    private readonly outbox: EventOutbox,
    @InjectMetric(METRICS.messagesAppended) private readonly appended: Counter<'role' | 'agent'>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.trashDays = config.lifecycle.trashRetentionDays;
  }

  /** The conversation and, when sent, its first message (seq 1), in one transaction. */
  @Transactional()
  async create(
    user: AuthenticatedUser,
    input: CreateConversationDto,
  ): Promise<CreatedConversationResponse> {
    let conversation = await this.conversations.insert({
      id: newId('conv'),
      userId: user.id,
      title: input.title ?? deriveTitle(input.initial_message),
      messageCount: input.initial_message === undefined ? 0 : 1,
      metadata: input.metadata ?? {},
      headMessageId: null,
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
    if (messages.length > 0) {
      await this.messages.insert(messages);
      conversation = await this.conversations.setHead(conversation, messages[0].id);
    }
    const stored = messages.map((message) => toMessageResponse(message, ONLY_CHILD));
    countAppended(this.appended, stored);
    return { ...toConversationResponse(conversation), messages: stored };
  }

  async list(userId: number, query: ListConversationsQueryDto): Promise<ConversationListResponse> {
    const request = toPageRequest(query, query.limit);
    const filters = filtersOf({
      trashed: query.trashed,
      archived: query.archived,
      pinned: query.pinned,
      tagKey: query.tag === undefined ? undefined : tagKey(query.tag),
    });
    const page =
      request.kind === 'offset'
        ? { limit: request.limit + 1, offset: request.offset }
        : {
            limit: request.limit + 1,
            after: decodeConversationCursor(request.cursor, orderKeyOf(filters)),
          };
    const [rows, total] = await Promise.all([
      this.conversations.list(userId, filters, this.trashDays, page),
      this.conversations.count(userId, filters, this.trashDays),
    ]);
    const hasNext = rows.length > request.limit;
    const shown = rows.slice(0, request.limit);
    const last = shown.at(-1);
    const summary = filters.trashed ? toTrashedSummary : toConversationSummary;
    return {
      conversations: shown.map(({ conversation }) => summary(conversation)),
      total_count: total,
      page: pageNumber(request),
      page_size: request.limit,
      has_next: hasNext,
      next_cursor: hasNext && last ? encodeConversationCursor(last.position) : null,
    };
  }

  tags(userId: number): Promise<TagListResponse> {
    return this.conversations.tagCounts(userId).then((tags) => ({ tags }));
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
    const recent = await this.messages.recent(conversation, LIMITS.recentMessages);
    return {
      ...toConversationResponse(conversation),
      recent_messages: await this.withSiblings(conversation, recent),
    };
  }

  /** The messages' answers, each with its place among its siblings. */
  async withSiblings(
    conversation: ConversationKey,
    messages: Message[],
  ): Promise<MessageResponse[]> {
    const places = await this.messages.siblingPlaces(conversation, messages);
    return messages.map((message, index) => toMessageResponse(message, places[index]));
  }

  async update(
    userId: number,
    id: string,
    changes: UpdateConversationDto,
  ): Promise<ConversationResponse> {
    const fields = [changes.title, changes.metadata, changes.is_archived, changes.is_pinned];
    if (fields.every((field) => field === undefined) && changes.tags === undefined) {
      throw new BadRequestException(
        'send at least one of title, metadata, is_archived, is_pinned and tags',
      );
    }
    const updated = await this.conversations.update(userId, id, {
      title: changes.title,
      metadata: changes.metadata,
      isArchived: changes.is_archived,
      isPinned: changes.is_pinned,
      tags: changes.tags === undefined ? undefined : normalizeTags(changes.tags),
    });
    if (!updated) throw conversationNotFound();
    const answer = toConversationResponse(updated);
    this.outbox.record({ userId, conversationId: id }, 'conversation.updated', answer);
    return answer;
  }

  /**
   * To the trash (deleting one's own trashed conversation again is not an error), or with
   * `permanent` gone for good now, with every row of it, from the trash or not.
   */
  async remove(userId: number, id: string, permanent: boolean): Promise<void> {
    const statuses = await this.apply(userId, permanent ? 'purge' : 'delete', [id], []);
    if (!statuses.has(id)) throw conversationNotFound();
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

  /** Out of the caller's trash, as it was; 404 unless it is there (and still restorable). */
  async restore(userId: number, id: string): Promise<ConversationResponse> {
    const [restored] = await this.conversations.restore(userId, [id], this.trashDays);
    if (!restored) throw conversationNotFound();
    return toConversationResponse(restored);
  }

  /**
   * One action on up to 100 conversations, in one transaction: each id gets the status the
   * single-conversation route would have answered, and the ones that succeed are applied.
   */
  @Transactional()
  async bulk(userId: number, input: BulkActionDto): Promise<BulkResponse> {
    const takesTags = TAG_ACTIONS.includes(input.action);
    if (takesTags && input.tags === undefined) {
      throw new BadRequestException(`tags is required for ${input.action}`);
    }
    if (!takesTags && input.tags !== undefined) {
      throw new BadRequestException('tags is only for add_tags and remove_tags');
    }
    // An id that cannot be stored is unknown: 404 like the routes answer, without a query.
    const storable = input.ids.filter(isStorableId);
    const statuses = await this.apply(userId, input.action, storable, input.tags ?? []);
    const results = input.ids.map((id) => ({ id, status: statuses.get(id) ?? 404 }));
    const succeeded = results.filter(({ status }) => status < 300).length;
    return { action: input.action, results, succeeded, failed: results.length - succeeded };
  }

  /**
   * Applies an action to the user's conversations among `ids`: the status of each it reached.
   * Open event streams hear of each conversation changed (`conversation.updated`) or gone
   * (`conversation.deleted`, which ends them).
   */
  @Transactional()
  private async apply(
    userId: number,
    action: BulkAction,
    ids: string[],
    tags: string[],
  ): Promise<Map<string, number>> {
    const each = (reached: string[], status: number): Map<string, number> =>
      new Map(reached.map((id) => [id, status]));
    const updated = (conversations: Conversation[]): Map<string, number> => {
      this.recordUpdated(userId, conversations);
      return each(
        conversations.map((conversation) => conversation.id),
        200,
      );
    };
    const deleted = (reached: string[]): Map<string, number> => {
      for (const id of reached) {
        this.outbox.record({ userId, conversationId: id }, 'conversation.deleted', { id });
      }
      return each(reached, 204);
    };
    switch (action) {
      case 'archive':
      case 'unarchive':
        return updated(
          await this.conversations.setFlag(userId, ids, 'is_archived', action === 'archive'),
        );
      case 'pin':
      case 'unpin':
        return updated(
          await this.conversations.setFlag(userId, ids, 'is_pinned', action === 'pin'),
        );
      case 'add_tags':
      case 'remove_tags':
        return this.retag(userId, ids, action, tags);
      case 'delete':
        return deleted(await this.conversations.trash(userId, ids));
      case 'restore': {
        const restored = await this.conversations.restore(userId, ids, this.trashDays);
        return each(
          restored.map((conversation) => conversation.id),
          200,
        );
      }
      case 'purge': {
        const owned = await this.conversations.lockOwned(userId, ids);
        await this.deletion.deleteUserConversations(userId, owned);
        return deleted(owned);
      }
    }
  }

  private async retag(
    userId: number,
    ids: string[],
    action: 'add_tags' | 'remove_tags',
    tags: string[],
  ): Promise<Map<string, number>> {
    const statuses = new Map<string, number>();
    const changes = [];
    for (const row of await this.conversations.lockTags(userId, ids)) {
      const next = action === 'add_tags' ? addTags(row.tags, tags) : removeTags(row.tags, tags);
      // The PATCH that would carry more than 20 tags answers 400.
      if (next === null) {
        statuses.set(row.id, 400);
        continue;
      }
      changes.push({ id: row.id, tags: next });
      statuses.set(row.id, 200);
    }
    this.recordUpdated(userId, await this.conversations.writeTags(userId, changes));
    return statuses;
  }

  private recordUpdated(userId: number, conversations: Conversation[]): void {
    for (const conversation of conversations) {
      this.outbox.record(
        { userId, conversationId: conversation.id },
        'conversation.updated',
        toConversationResponse(conversation),
      );
    }
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

  /**
   * For writes that move the branch without appending: locks the conversation's row (as the seq
   * claim does) inside the caller's transaction, or 404.
   */
  async lockActive(userId: number, id: string): Promise<Conversation> {
    const conversation = await this.conversations.lockActive(userId, id);
    if (!conversation) throw conversationNotFound();
    return conversation;
  }

  /** Moves the head; the caller's transaction holds the conversation's lock (claim or lockActive). */
  setHead(conversation: ConversationKey, headMessageId: string): Promise<Conversation> {
    return this.conversations.setHead(conversation, headMessageId);
  }

  /** Counts every stored message, of every branch, like `message_count`. */
  async stats(userId: number, id: string): Promise<ConversationStatsResponse> {
    const conversation = await this.requireActive(userId, id);
    const stats = await this.messages.stats(conversation);
    return {
      conversation_id: conversation.id,
      total_messages: stats.byRole.user + stats.byRole.assistant + stats.byRole.system,
      by_role: stats.byRole,
      agents_used: stats.agentsUsed,
      feedback: stats.feedback,
      first_message_at: stats.firstMessageAt?.toISOString() ?? null,
      last_message_at: stats.lastMessageAt?.toISOString() ?? null,
    };
  }

  /** JSON: every message of every branch, with `parent_id`. Markdown: the active branch. */
  async export(userId: number, id: string, format: ExportFormat): Promise<ExportDocument> {
    const conversation = await this.requireActive(userId, id);
    const branch = format === 'markdown' ? 'active' : 'all';
    return renderExport(
      toConversationResponse(conversation),
      this.messagesOf(conversation, branch),
      format,
    );
  }

  /**
   * Everything the user has, as NDJSON lines (`user-export.ts`), read in keyset batches of short
   * statements as the reader asks for more: memory stays flat however long the history, and a
   * slow reader holds no transaction and no connection.
   */
  async *exportAll(userId: number): AsyncIterable<string> {
    yield exportHeaderLine(userId, new Date());
    let after: ExportPosition | null = null;
    for (;;) {
      const batch = await this.conversations.exportBatch(
        userId,
        this.trashDays,
        after,
        USER_EXPORT_CONVERSATIONS,
      );
      if (batch.length === 0) return;
      const conversations = batch.map(({ conversation }) => conversation);
      const chunks = planMessageChunks(
        conversations.map(({ id, messageCount }) => ({ id, messageCount: messageCount ?? 0 })),
        USER_EXPORT_MESSAGES,
      );
      yield* exportBatchLines(conversations.map(toExportedConversation), chunks, (ranges) =>
        this.exportedMessages(userId, ranges),
      );
      after = batch[batch.length - 1].position;
    }
  }

  /** The ranges' messages (every branch), each with its place among its siblings. */
  private async exportedMessages(
    userId: number,
    ranges: MessageRange[],
  ): Promise<MessageResponse[]> {
    const messages = await this.messages.ranges(userId, ranges);
    const answers: MessageResponse[] = [];
    for (let start = 0; start < messages.length;) {
      let end = start + 1;
      while (
        end < messages.length &&
        messages[end].conversationId === messages[start].conversationId
      )
        end++;
      answers.push(
        ...(await this.withSiblings(
          { id: messages[start].conversationId, userId },
          messages.slice(start, end),
        )),
      );
      start = end;
    }
    return answers;
  }

  private async *messagesOf(
    conversation: ConversationKey,
    branch: BranchChoice,
  ): AsyncIterable<MessageResponse[]> {
    let afterSeq = 0;
    for (;;) {
      const batch = await this.messages.window(
        conversation,
        { kind: 'after', limit: EXPORT_BATCH_SIZE, afterSeq },
        branch,
      );
      if (batch.length === 0) return;
      yield await this.withSiblings(conversation, batch);
      afterSeq = batch[batch.length - 1].seq;
    }
  }
}

const EXPORT_BATCH_SIZE = 500;
/** Conversations per statement of a user's export (at most 16 KB of metadata each). */
const USER_EXPORT_CONVERSATIONS = 200;
/** Messages per statement of a user's export: one such batch is what it holds in memory. */
const USER_EXPORT_MESSAGES = 200;
