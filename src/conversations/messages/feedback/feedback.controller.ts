import {
  Body,
  Controller,
  Delete,
  HttpCode,
  Param,
  Put,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../../auth/authenticated-user';
import { CurrentUser } from '../../../auth/current-user.decorator';
import { JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { InvalidatesCache } from '../../../cache/cached-read.decorator';
import { UserCacheInterceptor } from '../../../cache/user-cache.interceptor';
import { ApiErrors } from '../../../common/api-errors';
import { UserThrottlerGuard } from '../../../rate-limit/user-throttler.guard';
import { ReadRoutingInterceptor } from '../../../read-routing/read-routing.interceptor';
import { ConversationIdPipe } from '../../conversation-id.pipe';
import { MessageIdPipe } from '../message-id.pipe';
import { PutFeedbackDto } from './dto/put-feedback.dto';
import { FeedbackResponse } from './feedback.responses';
import { FeedbackService } from './feedback.service';

const WHO =
  "The conversation's owner only: another user's conversation is 404, and a token with the `messages:write:assistant` scope (the agent service's, whether it names the user or acts for one) is 403, since the side that answers cannot rate its answers. A gateway acting for the user (`conversations:act-as` without that scope) is the user. Assistant messages only (400 otherwise).";

@ApiTags('feedback')
@ApiBearerAuth()
@ApiErrors(401, 403, 404, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(UserCacheInterceptor, ReadRoutingInterceptor)
@Controller('api/v1/conversations/:id/messages/:message_id/feedback')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Put()
  @InvalidatesCache()
  @ApiOperation({
    summary: "Rate an assistant message up or down, replacing the owner's earlier rating",
    description: `${WHO} The body replaces the whole feedback: a field left out is cleared. The message's \`feedback\` shows it in every read at once.`,
  })
  @ApiOkResponse({ type: FeedbackResponse })
  @ApiErrors(400)
  put(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Param('message_id', MessageIdPipe) messageId: string,
    @Body() body: PutFeedbackDto,
  ): Promise<FeedbackResponse> {
    return this.feedback.put(user, id, messageId, body);
  }

  @Delete()
  @InvalidatesCache()
  @HttpCode(204)
  @ApiOperation({
    summary: "Remove the owner's rating of an assistant message; without one, 204 too",
    description: WHO,
  })
  @ApiNoContentResponse()
  @ApiErrors(400)
  async remove(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Param('message_id', MessageIdPipe) messageId: string,
  ): Promise<void> {
    await this.feedback.remove(user, id, messageId);
  }
}
