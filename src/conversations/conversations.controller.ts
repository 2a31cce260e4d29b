import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  StreamableFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { Readable } from 'node:stream';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { UserThrottlerGuard } from '../rate-limit/user-throttler.guard';
import { cacheKeys, firstPageLimit } from '../cache/cache-keys';
import { CachedRead, InvalidatesCache } from '../cache/cached-read.decorator';
import { UserCacheInterceptor } from '../cache/user-cache.interceptor';
import { ReadRoutingInterceptor } from '../read-routing/read-routing.interceptor';
import { ApiErrors } from '../common/api-errors';
import { LIMITS } from '../common/limits';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ConversationIdPipe } from './conversation-id.pipe';
import {
  BulkResponse,
  ConversationListResponse,
  ConversationResponse,
  ConversationStatsResponse,
  ConversationWithRecentMessages,
  CreatedConversationResponse,
} from './conversation.responses';
import { ConversationsService } from './conversations.service';
import { BulkActionDto } from './dto/bulk-action.dto';
import { holdsStreaming } from './messages/message.responses';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { ExportQueryDto } from './dto/export-query.dto';
import { ListConversationsQueryDto } from './dto/list-conversations-query.dto';
import { RemoveConversationQueryDto } from './dto/remove-conversation-query.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(UserCacheInterceptor, ReadRoutingInterceptor)
@Controller('api/v1/conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  @Idempotent()
  @InvalidatesCache()
  @ApiOperation({ summary: 'Create a conversation, optionally with its first message' })
  @ApiCreatedResponse({ type: CreatedConversationResponse })
  @ApiErrors(400, 403, 409, 413, 422)
  create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateConversationDto,
  ): Promise<CreatedConversationResponse> {
    return this.conversations.create(user, body);
  }

  @Get()
  @CachedRead((request) => {
    const limit = firstPageLimit(request.query, LIMITS.conversationsPageSize.default);
    return limit === null ? null : cacheKeys.firstConversationPage(limit);
  })
  @ApiOperation({
    summary:
      "The caller's conversations, newest updated_at first; filters for archive, pin, tag and the trash",
    description:
      'Without filters: the conversations neither archived nor in the trash. `archived=true`: only archived ones; `pinned=true`: only pinned ones (a filter: pinned conversations do not float to the top of the default list); `tag`: only those with the tag, compared case-insensitively; `trashed=true`: the trash, archived or not, newest `deleted_at` first, each with `deleted_at`, only what can still be restored (a conversation in the trash for longer than TRASH_RETENTION_DAYS is gone even before the purge job has removed it). Filters combine; `total_count`, `has_next` and the cursors follow the filtered list. Only the unfiltered first page is cached. Answers carry an `ETag`: `If-None-Match` holding it answers 304 without a body (from the cache when it holds the answer).',
  })
  @ApiOkResponse({ type: ConversationListResponse })
  @ApiErrors(400, 403)
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListConversationsQueryDto,
  ): Promise<ConversationListResponse> {
    return this.conversations.list(user.id, query);
  }

  @Get(':id')
  @CachedRead((request) => cacheKeys.conversation((request.params as { id: string }).id), {
    storable: (answer: ConversationWithRecentMessages) => !holdsStreaming(answer.recent_messages),
  })
  @ApiOperation({
    summary: 'A conversation with its newest 20 messages (oldest first)',
    description:
      'Answers carry an `ETag`: `If-None-Match` holding it answers 304 without a body (from the cache when it holds the answer).',
  })
  @ApiOkResponse({ type: ConversationWithRecentMessages })
  @ApiErrors(403, 404)
  get(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
  ): Promise<ConversationWithRecentMessages> {
    return this.conversations.getWithRecentMessages(user.id, id);
  }

  @Patch(':id')
  @InvalidatesCache()
  @ApiOperation({
    summary: 'Rename, replace metadata, archive, pin or tag a conversation',
    description:
      'At least one field. A new title or metadata moves `updated_at`; `is_archived`, `is_pinned` and `tags` only organise the list: they neither move `updated_at` (the list order) nor restart the retention clock. `tags` replaces the whole list. Archived conversations stay readable, writable and searchable, and appending does not unarchive them.',
  })
  @ApiOkResponse({ type: ConversationResponse })
  @ApiErrors(400, 403, 404)
  update(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Body() body: UpdateConversationDto,
  ): Promise<ConversationResponse> {
    return this.conversations.update(user.id, id, body);
  }

  @Put(':id')
  @InvalidatesCache()
  @ApiOperation({ summary: "Same as PATCH, for the predecessor's callers" })
  @ApiOkResponse({ type: ConversationResponse })
  @ApiErrors(400, 403, 404)
  replace(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Body() body: UpdateConversationDto,
  ): Promise<ConversationResponse> {
    return this.conversations.update(user.id, id, body);
  }

  @Delete(':id')
  @InvalidatesCache()
  @HttpCode(204)
  @ApiOperation({
    summary: 'To the trash: gone from every read, list and search; repeating it is 204',
    description:
      'The conversation stays in the trash (`GET /?trashed=true`) for TRASH_RETENTION_DAYS, restorable with `POST /:id/restore`, then the purge deletes it for good. Deleting it again keeps its `deleted_at`. `permanent=true`: deleted for good now, with its messages and every row that belongs to it, from the trash or not.',
  })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404)
  async remove(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Query() query: RemoveConversationQueryDto,
  ): Promise<void> {
    await this.conversations.remove(user.id, id, query.permanent ?? false);
  }

  @Post(':id/restore')
  @Idempotent()
  @InvalidatesCache()
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Out of the trash, as it was (archive, pin and tags kept); 404 unless in the caller's trash",
    description:
      'Restoring counts as an update: `updated_at` moves, so the conversation comes back at the top of the list and the retention clock (RETENTION_DAYS) starts again; otherwise a conversation the retention job had moved to the trash would go straight back on its next run.',
  })
  @ApiOkResponse({ type: ConversationResponse })
  @ApiErrors(403, 404, 409, 422)
  restore(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
  ): Promise<ConversationResponse> {
    return this.conversations.restore(user.id, id);
  }

  @Post('bulk')
  @Idempotent()
  @InvalidatesCache()
  @HttpCode(200)
  @ApiOperation({
    summary: 'One action on 1..100 conversations, in one transaction, with a status per id',
    description:
      "Each result's `status` is what the single-conversation route would have answered: archive, unarchive, pin, unpin, add_tags, remove_tags and restore 200, delete and purge 204, and 404 for an unknown id, another user's, or one in no state for the action (a trashed one for archive, one not in the trash for restore). add_tags that would take a conversation past 20 tags: 400 for that item. The items that succeed are applied together in one transaction; archive, pin and tags do not move `updated_at`. Duplicate ids: 400.",
  })
  @ApiOkResponse({ type: BulkResponse })
  @ApiErrors(400, 403, 409, 413, 422)
  bulk(@CurrentUser() user: AuthenticatedUser, @Body() body: BulkActionDto): Promise<BulkResponse> {
    return this.conversations.bulk(user.id, body);
  }

  @Get(':id/stats')
  @ApiOperation({ summary: 'Message counts by role and agent, first and last message times' })
  @ApiOkResponse({ type: ConversationStatsResponse })
  @ApiErrors(403, 404)
  stats(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
  ): Promise<ConversationStatsResponse> {
    return this.conversations.stats(user.id, id);
  }

  @Get(':id/export')
  @ApiOperation({
    summary: 'The whole conversation as a download: JSON {conversation, messages} or Markdown',
  })
  @ApiProduces('application/json', 'text/markdown')
  @ApiOkResponse({ description: 'An attachment named after the conversation id' })
  @ApiErrors(400, 403, 404)
  async export(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Query() query: ExportQueryDto,
  ): Promise<StreamableFile> {
    const document = await this.conversations.export(user.id, id, query.format);
    return new StreamableFile(Readable.from(document.chunks), {
      type: document.contentType,
      disposition: `attachment; filename="${document.filename}"`,
    });
  }
}
