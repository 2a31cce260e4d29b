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
import { ApiErrors } from '../common/api-errors';
import { LIMITS } from '../common/limits';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ConversationIdPipe } from './conversation-id.pipe';
import {
  ConversationListResponse,
  ConversationResponse,
  ConversationStatsResponse,
  ConversationWithRecentMessages,
  CreatedConversationResponse,
} from './conversation.responses';
import { ConversationsService } from './conversations.service';
import { holdsStreaming } from './messages/message.responses';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { ExportQueryDto } from './dto/export-query.dto';
import { ListConversationsQueryDto } from './dto/list-conversations-query.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(UserCacheInterceptor)
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
    summary: "The caller's active conversations, newest updated_at first",
    description:
      'Answers carry an `ETag`: `If-None-Match` holding it answers 304 without a body (from the cache when it holds the answer).',
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
  @ApiOperation({ summary: 'Rename a conversation or replace its metadata' })
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
    summary: 'Soft delete: gone from every read, list and search; repeating it is 204',
  })
  @ApiNoContentResponse()
  @ApiErrors(403, 404)
  async remove(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
  ): Promise<void> {
    await this.conversations.remove(user.id, id);
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
