import {
  Body,
  Controller,
  Get,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/current-user.decorator';
import { JwtAuthGuard } from '../../auth/jwt-auth.guard';
import { UserThrottlerGuard } from '../../rate-limit/user-throttler.guard';
import { cacheKeys, firstPageLimit } from '../../cache/cache-keys';
import { CachedRead, InvalidatesCache } from '../../cache/cached-read.decorator';
import { UserCacheInterceptor } from '../../cache/user-cache.interceptor';
import { ReadRoutingInterceptor } from '../../read-routing/read-routing.interceptor';
import { ApiErrors } from '../../common/api-errors';
import { LIMITS } from '../../common/limits';
import { ConversationIdPipe } from '../conversation-id.pipe';
import { Idempotent } from '../../idempotency/idempotent.decorator';
import { AppendMessagesDto } from './dto/append-messages.dto';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { isDelta, UpdateMessageDto } from './dto/update-message.dto';
import { AppendedMessagesResponse } from '../conversation.responses';
import { MessageIdPipe } from './message-id.pipe';
import { holdsStreaming, MessagePageResponse, MessageResponse } from './message.responses';
import { MessageStreamsService } from './message-streams.service';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@ApiBearerAuth()
@ApiExtraModels(CreateMessageDto, MessageResponse)
@ApiErrors(401, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(UserCacheInterceptor, ReadRoutingInterceptor)
@Controller('api/v1/conversations/:id/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly streams: MessageStreamsService,
  ) {}

  @Get()
  @CachedRead(
    (request) => {
      const limit = firstPageLimit(request.query, LIMITS.messagesPageSize.default);
      const { id } = request.params as { id: string };
      return limit === null ? null : cacheKeys.firstMessagePage(id, limit);
    },
    { storable: (page: MessagePageResponse) => !holdsStreaming(page.messages) },
  )
  @ApiOperation({
    summary: 'A page of messages, oldest first',
    description:
      'One of `page`, `offset`, `cursor`, `before_seq` (the newest `limit` messages before it) or `after_seq` (the oldest `limit` after it). `next_cursor` continues in the same direction; with it, appends between reads neither repeat nor skip a message. Answers carry an `ETag`: `If-None-Match` holding it answers 304 without a body.',
  })
  @ApiOkResponse({ type: MessagePageResponse })
  @ApiErrors(400, 403, 404)
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Query() query: ListMessagesQueryDto,
  ): Promise<MessagePageResponse> {
    return this.messages.list(user.id, id, query);
  }

  @Post()
  @Idempotent()
  @InvalidatesCache()
  @ApiOperation({
    summary: 'Append one message, or an exchange of up to 10, in one transaction',
    description: '`assistant` and `system` messages need the `messages:write:assistant` scope.',
  })
  @ApiCreatedResponse({ type: AppendedMessagesResponse })
  @ApiErrors(400, 403, 404, 409, 413, 422)
  append(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Body() body: AppendMessagesDto,
  ): Promise<AppendedMessagesResponse> {
    return this.messages.append(user, id, body.toMessages());
  }

  @Patch(':message_id')
  @Idempotent()
  @InvalidatesCache({ unless: (request) => isDelta(request.body) })
  @ApiOperation({
    summary: 'Add a delta to a streaming assistant message, or finish it',
    description:
      'Needs the `messages:write:assistant` scope. `{append, offset?}` adds text: `offset`, when sent, must equal the current content length, else 409 with `content_length` in the body, so that a retried delta is never stored twice; the answer is the message with its text so far. `{status: "complete" | "failed", content?, agent_used?, routing_info?, references?, metadata?}` finishes it (`content` replaces the streamed text) and moves the conversation\'s `updated_at` and `last_agent_used` as an append would. A message that is not streaming, or stopped for `STREAM_STALE_SECONDS` (it reads `incomplete`), answers 409 to both. Deltas change no cached read (answers holding a streaming message are never cached).',
  })
  @ApiOkResponse({ type: MessageResponse })
  @ApiErrors(400, 403, 404, 409, 413, 422)
  update(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Param('message_id', MessageIdPipe) messageId: string,
    @Body() body: UpdateMessageDto,
  ): Promise<MessageResponse> {
    return this.streams.update(user, id, messageId, body);
  }
}
