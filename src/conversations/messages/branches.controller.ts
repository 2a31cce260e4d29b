import { Body, Controller, Param, Put, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/current-user.decorator';
import { JwtAuthGuard } from '../../auth/jwt-auth.guard';
import { InvalidatesCache } from '../../cache/cached-read.decorator';
import { UserCacheInterceptor } from '../../cache/user-cache.interceptor';
import { ReadRoutingInterceptor } from '../../read-routing/read-routing.interceptor';
import { ApiErrors } from '../../common/api-errors';
import { UserThrottlerGuard } from '../../rate-limit/user-throttler.guard';
import { ConversationIdPipe } from '../conversation-id.pipe';
import { ConversationWithRecentMessages } from '../conversation.responses';
import { BranchesService } from './branches.service';
import { MoveHeadDto } from './dto/move-head.dto';

@ApiTags('messages')
@ApiBearerAuth()
@ApiErrors(401, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(UserCacheInterceptor, ReadRoutingInterceptor)
@Controller('api/v1/conversations/:id/head')
export class BranchesController {
  constructor(private readonly branches: BranchesService) {}

  @Put()
  @InvalidatesCache()
  @ApiOperation({
    summary: 'Switch branches: the active branch becomes the one through a message',
    description:
      'The head moves to the newest descendant of `message_id` (highest seq; the message itself when it has none), and reads of the messages and `recent_messages` follow the branch from the root to it. Repeating it changes nothing. `updated_at` does not move: switching versions is reading, not writing, the conversation.',
  })
  @ApiOkResponse({ type: ConversationWithRecentMessages })
  @ApiErrors(400, 403, 404)
  moveHead(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
    @Body() body: MoveHeadDto,
  ): Promise<ConversationWithRecentMessages> {
    return this.branches.moveHead(user.id, id, body.message_id);
  }
}
