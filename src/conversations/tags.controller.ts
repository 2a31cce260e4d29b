import { Controller, Get, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { cacheKeys } from '../cache/cache-keys';
import { CachedRead } from '../cache/cached-read.decorator';
import { UserCacheInterceptor } from '../cache/user-cache.interceptor';
import { ApiErrors } from '../common/api-errors';
import { UserThrottlerGuard } from '../rate-limit/user-throttler.guard';
import { ReadRoutingInterceptor } from '../read-routing/read-routing.interceptor';
import { TagListResponse } from './conversation.responses';
import { ConversationsService } from './conversations.service';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(UserCacheInterceptor, ReadRoutingInterceptor)
@Controller('api/v1/tags')
export class TagsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Get()
  @CachedRead(() => cacheKeys.tags())
  @ApiOperation({
    summary: "The caller's tags on conversations not in the trash, most used first, then by name",
    description:
      'Tags that differ only in case are one tag, shown in its most used spelling. Archived conversations count.',
  })
  @ApiOkResponse({ type: TagListResponse })
  @ApiErrors(403)
  list(@CurrentUser() user: AuthenticatedUser): Promise<TagListResponse> {
    return this.conversations.tags(user.id);
  }
}
